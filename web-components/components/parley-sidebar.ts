/** The navigation column: rooms, people, and who is signed in with the way out. */
import { LitElement, css, html, nothing } from 'lit';
import type { Contact, RoomSummary, User } from '../api/parley-api.js';
import { emit } from '../events.js';
import { avatarHue, initials } from '../format/avatar.js';
import type { ShownError } from '../format/retry.js';
import type { Counts } from '../connection/unread.js';
import { avatar, controls } from './shared-styles.js';
import './parley-rooms.js';
import './parley-contacts.js';

export class ParleySidebar extends LitElement {
  static properties = {
    me: { attribute: false },
    rooms: { attribute: false },
    moreRooms: { attribute: false },
    loadingMoreRooms: { attribute: false },
    moreRoomsError: { attribute: false },
    contacts: { attribute: false },
    current: {},
    roomsError: { attribute: false },
    contactsError: { attribute: false },
    unread: { attribute: false },
    notifications: { attribute: false },
  };
  declare me: User;
  declare rooms: RoomSummary[] | undefined;
  /** The room list has more pages than those loaded. */
  declare moreRooms: boolean;
  declare loadingMoreRooms: boolean;
  declare moreRoomsError: string | undefined;
  declare contacts: Contact[] | undefined;
  declare current: string | undefined;
  declare roomsError: string | undefined;
  declare contactsError: ShownError | undefined;
  declare unread: ReadonlyMap<string, Counts>;
  /** Desktop notifications for mentions and direct messages: on, off, or refused by the browser. */
  declare notifications: 'on' | 'off' | 'denied' | 'unsupported';

  static styles = [
    controls,
    avatar,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        background: var(--parley-sidebar);
      }
      nav {
        flex: 1;
        min-height: 0;
        overflow-y: auto;
        overflow-x: hidden;
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        align-content: start;
        gap: 1.5rem;
        padding: 1rem 0.5rem;
      }
      footer {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.6rem;
        padding: 0.75rem 1rem;
        border-top: 1px solid var(--parley-border);
        --avatar-size: 2rem;
      }
      .me {
        flex: 1;
        min-width: 0;
        display: grid;
        line-height: 1.2;
      }
      .me strong {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .me span {
        font-size: 0.8125rem;
        color: var(--parley-muted);
      }
      .button.quiet {
        min-height: 2rem;
        padding: 0.3rem 0.7rem;
        font-size: 0.875rem;
      }
      /* Its own line under the name: a setting, not an action beside signing out. */
      .button.notify {
        order: 3;
        flex-basis: 100%;
        justify-content: flex-start;
        min-height: 1.75rem;
        font-size: 0.8125rem;
        color: var(--parley-muted);
      }
      .button.notify[aria-pressed='true'] {
        color: var(--parley-text);
      }
    `,
  ];

  constructor() {
    super();
    this.rooms = undefined;
    this.moreRooms = false;
    this.loadingMoreRooms = false;
    this.moreRoomsError = undefined;
    this.contacts = undefined;
    this.current = undefined;
    this.roomsError = undefined;
    this.contactsError = undefined;
    this.unread = new Map();
    this.notifications = 'off';
  }

  private notificationsButton() {
    const n = this.notifications;
    if (n === 'unsupported') return nothing;
    const label = n === 'on' ? 'Notifications on' : n === 'denied' ? 'Notifications blocked' : 'Notifications off';
    return html`<button
      class="button quiet notify"
      type="button"
      aria-pressed=${n === 'on' ? 'true' : 'false'}
      title=${n === 'denied' ? 'The browser blocks notifications for this site; allow them in its site settings.' : 'Desktop notifications for mentions and direct messages while this tab is hidden'}
      @click=${() => emit(this, 'parley-toggle-notifications', null)}
    >
      ${label}
    </button>`;
  }

  render() {
    return html`
      <nav aria-label="Rooms and people" part="nav">
        <parley-rooms
          .rooms=${this.rooms}
          .hasMore=${this.moreRooms}
          .loadingMore=${this.loadingMoreRooms}
          .moreError=${this.moreRoomsError}
          .current=${this.current}
          .loadError=${this.roomsError}
          .unread=${this.unread}
        ></parley-rooms>
        <parley-contacts .contacts=${this.contacts} .me=${this.me} .loadError=${this.contactsError}></parley-contacts>
      </nav>
      <footer part="footer">
        <span class="avatar" style="--hue: ${avatarHue(this.me.name)}" aria-hidden="true">${initials(this.me.name)}</span>
        <span class="me"><strong>${this.me.name}</strong><span>Signed in</span></span>
        ${this.notificationsButton()}
        <button class="button quiet" type="button" @click=${() => emit(this, 'parley-sign-out', null)}>Sign out</button>
      </footer>
    `;
  }
}

customElements.define('parley-sidebar', ParleySidebar);

declare global {
  interface HTMLElementTagNameMap {
    'parley-sidebar': ParleySidebar;
  }
}
