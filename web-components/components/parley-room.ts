/**
 * One room on screen: header, history, who is typing, the composer and who is online. It
 * keeps the room open on the Connection while shown and turns the children's events into
 * Connection calls. A join the server refused for now (rate_limited) shows the server's
 * reason and a countdown to the Connection's own retry: in place of the room when nothing
 * of it is held yet, above the composer when its history is already on screen.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import type { Member } from '../../server/protocol/frames.js';
import type { RoomSummary } from '../api/parley-api.js';
import type { Connection } from '../connection/connection.js';
import { emptyLog } from '../connection/room-log.js';
import { ConnectionController } from '../controllers/connection-controller.js';
import { OpenRoomController } from '../controllers/open-room-controller.js';
import { emit, type ParleyEvent } from '../events.js';
import { isDirectRoomName, roomLabel } from '../format/room-label.js';
import { withoutRetryHint } from '../format/retry.js';
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
  rate_limited: 'This room cannot be opened just now.',
};

export class ParleyRoom extends LitElement {
  static properties = {
    connection: { attribute: false },
    room: {},
    me: { attribute: false },
    summary: { attribute: false },
    membersOpen: { state: true },
    loadingOlder: { state: true },
  };
  declare connection: Connection;
  declare room: string;
  declare me: Member;
  /** The room as GET /api/rooms lists it, when it does (for the title of direct rooms). */
  declare summary: RoomSummary | undefined;
  declare membersOpen: boolean;
  declare loadingOlder: boolean;

  private lastTypingAt = 0;
  private announcedReady = '';

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
      () => this.room,
    );
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('room')) {
      this.membersOpen = false;
      this.loadingOlder = false;
      this.lastTypingAt = 0;
    }
  }

  protected updated(): void {
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
    const subtitle = direct ? 'Direct conversation' : (this.summary?.topic ?? '');
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
          ${subtitle ? html`<p class="subtitle">${subtitle}</p>` : nothing}
        </div>
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
          ${error
            ? html`<div class="blocked">
                <div class="room-error" role="alert">
                  <strong>${ROOM_ERRORS[error.code] ?? 'This room cannot be opened.'}</strong>
                  <span>${waiting ? withoutRetryHint(error.message) : error.message}</span>
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
                @parley-load-older=${this.loadOlder}
                @parley-retry=${(e: ParleyEvent<'parley-retry'>) => this.connection.retry(this.room, e.detail.cid)}
                @parley-discard=${(e: ParleyEvent<'parley-discard'>) => this.connection.discard(this.room, e.detail.cid)}
              ></parley-message-list>`}
          ${waiting && !error
            ? html`<div class="rejoin" role="alert">
                <span>${withoutRetryHint(waiting.message)}</span>
                <parley-retry-countdown automatic .until=${waiting.retryAt}></parley-retry-countdown>
              </div>`
            : html`<p class="typing">${typingText(typists.map((m) => m.name))}</p>`}
          <parley-composer
            ?hidden=${Boolean(error)}
            .disabledReason=${blocked}
            .notice=${notice}
            .placeholder=${direct ? `Message ${label}` : `Message #${this.room}`}
            @parley-send=${(e: ParleyEvent<'parley-send'>) => this.connection.send(this.room, e.detail.body)}
            @parley-typing=${this.typing}
          ></parley-composer>
        </div>
        <parley-members id="members" class=${this.membersOpen ? 'open' : ''} .members=${log.members} .me=${this.me}></parley-members>
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
