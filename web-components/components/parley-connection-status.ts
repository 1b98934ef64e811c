/** Shows the Connection's state in words, as a live status the screen reader reads too. */
import { LitElement, css, html } from 'lit';
import type { ConnectionState } from '../connection/connection.js';

const LABEL: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  offline: 'offline',
};

export class ParleyConnectionStatus extends LitElement {
  static properties = { state: {} };
  declare state: ConnectionState;

  static styles = css`
    :host {
      display: inline-flex;
    }
    .status {
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
      padding: 0.15rem 0.6rem;
      border-radius: 999px;
      font-size: 0.8125rem;
      background: var(--parley-hover);
      color: var(--parley-muted);
      white-space: nowrap;
    }
    .dot {
      width: 0.5rem;
      height: 0.5rem;
      border-radius: 50%;
      background: var(--parley-away);
    }
    [data-state='connected'] .dot {
      background: var(--parley-online);
    }
    [data-state='reconnecting'],
    [data-state='connecting'] {
      background: var(--parley-warning-soft);
      color: var(--parley-warning);
    }
    [data-state='reconnecting'] .dot,
    [data-state='connecting'] .dot {
      background: var(--parley-warning);
      animation: pulse 1.2s ease-in-out infinite;
    }
    [data-state='offline'] {
      background: var(--parley-danger-soft);
      color: var(--parley-danger);
    }
    [data-state='offline'] .dot {
      background: var(--parley-danger);
    }
    @keyframes pulse {
      50% {
        opacity: 0.3;
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .dot {
        animation: none !important;
      }
    }
  `;

  constructor() {
    super();
    this.state = 'connecting';
  }

  render() {
    return html`<span class="status" part="status" role="status" data-state=${this.state}>
      <span class="dot" aria-hidden="true"></span>${LABEL[this.state]}
    </span>`;
  }
}

customElements.define('parley-connection-status', ParleyConnectionStatus);

declare global {
  interface HTMLElementTagNameMap {
    'parley-connection-status': ParleyConnectionStatus;
  }
}
