/**
 * The room directory: a field to join or create a room by name, the rooms the reader
 * belongs to (bold with a count while unread, a red badge for mentions) with how many people
 * are in each now, the reader's direct conversations named by the other person, and "All
 * rooms", every public room to browse. That list comes in pages: while more exist, a "More
 * rooms" button at its end asks for the next one (`parley-more-rooms`).
 */
import { LitElement, css, html, nothing } from 'lit';
import type { RoomSummary } from '../api/parley-api.js';
import { ROOM_NAME } from '../../server/protocol/names.js';
import { roomPath } from '../app/router.js';
import { emit } from '../events.js';
import { avatarHue, initials } from '../format/avatar.js';
import { isDirectRoomName } from '../format/room-label.js';
import { sidebarList } from './list-styles.js';
import { countLabel, type Counts } from '../connection/unread.js';

export class ParleyRooms extends LitElement {
  static properties = {
    rooms: { attribute: false },
    hasMore: { attribute: false },
    loadingMore: { attribute: false },
    moreError: { attribute: false },
    current: {},
    loadError: { attribute: false },
    unread: { attribute: false },
    joinError: { state: true },
  };
  /** The pages loaded so far, in the server's order (by name, in byte order). */
  declare rooms: RoomSummary[] | undefined;
  /** More pages exist after those loaded. */
  declare hasMore: boolean;
  declare loadingMore: boolean;
  declare moreError: string | undefined;
  /** The room on screen, marked in the list. */
  declare current: string | undefined;
  declare loadError: string | undefined;
  /** Unread counts by room name (see connection/unread.ts). */
  declare unread: ReadonlyMap<string, Counts>;
  declare joinError: string;

  static styles = [
    ...sidebarList,
    css`
      :host {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 1.25rem;
      }
      form {
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 0.3rem 0.4rem;
        padding: 0 0.75rem;
      }
      form label {
        grid-column: 1 / -1;
        font-size: 0.8125rem;
        font-weight: 600;
        color: var(--parley-muted);
      }
      form .error-text {
        grid-column: 1 / -1;
        margin: 0;
      }
      .hash {
        width: 1.5rem;
        text-align: center;
        color: var(--parley-muted);
        font-weight: 600;
      }
      .online {
        display: inline-flex;
        align-items: center;
        gap: 0.3rem;
        font-size: 0.8125rem;
        color: var(--parley-muted);
        font-variant-numeric: tabular-nums;
      }
      .online::before {
        content: '';
        width: 0.45rem;
        height: 0.45rem;
        border-radius: 50%;
        background: var(--parley-online);
      }
      .item {
        --avatar-size: 1.5rem;
      }
      .item.unread .name {
        font-weight: 750;
        color: var(--parley-text);
      }
      .badge {
        margin-left: auto;
        min-width: 1.25rem;
        padding: 0 0.4rem;
        border-radius: 999px;
        background: var(--parley-muted);
        color: var(--parley-surface);
        font-size: 0.75rem;
        font-weight: 700;
        line-height: 1.25rem;
        text-align: center;
        font-variant-numeric: tabular-nums;
      }
      .badge.mention {
        margin-left: 0.25rem;
        background: var(--parley-danger);
        color: #fff;
      }
      .disclosure {
        all: unset;
        cursor: pointer;
        font: inherit;
        color: inherit;
      }
      .disclosure:focus-visible {
        outline: 2px solid var(--parley-accent);
        outline-offset: 2px;
      }
      .more {
        display: grid;
        gap: 0.3rem;
        margin: 0.5rem 0.75rem 0;
      }
      .more .button {
        justify-self: start;
        min-height: 2rem;
        padding: 0.3rem 0.8rem;
        font-size: 0.875rem;
      }
      .more .button[aria-disabled='true'] {
        opacity: 0.55;
        cursor: progress;
      }
      .more .error-text {
        margin: 0;
      }
    `,
  ];

  constructor() {
    super();
    this.rooms = undefined;
    this.hasMore = false;
    this.loadingMore = false;
    this.moreError = undefined;
    this.current = undefined;
    this.loadError = undefined;
    this.unread = new Map();
    this.joinError = '';
  }

  /** Bold with a count while unread; a badge when someone mentioned the reader. */
  private unreadTemplate(name: string) {
    const c = this.unread.get(name);
    if (!c || c.unread === 0 || name === this.current) return nothing;
    return html`<span class="badge count" title="${c.unread} unread">${countLabel(c.unread)}<span class="sr-only"> unread</span></span>${c.mentions > 0
      ? html`<span class="badge mention" title="${c.mentions} mentioning you">@${countLabel(c.mentions)}<span class="sr-only"> mentioning you</span></span>`
      : nothing}`;
  }

  private isUnread(name: string): boolean {
    return name !== this.current && (this.unread.get(name)?.unread ?? 0) > 0;
  }

