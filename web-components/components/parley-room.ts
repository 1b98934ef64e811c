/**
 * One room on screen: header, history, who is typing, the composer and who is online. It
 * keeps the room open on the Connection while shown and turns the children's events into
 * Connection calls. A refused join shows one sentence for its code; one refused for now
 * (rate_limited) adds a countdown to the Connection's own retry: in place of the room when
 * nothing of it is held yet, above the composer when its history is already on screen.
 * On phones the members panel is a drop-down that Escape or a tap elsewhere closes.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import type { Member } from '../../server/protocol/frames.js';
import { roomInfo, setMembership, setTopic, type RoomSummary } from '../api/parley-api.js';
import { HttpError } from '../api/http.js';
import type { Connection } from '../connection/connection.js';
import { emptyLog } from '../connection/room-log.js';
import { ConnectionController } from '../controllers/connection-controller.js';
import { LiveListsController } from '../controllers/live-lists-controller.js';
import { OpenRoomController } from '../controllers/open-room-controller.js';
import { emit, type ParleyEvent } from '../events.js';
import { isDirectRoomName, roomLabel } from '../format/room-label.js';
import { errorSentence, limitSentence, shownError } from '../format/retry.js';
import { typingText } from '../format/typing-text.js';
import { roomStyles } from './parley-room.styles.js';
import type { ParleyComposer } from './parley-composer.js';
import './parley-composer.js';
import './parley-members.js';
import './parley-message-list.js';
import './parley-retry-countdown.js';

/** The contract lets one `typing` per 2 s through; more would only be dropped. */
const TYPING_EVERY_MS = 2000;

const ROOM_ERRORS: Record<string, string> = {
  forbidden: 'This is a private conversation between two other people.',
  not_found: 'There is no room with this name.',
  invalid: 'That is not a valid room name.',
  too_many_rooms: 'Too many rooms are open in this tab. Close a few and reload.',
};
const REFUSED_FOR_NOW = 'This room cannot be opened just now.';

/** A refused join as one line: the room's sentence for the code, and which limit when it says. */
function roomErrorText(error: { code: string; message: string }): string {
  if (error.code !== 'rate_limited') return errorSentence(error.code, error.message, 'This room cannot be opened.', ROOM_ERRORS);
  const limit = limitSentence(error.message);
  return limit ? `${REFUSED_FOR_NOW} ${limit}` : REFUSED_FOR_NOW;
}

export class ParleyRoom extends LitElement {
  static properties = {
    connection: { attribute: false },
    room: {},
    me: { attribute: false },
    summary: { attribute: false },
    membersOpen: { state: true },
    loadingOlder: { state: true },
    newAfter: { attribute: false },
    jumpTo: { attribute: false },
    contacts: { attribute: false },
    createConfirmed: { attribute: false },
    gate: { state: true },
    topicEditing: { state: true },
    roomActionError: { state: true },
  };
  /** The reader's read position when the room opened (the "new" line), if it had unread messages. */
  declare newAfter: number | undefined;
  /** A message to show (from a search result). */
  declare jumpTo: number | undefined;
  /** The reader asked for this room by name to make it: no need to ask again. */
  declare createConfirmed: boolean;
  /** Everyone the sidebar lists, for @name completion beyond the room. */
  declare contacts: Member[];
  /**
   * Whether the room may be joined yet: a public room that does not exist is only created
   * once the reader says so (`missing` asks), since joining one creates it.
   */
  declare gate: 'checking' | 'missing' | 'open';
  declare topicEditing: boolean;
  declare roomActionError: string;
  declare connection: Connection;
  declare room: string;
  declare me: Member;
  /** The room as GET /api/rooms lists it, when it does (for the title of direct rooms). */
  declare summary: RoomSummary | undefined;
  declare membersOpen: boolean;
  declare loadingOlder: boolean;

  private lastTypingAt = 0;
  private announcedReady = '';
  /** Who is online anywhere, for a direct room's other person (who may be in no room). */
  private readonly live = new LiveListsController(this, {
    connection: () => this.connection,
    // The workspace loads the lists; this only needs to hear their changes.
    reload: () => {},
  });

