/** Everyone else on Parley, online first; choosing a person opens the direct conversation. */
import { LitElement, css, html, nothing } from 'lit';
import type { Contact, User } from '../api/parley-api.js';
import { emit } from '../events.js';
import { avatarHue, initials } from '../format/avatar.js';
import type { ShownError } from '../format/retry.js';
import { sidebarList } from './list-styles.js';
import './parley-retry-countdown.js';

export class ParleyContacts extends LitElement {
  static properties = {
    contacts: { attribute: false },
    me: { attribute: false },
    loadError: { attribute: false },
  };
  declare contacts: Contact[] | undefined;
  declare me: User | undefined;
  /** The list could not be loaded, or a conversation could not be opened (maybe with a wait). */
  declare loadError: ShownError | undefined;

  static styles = [
    ...sidebarList,
    css`
      :host {
        display: block;
      }
      .who {
        position: relative;
        --avatar-size: 1.5rem;
        display: inline-flex;
      }
      .presence {
        position: absolute;
        right: -2px;
        bottom: -2px;
        width: 0.6rem;
        height: 0.6rem;
        border-radius: 50%;
        border: 2px solid var(--parley-sidebar);
        background: var(--parley-away);
      }
      .presence.on {
        background: var(--parley-online);
      }
      .off .name {
        color: var(--parley-muted);
      }
      parley-retry-countdown {
        display: block;
        font-weight: 600;
        font-variant-numeric: tabular-nums;
      }
    `,
  ];

  constructor() {
    super();
    this.contacts = undefined;
    this.me = undefined;
    this.loadError = undefined;
  }

  render() {
    const people = (this.contacts ?? [])
      .filter((c) => c.id !== this.me?.id)
      .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
    return html`<section aria-labelledby="people-heading">
      <h2 id="people-heading">People</h2>
      ${this.loadError
        ? html`<div class="empty error-text" role="alert">
            ${this.loadError.message}
            ${this.loadError.retryAt ? html`<parley-retry-countdown .until=${this.loadError.retryAt}></parley-retry-countdown>` : nothing}
          </div>`
        : nothing}
      ${this.contacts && people.length === 0 ? html`<p class="empty">Nobody else has signed up yet.</p>` : nothing}
      <ul aria-label="People">
        ${people.map(
          (c) => html`<li>
            <button class="item ${c.online ? 'on' : 'off'}" type="button" title="Message ${c.name}" @click=${() => emit(this, 'parley-open-direct', { user: c.name })}>
              <span class="who" aria-hidden="true">
                <span class="avatar" style="--hue: ${avatarHue(c.name)}">${initials(c.name)}</span>
                <span class="presence ${c.online ? 'on' : ''}"></span>
              </span>
              <span class="name">${c.name}</span>
              <span class="sr-only">${c.online ? ', online' : ', offline'}</span>
            </button>
          </li>`,
        )}
      </ul>
    </section>`;
  }
}

customElements.define('parley-contacts', ParleyContacts);

declare global {
  interface HTMLElementTagNameMap {
    'parley-contacts': ParleyContacts;
  }
}
