/**
 * The signed-in screen: top bar, sidebar and the open room. The room list (as many pages as
 * the reader opened) and the people list load over HTTP when the screen opens and after each
 * reconnection; between those the server pushes who is online and what is new over the
 * Connection's socket (LiveListsController), so the sidebar's counts and online dots agree
 * with the members panel. It also opens direct conversations. On narrow screens one column
 * shows at a time: the lists at /, the room at /r/….
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { HttpError } from '../api/http.js';
import { listUsers, openDirect, type Contact, type User } from '../api/parley-api.js';
import type { Route } from '../app/router.js';
import { roomPath } from '../app/router.js';
import type { Connection, ConnectionState } from '../connection/connection.js';
import { liveContacts } from '../connection/live-lists.js';
import { LiveListsController } from '../controllers/live-lists-controller.js';
import { LoadController } from '../controllers/load-controller.js';
import { RoomDirectoryController } from '../controllers/room-directory-controller.js';
import { emit, type ParleyEvent } from '../events.js';
import { roomLabel } from '../format/room-label.js';
import { shownError, type ShownError } from '../format/retry.js';
import type { ParleyRoom } from './parley-room.js';
import './parley-connection-status.js';
import './parley-room.js';
import './parley-sidebar.js';

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
  private readonly live = new LiveListsController(this, {
    connection: () => this.connection,
    reload: () => {
      void this.rooms.refresh();
      void this.people.refresh();
    },
  });
  private readonly rooms = new RoomDirectoryController(this, {
    openRoom: () => this.openRoom,
    live: () => this.live.lists,
    onError: this.signedOutOn401,
  });
  private readonly people = new LoadController(this, { load: listUsers, onError: this.signedOutOn401 });

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

  /** Everyone, with who is online as the live lists say; undefined before the first load. */
  private get contacts(): Contact[] | undefined {
    return this.people.value && liveContacts(this.people.value, this.live.lists);
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
        .contacts=${this.contacts}
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
      // No reload: a new direct room reaches the list as a `directory` frame.
      emit(this, 'parley-navigate', { path: roomPath(room.name) });
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
