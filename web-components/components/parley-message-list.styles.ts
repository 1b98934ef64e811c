/** Layout of the message list: the scroller, day separators and the jump-to-new button. */
import { css } from 'lit';
import { messageStyles } from './message-item.js';
import { avatar, controls, srOnly } from './shared-styles.js';

export const messageListStyles = [
  controls,
  srOnly,
  avatar,
  messageStyles,
  css`
    :host {
      position: relative;
      display: flex;
      flex-direction: column;
      min-height: 0;
    }
    .scroller {
      flex: 1;
      min-height: 0;
      overflow-y: auto;
      overflow-x: hidden;
      overflow-anchor: none;
      display: flex;
      flex-direction: column;
      padding-bottom: 0.75rem;
    }
    .scroller > * {
      flex: none;
    }
    .scroller:focus-visible {
      outline-offset: -2px;
    }
    .top {
      /* A short history sits at the bottom, next to the composer, as in most chat apps. */
      margin: auto 0 0;
      padding: 1.5rem 1.25rem 0.5rem;
      color: var(--parley-muted);
      font-size: 0.9rem;
    }
    .top strong {
      display: block;
      color: var(--parley-text);
      font-size: 1.15rem;
    }
    .day {
      display: flex;
      align-items: center;
      gap: 0.75rem;
      margin: 1rem 1.25rem 0.25rem;
      font-size: 0.75rem;
      font-weight: 650;
      color: var(--parley-muted);
    }
    .day::before,
    .day::after {
      content: '';
      flex: 1;
      border-top: 1px solid var(--parley-border);
    }
    .jump {
      position: absolute;
      left: 50%;
      bottom: 0.75rem;
      transform: translateX(-50%);
      border-radius: 999px;
      box-shadow: var(--parley-shadow);
    }
      .new-divider {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      margin: 0.75rem 1.25rem 0.25rem;
      color: var(--parley-danger);
      font-size: 0.75rem;
      font-weight: 700;
      text-transform: uppercase;
      letter-spacing: 0.04em;
    }
    .new-divider::before {
      content: '';
      flex: 1;
      border-top: 1px solid var(--parley-danger);
    }
`,
];