  /** While the phone drop-down is open: a press anywhere but the panel or its toggle closes it. */
  private readonly pressOutside = (ev: PointerEvent) => {
    // Taken at the document, the target is this host; the path still reaches into the shadow root.
    const path = ev.composedPath();
    const inside = [this.membersPanel, this.membersToggle].some((el) => el && path.includes(el));
    if (!inside) this.membersOpen = false;
  };

  /** Escape wherever focus is (Safari does not focus a tapped button), back to the toggle. */
  private readonly escape = (ev: KeyboardEvent) => {
    if (ev.key !== 'Escape' || ev.defaultPrevented) return;
    ev.preventDefault();
    this.membersOpen = false;
    this.membersToggle?.focus();
  };

  static styles = roomStyles;

  constructor() {
    super();
    this.summary = undefined;
    this.membersOpen = false;
    this.loadingOlder = false;
    new ConnectionController(this, () => this.connection);
    new OpenRoomController(
      this,
      () => this.connection,
      () => (this.gate === 'open' ? this.room : undefined),
    );
    this.newAfter = undefined;
    this.jumpTo = undefined;
    this.contacts = [];
    this.createConfirmed = false;
    this.gate = 'checking';
    this.topicEditing = false;
    this.roomActionError = '';
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('room')) {
      this.membersOpen = false;
      this.loadingOlder = false;
      this.lastTypingAt = 0;
      this.topicEditing = false;
      this.roomActionError = '';
      this.gate = this.summary || this.createConfirmed || isDirectRoomName(this.room) || this.connection.room(this.room)?.joined ? 'open' : 'checking';
      if (this.gate === 'checking') void this.checkExists(this.room);
    } else if (changed.has('summary') && this.summary && this.gate === 'checking') {
      this.gate = 'open';
    }
  }

  /** Asks the server whether the room exists before joining (which would create it). */
  private async checkExists(room: string): Promise<void> {
    let missing = false;
    try {
      await roomInfo(room);
    } catch (e) {
      missing = e instanceof HttpError && e.status === 404;
    }
    if (room !== this.room || this.gate !== 'checking') return;
    // Anything but "no such room" (forbidden, offline) opens it: the join then says what is wrong.
    this.gate = missing ? 'missing' : 'open';
  }

  private async saveTopic(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    const input = (ev.target as HTMLFormElement).elements.namedItem('topic') as HTMLInputElement;
    try {
      await setTopic(this.room, input.value.trim() || null);
      this.topicEditing = false;
      this.roomActionError = '';
    } catch (e) {
      this.roomActionError = shownError(e, 'The topic could not be saved.', Date.now()).message;
    }
  }

  private async leaveRoom(): Promise<void> {
    try {
      await setMembership(this.room, false);
      emit(this, 'parley-navigate', { path: '/' });
    } catch (e) {
      this.roomActionError = shownError(e, 'Could not leave the room.', Date.now()).message;
    }
  }

  private async change(seq: number, body: string | undefined): Promise<void> {
    const list = this.renderRoot.querySelector('parley-message-list');
    try {
      await (body === undefined ? this.connection.remove(this.room, seq) : this.connection.edit(this.room, seq, body));
      list?.changeDone();
    } catch (e) {
      list?.changeFailed(seq, (e as Error).message);
    }
  }

  private seen(): void {
    const log = this.connection.room(this.room);
    if (log?.joined) this.connection.markRead(this.room, log.lastSeq);
  }

  private renderGate() {
    if (this.gate === 'checking') return html`<div class="blocked"><p class="subtitle" role="status">Opening #${this.room}…</p></div>`;
    return html`<div class="blocked">
      <div class="room-error create" role="region" aria-label="Create this room?">
        <strong>There is no room called #${this.room} yet.</strong>
        <span>Create it? Anyone can join a public room.</span>
        <div class="create-actions">
          <button class="button" type="button" @click=${() => (this.gate = 'open')}>Create #${this.room}</button>
          <a href="/">Back to the room list</a>
        </div>
      </div>
    </div>`;
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.listenWhileOpen(false);
  }

  private listenWhileOpen(open: boolean): void {
    // Capture: a press on something that stops its event still closes the drop-down.
    if (open) {
      document.addEventListener('pointerdown', this.pressOutside, true);
      document.addEventListener('keydown', this.escape);
    } else {
      document.removeEventListener('pointerdown', this.pressOutside, true);
      document.removeEventListener('keydown', this.escape);
    }
  }

  private get membersPanel(): HTMLElement | null {
    return this.renderRoot.querySelector('parley-members');
  }

  private get membersToggle(): HTMLElement | null {
    return this.renderRoot.querySelector('.members-toggle');
  }

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('membersOpen')) this.listenWhileOpen(this.membersOpen);
    if (this.connection.room(this.room)?.joined && this.announcedReady !== this.room) {
      this.announcedReady = this.room;
      emit(this, 'parley-room-ready', { room: this.room });
    }
  }

  /** Where keyboard focus should land when the reader opens the room. */
  async focusStart(): Promise<void> {
    // A room element made by this navigation has not rendered yet.
    await this.updateComplete;
    if (matchMedia('(max-width: 700px)').matches) return this.renderRoot.querySelector<HTMLElement>('h1')?.focus();
    const composer = this.renderRoot.querySelector<ParleyComposer>('parley-composer');
    await composer?.updateComplete;
    composer?.focus();
  }

  render() {
    const log = this.connection.room(this.room) ?? emptyLog(this.room);
    const direct = this.summary?.kind === 'direct' || isDirectRoomName(this.room);
    const other = log.members.find((m) => m.id !== this.me.id)?.name;
    const label = direct && !this.summary?.with && other ? other : roomLabel(this.room, this.summary);
    // A direct room lists both of its people, online or not; a public room only who is there.
    const people = direct && this.summary?.with ? [this.me, this.summary.with] : [];
    const everywhere = this.live.lists.online?.users;
    const online = everywhere ? [...log.members, ...people.filter((p) => everywhere.has(p.id))] : log.members;
    const subtitle = direct ? 'Direct conversation' : (this.summary?.topic ?? '');
    // Autocomplete for @names: who is here first, then everyone the sidebar knows.
    const mentionable = [...online, ...people, ...this.contacts].filter((m, i, all) => m.id !== this.me.id && all.findIndex((x) => x.id === m.id) === i);
    const typists = this.connection.typists(this.room).filter((m) => m.id !== this.me.id);
    const state = this.connection.state;
    const blocked = state === 'offline' ? "You're offline. Sending resumes when the connection is back." : '';
    const notice = state === 'reconnecting' ? 'Reconnecting… messages you send now go out once connected.' : '';
    const waiting = log.error?.retryAt !== undefined ? log.error : undefined;
    // Refused for now with history on screen: keep it there and say so above the composer.
    const error = waiting && log.messages.length > 0 ? undefined : log.error;
    return html`
      <header class="bar" part="header">
        <a class="back" href="/" aria-label="Back to rooms"><span aria-hidden="true">‹</span> Rooms</a>
        <div class="title">
          <h1 tabindex="-1">${direct ? nothing : html`<span class="hash" aria-hidden="true">#</span>`}${label}</h1>
          ${this.topicEditing
            ? html`<form class="topic-form" @submit=${this.saveTopic}>
                <input class="field" name="topic" aria-label="Room topic" maxlength="200" .value=${this.summary?.topic ?? ''} placeholder="What is this room about?" />
                <button class="button small" type="submit">Save</button>
                <button class="button small quiet" type="button" @click=${() => (this.topicEditing = false)}>Cancel</button>
              </form>`
            : subtitle
              ? html`<p class="subtitle">${subtitle}</p>`
              : nothing}
          ${this.roomActionError ? html`<p class="error-text" role="alert">${this.roomActionError}</p>` : nothing}
        </div>
        ${!direct && this.gate === 'open' && !error && !this.topicEditing
          ? html`<div class="room-actions">
              <button class="button quiet small" type="button" @click=${() => (this.topicEditing = true)}>${this.summary?.topic ? 'Edit topic' : 'Set topic'}</button>
              <button class="button quiet small" type="button" @click=${this.leaveRoom}>Leave</button>
            </div>`
          : nothing}
        <button
          ?hidden=${Boolean(error)}
          class="button quiet members-toggle"
          type="button"
          aria-expanded=${this.membersOpen ? 'true' : 'false'}
          aria-controls="members"
          @click=${() => (this.membersOpen = !this.membersOpen)}
        >
          <span class="online-dot" aria-hidden="true"></span>${log.members.length}<span class="sr-only"> online: show members</span>
        </button>
      </header>
      <div class="body">
        <div class="chat">
          ${this.gate !== 'open'
            ? this.renderGate()
            : error
            ? html`<div class="blocked">
                <div class="room-error" role="alert">
                  <strong>${roomErrorText(error)}</strong>
                  ${waiting ? html`<parley-retry-countdown class="retry" automatic .until=${waiting.retryAt}></parley-retry-countdown>` : nothing}
                  <a href="/">Back to the room list</a>
                </div>
              </div>`
            : html`<parley-message-list
                .room=${this.room}
                .intro=${direct ? `Your conversation with ${label}` : `Welcome to #${this.room}`}
                .me=${this.me}
                .messages=${log.messages}
                .pending=${log.pending}
                .ready=${log.joined}
                .hasOlder=${log.hasOlder}
                .loadingOlder=${this.loadingOlder}
                .newAfter=${this.newAfter}
                .jumpTo=${this.jumpTo}
                @parley-seen=${this.seen}
                @parley-edit=${(e: ParleyEvent<'parley-edit'>) => void this.change(e.detail.seq, e.detail.body)}
                @parley-delete=${(e: ParleyEvent<'parley-delete'>) => void this.change(e.detail.seq, undefined)}
                @parley-load-older=${this.loadOlder}
                @parley-retry=${(e: ParleyEvent<'parley-retry'>) => this.connection.retry(this.room, e.detail.cid)}
                @parley-discard=${(e: ParleyEvent<'parley-discard'>) => this.connection.discard(this.room, e.detail.cid)}
              ></parley-message-list>`}
          ${waiting && !error
            ? html`<div class="rejoin" role="alert">
                <span>${errorSentence(waiting.code, waiting.message, '', { rate_limited: 'Rejoining this room is paused.' })}</span>
                <parley-retry-countdown automatic .until=${waiting.retryAt}></parley-retry-countdown>
              </div>`
            : html`<p class="typing">${typingText(typists.map((m) => m.name))}</p>`}
          <parley-composer
            ?hidden=${Boolean(error) || this.gate !== 'open'}
            .mentionable=${mentionable}
            @parley-edit-last=${() => this.renderRoot.querySelector('parley-message-list')?.editLast()}
            .disabledReason=${blocked}
            .notice=${notice}
            .placeholder=${direct ? `Message ${label}` : `Message #${this.room}`}
            @parley-send=${(e: ParleyEvent<'parley-send'>) => this.connection.send(this.room, e.detail.body)}
            @parley-typing=${this.typing}
          ></parley-composer>
        </div>
        <parley-members
          id="members"
          class=${this.membersOpen ? 'open' : ''}
          .members=${online}
          .people=${people}
          .me=${this.me}
        ></parley-members>
      </div>
    `;
  }

  private typing(): void {
    const now = Date.now();
    if (now - this.lastTypingAt < TYPING_EVERY_MS) return;
    this.lastTypingAt = now;
    this.connection.typing(this.room);
  }

  private async loadOlder(): Promise<void> {
    if (this.loadingOlder) return;
    const room = this.room;
    this.loadingOlder = true;
    try {
      await this.connection.loadOlder(room);
    } catch {
      // Offline or the server is away: scrolling up again tries again.
    } finally {
      if (room === this.room) this.loadingOlder = false;
    }
  }
}

customElements.define('parley-room', ParleyRoom);

declare global {
  interface HTMLElementTagNameMap {
    'parley-room': ParleyRoom;
  }
}