  /** `mine`: in the reader's own list, where unread state shows and the open room is marked. */
  private roomItem(r: RoomSummary, mine: boolean) {
    const unread = mine && this.isUnread(r.name);
    return html`<li>
      <a class="item ${unread ? 'unread' : ''}" href=${roomPath(r.name)} aria-current=${r.name === this.current ? 'page' : nothing}>
        <span class="hash" aria-hidden="true">#</span>
        <span class="name">${r.name}</span>
        ${r.online > 0 ? html`<span class="online" title="${r.online} online">${r.online}<span class="sr-only"> online</span></span>` : nothing}
        ${mine ? this.unreadTemplate(r.name) : nothing}
      </a>
    </li>`;
  }

  render() {
    const rooms = this.rooms ?? [];
    // The server's order, not re-sorted here: the next page then only adds to the end.
    const publicRooms = rooms.filter((r) => r.kind === 'public');
    // Yours: the rooms you joined (and the one on screen); the rest are for browsing.
    const mine = publicRooms.filter((r) => r.member || r.name === this.current);
    const direct = rooms.filter((r) => r.kind === 'direct').sort((a, b) => (b.lastAt ?? 0) - (a.lastAt ?? 0));
    return html`
      <form @submit=${this.join} novalidate>
        <label for="room-name">Room name</label>
        <input
          id="room-name"
          class="field"
          name="room"
          placeholder="e.g. general"
          autocomplete="off"
          autocapitalize="none"
          spellcheck="false"
          maxlength="64"
          aria-invalid=${this.joinError ? 'true' : 'false'}
          aria-describedby=${this.joinError ? 'join-error' : nothing}
          @input=${() => (this.joinError = '')}
        />
        <button class="button" type="submit">Join</button>
        ${this.joinError ? html`<p class="error-text" id="join-error" role="alert">${this.joinError}</p>` : nothing}
      </form>
      <section aria-labelledby="rooms-heading">
        <h2 id="rooms-heading">Your rooms</h2>
        ${this.loadError ? html`<p class="empty error-text">${this.loadError}</p>` : nothing}
        ${this.rooms && mine.length === 0 ? html`<p class="empty">You have not joined a room yet. Pick one of all the rooms below or name a new one above.</p>` : nothing}
        <ul>
          ${mine.map((r) => this.roomItem(r, true))}
        </ul>
      </section>
      <section aria-labelledby="browse-heading" class="browse">
        <h2 id="browse-heading">All rooms</h2>
        ${this.rooms && publicRooms.length === 0 && !this.hasMore ? html`<p class="empty">No rooms yet. Name one above to create it.</p>` : nothing}
        <ul>
          ${publicRooms.map((r) => this.roomItem(r, false))}
        </ul>
        ${this.hasMore || this.moreError ? this.renderMore() : nothing}
      </section>
      ${direct.length > 0
        ? html`<section aria-labelledby="direct-heading">
            <h2 id="direct-heading">Direct messages</h2>
            <ul>
              ${direct.map((r) => {
                const who = r.with?.name ?? r.name;
                return html`<li>
                  <a class="item ${this.isUnread(r.name) ? 'unread' : ''}" href=${roomPath(r.name)} aria-current=${r.name === this.current ? 'page' : nothing}>
                    <span class="avatar" style="--hue: ${avatarHue(who)}" aria-hidden="true">${initials(who)}</span>
                    <span class="name">${who}</span>
                    ${this.unreadTemplate(r.name)}
                  </a>
                </li>`;
              })}
            </ul>
          </section>`
        : nothing}
    `;
  }

  private renderMore() {
    return html`<div class="more">
      ${this.hasMore
        ? html`<button
            class="button quiet"
            type="button"
            aria-disabled=${this.loadingMore ? 'true' : 'false'}
            aria-describedby=${this.moreError ? 'more-error' : nothing}
            @click=${this.more}
          >
            More rooms
          </button>`
        : nothing}
      ${this.loadingMore ? html`<span class="empty" role="status">Loading more rooms…</span>` : nothing}
      ${this.moreError ? html`<p class="error-text" id="more-error" role="alert">${this.moreError}</p>` : nothing}
    </div>`;
  }

  private more(): void {
    // aria-disabled rather than disabled, so the button keeps focus while the page loads.
    if (this.loadingMore) return;
    emit(this, 'parley-more-rooms', null);
  }

  private join(ev: SubmitEvent): void {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const input = form.elements.namedItem('room') as HTMLInputElement;
    const name = input.value.trim().toLowerCase();
    if (!ROOM_NAME.test(name)) {
      this.joinError = 'Room names start with a letter or digit, then up to 63 letters, digits, - or _.';
      return;
    }
    if (isDirectRoomName(name)) {
      this.joinError = 'Names starting with "dm-" are kept for direct messages.';
      return;
    }
    this.joinError = '';
    input.value = '';
    // Named here on purpose: the room view need not ask before creating it.
    emit(this, 'parley-create-room', { room: name });
  }
}

customElements.define('parley-rooms', ParleyRooms);

declare global {
  interface HTMLElementTagNameMap {
    'parley-rooms': ParleyRooms;
  }
}
