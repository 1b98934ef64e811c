/**
 * Who is in the room: those online as the room's presence reports them, and in a direct room
 * both of its people whether online or not. Everyone but the reader is a button that opens a
 * direct conversation with them.
 */
import { LitElement, css, html } from 'lit';
import type { Member } from '../../server/protocol/frames.js';
import { emit } from '../events.js';
import { avatarHue, initials } from '../format/avatar.js';
import { avatar, controls, srOnly } from './shared-styles.js';
import { listHeading } from './list-styles.js';

export class ParleyMembers extends LitElement {
  static properties = {
    members: { attribute: false },
    people: { attribute: false },
    me: { attribute: false },
  };
  /** Who is online. */
  declare members: Member[];
  /** Who is listed even when offline (a direct room's two people); empty lists only `members`. */
  declare people: Member[];
  declare me: Member | undefined;

  static styles = [
    controls,
    srOnly,
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
      .person {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        width: 100%;
        min-height: 2.25rem;
        padding: 0.3rem 0.5rem;
        border: 0;
        border-radius: var(--parley-radius-small);
        background: none;
        text-align: start;
        --avatar-size: 1.75rem;
      }
      button.person {
        cursor: pointer;
      }
      @media (hover: hover) {
        button.person:hover {
          background: var(--parley-hover);
        }
      }
      .who {
        position: relative;
        display: inline-flex;
      }
      .presence {
        position: absolute;
        right: -0.1rem;
        bottom: -0.1rem;
        width: 0.65rem;
        height: 0.65rem;
        border-radius: 50%;
        /* The ring in the panel's colour parts the dot from the avatar under it. */
        box-shadow: 0 0 0 2px var(--parley-bg);
      }
      .presence.on {
        background: var(--parley-online);
      }
      .presence.off {
        background: var(--parley-bg);
        border: 2px solid var(--parley-away);
      }
      .off-person .avatar {
        opacity: 0.5;
      }
      .name {
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .off-person .name {
        color: var(--parley-muted);
      }
      .you,
      .state {
        color: var(--parley-muted);
        font-size: 0.8125rem;
      }
      @media (max-width: 700px) {
        .person {
          min-height: 2.75rem;
        }
        .presence {
          box-shadow: 0 0 0 2px var(--parley-surface);
        }
      }
    `,
  ];

  constructor() {
    super();
    this.members = [];
    this.people = [];
    this.me = undefined;
  }

  render() {
    const online = new Set(this.members.map((m) => m.id));
    const listed = [...this.people];
    for (const m of this.members) if (!listed.some((p) => p.id === m.id)) listed.push(m);
    const everyone = this.people.length > 0;
    return html`<section aria-label=${everyone ? 'Members' : 'Online members'} part="panel">
      <h2 aria-hidden="true">${everyone ? `Members — ${listed.length}` : `Online — ${listed.length}`}</h2>
      <ul>
        ${listed.map((m) => html`<li>${this.person(m, online.has(m.id))}</li>`)}
      </ul>
    </section>`;
  }

  private person(m: Member, on: boolean) {
    const inner = html`<span class="who" aria-hidden="true"
        ><span class="avatar" style="--hue: ${avatarHue(m.name)}">${initials(m.name)}</span
        ><span class="presence ${on ? 'on' : 'off'}"></span></span
      ><span class="name">${m.name}</span>${on ? html`<span class="sr-only">, online</span>` : html`<span class="state">offline</span>`}`;
    if (m.id === this.me?.id) return html`<div class="person ${on ? '' : 'off-person'}">${inner}<span class="you">(you)</span></div>`;
    return html`<button
      class="person ${on ? '' : 'off-person'}"
      type="button"
      title="Send ${m.name} a direct message"
      @click=${() => emit(this, 'parley-open-direct', { user: m.name })}
    >
      ${inner}
    </button>`;
  }
}

customElements.define('parley-members', ParleyMembers);

declare global {
  interface HTMLElementTagNameMap {
    'parley-members': ParleyMembers;
  }
}
