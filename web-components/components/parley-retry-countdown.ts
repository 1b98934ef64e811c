/**
 * "Try again in 12 s.", counting down, beside an error that came with a wait. With
 * `automatic`, Parley retries by itself and it reads "Trying again in 12 s." instead.
 * It sits inside the host's alert but does not speak every second: the alert is read once
 * with the first value, and the ticking itself is aria-live="off".
 *
 * It has no shadow root: its text is part of the host's alert (innerText, copy and paste,
 * find in page), and the host styles it (it is inline unless told otherwise).
 */
import { LitElement, html } from 'lit';
import { ClockController } from '../controllers/clock-controller.js';
import { retryText } from '../format/retry.js';

export class ParleyRetryCountdown extends LitElement {
  static properties = {
    until: { type: Number },
    automatic: { type: Boolean },
  };
  /** Epoch ms from which trying again may work. */
  declare until: number;
  declare automatic: boolean;

  constructor() {
    super();
    this.until = 0;
    this.automatic = false;
    new ClockController(this, () => this.until);
  }

  protected createRenderRoot(): HTMLElement {
    return this;
  }

  render() {
    return html`<span aria-live="off">${retryText(this.until, Date.now(), this.automatic)}</span>`;
  }
}

customElements.define('parley-retry-countdown', ParleyRetryCountdown);

declare global {
  interface HTMLElementTagNameMap {
    'parley-retry-countdown': ParleyRetryCountdown;
  }
}
