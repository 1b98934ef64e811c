/**
 * Style pieces several components need inside their shadow roots (which the page's styles
 * do not reach): the visually-hidden helper, focus rings, and the look of buttons and fields.
 */
import { css } from 'lit';

export const srOnly = css`
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }
`;

export const controls = css`
  :host {
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button,
  input,
  textarea {
    font: inherit;
    color: inherit;
  }
  :focus-visible {
    outline: 2px solid var(--parley-focus);
    outline-offset: 2px;
  }
  .button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.35rem;
    min-height: 2.25rem;
    padding: 0.4rem 0.9rem;
    border: 1px solid transparent;
    border-radius: var(--parley-radius-small);
    background: var(--parley-accent);
    color: var(--parley-on-accent);
    font-weight: 600;
    cursor: pointer;
    white-space: nowrap;
  }
  .button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  .button.quiet {
    background: transparent;
    color: var(--parley-text);
    border-color: var(--parley-border);
    font-weight: 500;
  }
  /* Only where hovering is real: a tap on a touch screen would leave the button lit. */
  @media (hover: hover) {
    .button:hover:not(:disabled) {
      background: var(--parley-accent-hover);
    }
    .button.quiet:hover:not(:disabled) {
      background: var(--parley-hover);
    }
  }
  .field {
    width: 100%;
    min-height: 2.25rem;
    padding: 0.45rem 0.7rem;
    border: 1px solid var(--parley-border);
    border-radius: var(--parley-radius-small);
    background: var(--parley-surface);
  }
  .field:focus-visible {
    outline-offset: 0;
    border-color: var(--parley-focus);
  }
  .field[aria-invalid='true'] {
    border-color: var(--parley-danger);
  }
  .error-text {
    color: var(--parley-danger);
    font-size: 0.875rem;
  }
`;

export const avatar = css`
  .avatar {
    flex: none;
    display: inline-grid;
    place-items: center;
    width: var(--avatar-size, 2.25rem);
    height: var(--avatar-size, 2.25rem);
    border-radius: 50%;
    background: hsl(var(--hue) 55% 42%);
    color: #fff;
    font-size: calc(var(--avatar-size, 2.25rem) * 0.4);
    font-weight: 650;
    letter-spacing: 0.02em;
    user-select: none;
  }
`;
