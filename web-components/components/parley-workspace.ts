/**
 * The signed-in screen: top bar, sidebar and the open room. It keeps the room list (every
 * 5 s, as many pages as the reader opened) and the people list (every 10 s) fresh while the
 * tab is visible, and opens direct conversations. On narrow screens one column shows at a
 * time: the lists at /, the room at /r/….
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { HttpError } from '../api/http.js';
import { listUsers, openDirect, type User } from '../api/parley-api.js';
import type { Route } from '../app/router.js';
import { roomPath } from '../app/router.js';
import type { Connection, ConnectionState } from '../connection/connection.js';
import { PollController } from '../controllers/poll-controller.js';
import { RoomDirectoryController } from '../controllers/room-directory-controller.js';
import { emit, type ParleyEvent } from '../events.js';
import { roomLabel } from '../format/room-label.js';
import { shownError, type ShownError } from '../format/retry.js';
import type { ParleyRoom } from './parley-room.js';
import './parley-connection-status.js';
import './parley-room.js';
import './parley-sidebar.js';

const ROOMS_EVERY_MS = 5000;
const PEOPLE_EVERY_MS = 10_000;

export class ParleyWorkspace extends LitElement {
  static properties = {
    me: { attribute: false },
    connection: { attribute: false },
    connectionState: {},
    route: { attribute: false },
    directError: { state: true },
  };
  declare me: User;
  declare connection: Connection;
  declare connectionState: ConnectionState;
  declare route: Route;
  declare directError: ShownError | undefined;

  private readonly signedOutOn401 = (e: HttpError) => {
    if (e.status === 401) emit(this, 'parley-sign-out', null);
  };
  private readonly rooms = new RoomDirectoryController(this, {
    everyMs: ROOMS_EVERY_MS,
    openRoom: () => this.openRoom,
    onError: this.signedOutOn401,
  });
  private readonly people = new PollController(this, { everyMs: PEOPLE_EVERY_MS, load: listUsers, onError: this.signedOutOn401 });

  static styles = css`
    :host {
      display: grid;
      grid-template-columns: 17rem minmax(0, 1fr);
      grid-template-rows: auto minmax(0, 1fr);
      height: 100%;
      overflow: hidden;
    }
    .topbar {
      grid-column: 1 / -1;
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 1rem;
      min-height: 2.75rem;
      padding: 0.25rem 1rem;
      border-bottom: 1px solid var(--parley-border);
      background: var(--parley-sidebar);
    }
    .brand {
      font-weight: 750;
      font-size: 1.05rem;
      letter-spacing: -0.01em;
      color: var(--parley-accent);
    }
    parley-sidebar {
      border-right: 1px solid var(--parley-border);
    }
    main {
      display: flex;
      flex-direction: column;
      min-height: 0;
      min-width: 0;
    }
    parley-room {
      flex: 1;
    }
    .welcome {
      flex: 1;
      display: grid;
      place-content: center;
      gap: 0.35rem;
      padding: 2rem;
      text-align: center;
      color: var(--parley-muted);
      background: var(--parley-surface);
    }
    .welcome strong {
      color: var(--parley-text);
      font-size: 1.2rem;
    }
    @media (max-width: 700px) {
      :host {
        grid-template-columns: minmax(0, 1fr);
      }
      .topbar {
        padding-inline: 0.75rem;
      }
      parley-sidebar {
        border-right: 0;
      }
      :host([view='room']) parley-sidebar,
      :host([view='home']) main {
        display: none;
      }
    }
  `;

  constructor() {
    super();
    this.connectionState = 'connecting';
    this.directError = undefined;
    this.addEventListener('parley-open-direct', (e) => void this.openDirect(e));
    this.addEventListener('parley-room-ready', (e) => this.rooms.roomReady(e.detail.room));
    this.addEventListener('parley-more-rooms', () => void this.rooms.more());
  }

  private get openRoom(): string | undefined {
    return this.route?.kind === 'room' ? this.route.room : undefined;
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('route')) this.setAttribute('view', this.route.kind);
  }

  protected updated(changed: PropertyValues<this>): void {
    const room = this.openRoom;
    const summary = room ? this.rooms.summary(room) : undefined;
    document.title = room ? `${summary?.kind === 'direct' ? '' : '#'}${roomLabel(room, summary)} · Parley` : 'Parley';
    // Only after a navigation, not on the first load: then focus stays where the browser put it.
    if (changed.has('route') && changed.get('route') !== undefined && room) {
      void this.renderRoot.querySelector<ParleyRoom>('parley-room')?.focusStart();
    }
  }

  render() {
    const room = this.openRoom;
    return html`
      <header class="topbar" part="topbar">
        <span class="brand">Parley</span>
        <parley-connection-status .state=${this.connectionState}></parley-connection-status>
      </header>
      <parley-sidebar
        .me=${this.me}
        .rooms=${this.rooms.rooms}
        .moreRooms=${this.rooms.hasMore}
        .loadingMoreRooms=${this.rooms.loadingMore}
        .moreRoomsError=${this.rooms.moreError}
        .contacts=${this.people.value}
        .current=${room}
        .roomsError=${this.rooms.loadError}
        .contactsError=${this.directError ?? (this.people.error && !this.people.value ? { message: this.people.error.message } : undefined)}
      ></parley-sidebar>
      <main>
        ${room
          ? html`<parley-room
              .connection=${this.connection}
              .room=${room}
              .me=${this.me}
              .summary=${this.rooms.summary(room)}
            ></parley-room>`
          : html`<div class="welcome">
              <strong>Pick a room to start talking</strong>
              <span>Or type a new name under “Room name” to create one.</span>
            </div>`}
      </main>
    `;
  }

  private async openDirect(e: ParleyEvent<'parley-open-direct'>): Promise<void> {
    this.directError = undefined;
    try {
      const room = await openDirect(e.detail.user);
      emit(this, 'parley-navigate', { path: roomPath(room.name) });
      void this.rooms.refresh();
    } catch (err) {
      this.directError = shownError(err, 'Could not open the conversation.', Date.now());
    }
  }
}

customElements.define('parley-workspace', ParleyWorkspace);

declare global {
  interface HTMLElementTagNameMap {
    'parley-workspace': ParleyWorkspace;
  }
}
