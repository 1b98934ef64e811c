/** How the search box and its results panel look: beside the component, as the room's are. */
import { css } from 'lit';
import { controls, srOnly } from './shared-styles.js';

export const searchStyles = [
  controls,
  srOnly,
  css`
    :host {
      position: relative;
      display: block;
      flex: 1 1 auto;
      min-width: 0;
      max-width: 30rem;
    }
    form {
      display: flex;
      align-items: center;
      gap: 0.6rem;
    }
    input[type='search'] {
      flex: 1;
      min-width: 0;
      min-height: 2rem;
      padding-block: 0.3rem;
    }
    .scope {
      display: inline-flex;
      align-items: center;
      gap: 0.3rem;
      font-size: 0.85rem;
      color: var(--parley-muted);
      white-space: nowrap;
      cursor: pointer;
    }
    .scope.in-panel {
      display: none;
    }
    .panel {
      position: absolute;
      z-index: 20;
      top: calc(100% + 0.55rem);
      inset-inline-end: 0;
      width: min(36rem, calc(100vw - 2rem));
      max-height: min(70vh, 40rem);
      display: flex;
      flex-direction: column;
      border: 1px solid var(--parley-border);
      border-radius: var(--parley-radius);
      background: var(--parley-surface);
      box-shadow: var(--parley-shadow);
      overflow: hidden;
    }
    .panel-head {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 0.75rem;
      padding: 0.5rem 0.6rem 0.5rem 1rem;
      border-bottom: 1px solid var(--parley-border);
    }
    h2 {
      margin: 0;
      min-width: 0;
      font-size: 0.9rem;
      font-weight: 600;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .close {
      min-height: 2rem;
      padding-inline: 0.6rem;
    }
    .scroll {
      overflow-y: auto;
      overscroll-behavior: contain;
      padding: 0.35rem;
    }
    ol {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: 2px;
    }
    /* A hairline between results: each is three or four lines, and they would run together. */
    li + li {
      border-top: 1px solid var(--parley-border);
      padding-top: 2px;
    }
    .hit {
      display: grid;
      gap: 0.15rem;
      width: 100%;
      padding: 0.5rem 0.65rem;
      border: 0;
      border-radius: var(--parley-radius-small);
      background: none;
      color: var(--parley-text);
      text-align: start;
      cursor: pointer;
    }
    @media (hover: hover) {
      .hit:hover {
        background: var(--parley-hover);
      }
    }
    .hit:focus-visible {
      outline-offset: -2px;
      background: var(--parley-hover);
    }
    .meta {
      display: flex;
      align-items: baseline;
      gap: 0.5rem;
      min-width: 0;
      font-size: 0.85rem;
    }
    .where {
      font-weight: 650;
      color: var(--parley-accent);
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .author {
      font-weight: 600;
      white-space: nowrap;
    }
    time {
      margin-inline-start: auto;
      color: var(--parley-muted);
      font-size: 0.8rem;
      white-space: nowrap;
    }
    .body,
    .context {
      overflow-wrap: anywhere;
    }
    .body {
      display: -webkit-box;
      -webkit-box-orient: vertical;
      -webkit-line-clamp: 4;
      overflow: hidden;
    }
    .context {
      color: var(--parley-muted);
      font-size: 0.85rem;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    mark {
      background: var(--parley-accent-soft);
      color: inherit;
      font-weight: 700;
      border-radius: 2px;
    }
    .note {
      margin: 0;
      padding: 0.75rem 0.65rem;
      color: var(--parley-muted);
    }
    .note.error-text {
      color: var(--parley-danger);
    }
    .more {
      display: flex;
      justify-content: center;
      padding: 0.5rem 0 0.25rem;
    }
    @media (max-width: 700px) {
      /* A phone has no room for a popover: the panel takes the screen below the top bar. */
      .panel {
        position: fixed;
        top: var(--panel-top, 3.25rem);
        left: 0;
        right: 0;
        bottom: 0;
        width: auto;
        max-height: none;
        border-inline: 0;
        border-bottom: 0;
        border-radius: 0;
        box-shadow: none;
      }
      .hit {
        padding-block: 0.65rem;
      }
      .scope.in-bar {
        display: none;
      }
      .scope.in-panel {
        display: inline-flex;
      }
      .panel-head {
        flex-wrap: wrap;
        gap: 0.25rem 0.75rem;
      }
      h2 {
        flex: 1 1 100%;
        order: -1;
      }
    }
  `,
];
