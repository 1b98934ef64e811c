/** Layout of the room view: header, chat column and the members panel (a drop-down on phones). */
import { css } from 'lit';
import { controls, srOnly } from './shared-styles.js';

export const roomStyles = [
  controls,
  srOnly,
  css`
    [hidden] {
      display: none !important;
    }
    :host {
      display: flex;
      flex-direction: column;
      min-height: 0;
      min-width: 0;
      background: var(--parley-surface);
    }
    .bar {
      position: relative;
      display: flex;
      align-items: center;
      gap: 0.75rem;
      min-height: 3.5rem;
      padding: 0.5rem 1.25rem;
      border-bottom: 1px solid var(--parley-border);
    }
    .back {
      display: none;
      align-items: center;
      gap: 0.2rem;
      padding: 0.35rem 0.5rem 0.35rem 0.25rem;
      border-radius: var(--parley-radius-small);
      color: var(--parley-link);
      font-weight: 600;
      text-decoration: none;
    }
    .back span {
      font-size: 1.5rem;
      line-height: 1;
    }
    .title {
      flex: 1;
      min-width: 0;
    }
    h1 {
      margin: 0;
      font-size: 1.1rem;
      font-weight: 700;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    h1:focus {
      outline: none;
    }
    h1:focus-visible {
      outline: 2px solid var(--parley-focus);
    }
    .hash {
      color: var(--parley-muted);
      margin-right: 0.15rem;
    }
    .subtitle {
      margin: 0;
      font-size: 0.8125rem;
      color: var(--parley-muted);
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .members-toggle {
      display: none;
      gap: 0.4rem;
      min-height: 2.25rem;
      font-variant-numeric: tabular-nums;
    }
    .online-dot {
      width: 0.5rem;
      height: 0.5rem;
      border-radius: 50%;
      background: var(--parley-online);
    }
    .body {
      position: relative;
      flex: 1;
      min-height: 0;
      display: grid;
      grid-template-columns: minmax(0, 1fr) 15rem;
    }
    .chat {
      display: flex;
      flex-direction: column;
      min-height: 0;
      min-width: 0;
    }
    parley-message-list {
      flex: 1;
    }
    .typing {
      min-height: 1.35rem;
      margin: 0;
      padding: 0 1.25rem;
      font-size: 0.8125rem;
      font-style: italic;
      color: var(--parley-muted);
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    parley-members {
      border-left: 1px solid var(--parley-border);
      background: var(--parley-bg);
    }
    .blocked {
      flex: 1;
      padding: 1.5rem 1.25rem;
    }
    .room-error {
      display: flex;
      flex-direction: column;
      align-items: flex-start;
      gap: 0.5rem;
      padding: 1rem 1.25rem;
      border-radius: var(--parley-radius);
      background: var(--parley-danger-soft);
      color: var(--parley-danger);
    }
    .room-error a {
      color: var(--parley-link);
    }
    .room-error .retry {
      color: var(--parley-text);
      font-weight: 600;
      font-variant-numeric: tabular-nums;
    }
    .rejoin {
      display: flex;
      flex-wrap: wrap;
      gap: 0 0.5rem;
      margin: 0 1.25rem 0.4rem;
      padding: 0.35rem 0.75rem;
      border-radius: var(--parley-radius-small);
      background: var(--parley-warning-soft);
      color: var(--parley-warning);
      font-size: 0.8125rem;
      font-variant-numeric: tabular-nums;
    }
    @media (max-width: 900px) {
      .body {
        grid-template-columns: minmax(0, 1fr) 12rem;
      }
    }
    @media (max-width: 700px) {
      .bar {
        flex-wrap: wrap;
        gap: 0.4rem;
        padding: 0.4rem 0.5rem;
      }
      /* A line of their own under the title: the room's name keeps the width. */
      .room-actions {
        order: 10;
        flex-basis: 100%;
        justify-content: flex-end;
      }
      .back,
      .members-toggle {
        display: inline-flex;
      }
      .body {
        grid-template-columns: minmax(0, 1fr);
      }
      .typing {
        padding: 0 0.75rem;
      }
      parley-members {
        display: none;
        position: absolute;
        z-index: 2;
        top: 0;
        right: 0;
        width: min(16rem, 85vw);
        max-height: 70%;
        border: 1px solid var(--parley-border);
        border-top: 0;
        border-radius: 0 0 0 var(--parley-radius);
        background: var(--parley-surface);
        box-shadow: var(--parley-shadow);
      }
      parley-members.open {
        display: block;
      }
    }
    .room-actions {
    display: flex;
    gap: 0.25rem;
    margin-left: auto;
  }
  .button.small {
    min-height: 1.9rem;
    padding: 0.2rem 0.7rem;
    font-size: 0.8125rem;
  }
  .topic-form {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem;
    margin-top: 0.25rem;
  }
  .topic-form .field {
    flex: 1 1 14rem;
    min-height: 1.9rem;
  }
  .create-actions {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.75rem;
    margin-top: 0.5rem;
  }
`,
];
