/** Who is in the room right now, as the room's presence reports it. */
import { LitElement, css, html, nothing } from 'lit';
import type { Member } from '../../server/protocol/frames.js';
import { avatarHue, initials } from '../format/avatar.js';
import { avatar } from './shared-styles.js';
import { listHeading } from './list-styles.js';

export class ParleyMembers extends LitElement {
  static properties = {
    members: { attribute: false },
    me: { attribute: false },
  };
  declare members: Member[];
  declare me: Member | undefined;

  static styles = [
    avatar,
    listHeading,
    css`
      :host {
        display: block;
        overflow-y: auto;
      }
      section {
        padding: 1rem 0.75rem;
      }
      h2 {
        margin-bottom: 0.5rem;
        padding: 0 0.5rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.15rem;
      }
      li {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        padding: 0.3rem 0.5rem;
        --avatar-size: 1.75rem;
      }
      .who {
        position: relative;
        display: inline-flex;
      }
      .name {
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .you {
        color: var(--parley-muted);
        font-size: 0.8125rem;
      }
    `,
  ];

  constructor() {
    super();
    this.members = [];
    this.me = undefined;
  }

  render() {
    return html`<section aria-label="Online members" part="panel">
      <h2 aria-hidden="true">Online — ${this.members.length}</h2>
      <ul>
        ${this.members.map(
          (m) => html`<li>
            <span class="who" aria-hidden="true"><span class="avatar" style="--hue: ${avatarHue(m.name)}">${initials(m.name)}</span></span>
            <span class="name">${m.name}</span>
            ${m.id === this.me?.id ? html`<span class="you">(you)</span>` : nothing}
          </li>`,
        )}
      </ul>
    </section>`;
  }
}

customElements.define('parley-members', ParleyMembers);

declare global {
  interface HTMLElementTagNameMap {
    'parley-members': ParleyMembers;
  }
}
