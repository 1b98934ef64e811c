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
import { listUsers, openDirect, type Contact, type RoomSummary, type User } from '../api/parley-api.js';
import type { Route } from '../app/router.js';
import { roomPath } from '../app/router.js';
import type { Connection, ConnectionState } from '../connection/connection.js';
import { liveContacts } from '../connection/live-lists.js';
import { LiveListsController } from '../controllers/live-lists-controller.js';
import { LoadController } from '../controllers/load-controller.js';
import { NotificationsController } from '../controllers/notifications-controller.js';
import { countsOf, titleWithUnread, totalUnread, type Counts } from '../connection/unread.js';
import { RoomDirectoryController } from '../controllers/room-directory-controller.js';
import { emit, type ParleyEvent } from '../events.js';
import { roomLabel } from '../format/room-label.js';
import { shownError, type ShownError } from '../format/retry.js';
import type { ParleyRoom } from './parley-room.js';
import './parley-connection-status.js';
import './parley-search.js';
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
  private readonly notifications = new NotificationsController(this, {
    connection: () => this.connection,
    open: (path) => emit(this, 'parley-navigate', { path }),
  });
  /** The last unread map handed down, kept while its inputs are the same objects. */
  private unreadShown: { rooms: unknown; live: unknown; counts: ReadonlyMap<string, Counts> } | undefined;

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
    this.addEventListener('parley-toggle-notifications', () => void this.notifications.toggle());
    this.addEventListener('parley-open-result', (e) => this.openResult(e.detail.room, e.detail.seq));
    this.addEventListener('parley-create-room', (e) => {
      this.createIntent = e.detail.room;
      emit(this, 'parley-navigate', { path: roomPath(e.detail.room) });
    });
  }

  /** Each listed room's unread counts: the list's own, with what the socket reported since. */
  private get unread(): ReadonlyMap<string, Counts> {
    const rooms = this.rooms.rooms;
    const live = this.connection?.unread;
    if (this.unreadShown && this.unreadShown.rooms === rooms && this.unreadShown.live === live) return this.unreadShown.counts;
    const counts = new Map<string, Counts>();
    for (const r of rooms ?? []) {
      if (!(r.member ?? r.kind === 'direct')) continue;
      counts.set(r.name, countsOf(reading(r), live?.get(r.name)));
    }
    this.unreadShown = { rooms, live, counts };
    return counts;
  }

  /** Everyone, with who is online as the live lists say; undefined before the first load. */
  private get contacts(): Contact[] | undefined {
    return this.people.value && liveContacts(this.people.value, this.live.lists);
  }

  private get openRoom(): string | undefined {
    return this.route?.kind === 'room' ? this.route.room : undefined;
  }

  /** The room on screen and its "new" line, fixed once per opening from the unread state then. */
  private opened: { room: string; newAfter: number | undefined; fixed: boolean } | undefined;
  /** A room the reader named in the sidebar's form: it is created without asking. */
  private createIntent: string | undefined;
  /** A search result chosen: the room to open at that message. */
  private jump: { room: string; seq: number } | undefined;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('route')) this.setAttribute('view', this.route.kind === 'bad-room' ? 'room' : this.route.kind);
    const room = this.openRoom;
    if (room !== this.opened?.room) this.opened = room ? { room, newAfter: undefined, fixed: false } : undefined;
    if (this.opened && !this.opened.fixed && this.rooms.rooms) {
      const counts = this.unread.get(this.opened.room);
      this.opened = { ...this.opened, fixed: true, newAfter: counts && counts.unread > 0 ? counts.readSeq : undefined };
    }
    if (this.jump && this.jump.room !== room) this.jump = undefined;
  }

  /** A search result was chosen: open its room at that message. */
  private openResult(room: string, seq: number): void {
    this.jump = { room, seq };
    emit(this, 'parley-navigate', { path: roomPath(room) });
    this.requestUpdate();
  }

  protected updated(changed: PropertyValues<this>): void {
    const room = this.openRoom;
    const summary = room ? this.rooms.summary(room) : undefined;
    const title = room ? `${summary?.kind === 'direct' ? '' : '#'}${roomLabel(room, summary)} · Parley` : 'Parley';
    const live = this.connection?.unread;
    const listed = (this.rooms.rooms ?? []).map(reading);
    document.title = titleWithUnread(title, live ? totalUnread(listed, live) : 0);
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
        <parley-search .room=${room}></parley-search>
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
        .contactsError=${this.directError ?? (this.people.error && !this.people.value ? shownError(this.people.error, 'The people list could not be loaded.', Date.now()) : undefined)}
        .unread=${this.unread}
        .notifications=${this.notifications.setting}
      ></parley-sidebar>
      <main>
        ${room
          ? html`<parley-room
              .connection=${this.connection}
              .room=${room}
              .me=${this.me}
              .summary=${this.rooms.summary(room)}
              .contacts=${this.contacts ?? []}
              .createConfirmed=${this.createIntent === room}
              .newAfter=${this.opened?.newAfter}
              .jumpTo=${this.jump?.room === room ? this.jump.seq : undefined}
            ></parley-room>`
          : this.route.kind === 'bad-room'
            ? html`<div class="welcome" role="alert">
                <strong>“${this.route.name}” cannot be a room</strong>
                <span>${this.route.reason}</span>
                <a href="/">Back to your rooms</a>
              </div>`
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

/** A listed room as unread.ts counts it. */
function reading(r: RoomSummary) {
  return {
    name: r.name,
    kind: r.kind,
    member: r.member ?? r.kind === 'direct',
    readSeq: r.readSeq ?? 0,
    lastSeq: r.lastSeq,
    unread: r.unread ?? 0,
    mentions: r.mentions ?? 0,
  };
}

customElements.define('parley-workspace', ParleyWorkspace);

declare global {
  interface HTMLElementTagNameMap {
    'parley-workspace': ParleyWorkspace;
  }
}
