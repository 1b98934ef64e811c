/** The look shared by the side lists (rooms, direct conversations, people, members). */
import { css } from 'lit';
import { avatar, controls, srOnly } from './shared-styles.js';

/** The small upper-case heading over each list. */
export const listHeading = css`
  h2 {
    margin: 0;
    padding: 0 0.75rem;
    font-size: 0.75rem;
    font-weight: 700;
    letter-spacing: 0.06em;
    text-transform: uppercase;
    color: var(--parley-muted);
  }
`;

const sidebarItems = css`
  ul {
    list-style: none;
    margin: 0.35rem 0 0;
    padding: 0;
    display: grid;
    /* minmax(0, …): a long room name must shrink to an ellipsis, not widen the column. */
    grid-template-columns: minmax(0, 1fr);
    gap: 1px;
  }
  .item {
    display: flex;
    align-items: center;
    gap: 0.6rem;
    width: 100%;
    min-height: 2.25rem;
    padding: 0.3rem 0.75rem;
    border: 0;
    border-radius: var(--parley-radius-small);
    background: none;
    color: var(--parley-text);
    text-align: start;
    text-decoration: none;
    cursor: pointer;
  }
  /* Only where hovering is real: a tap on a touch screen would leave the row lit. */
  @media (hover: hover) {
    .item:hover {
      background: var(--parley-hover);
    }
  }
  .item[aria-current='page'] {
    background: var(--parley-selected);
    font-weight: 600;
  }
  .name {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .empty {
    margin: 0.35rem 0.75rem 0;
    color: var(--parley-muted);
    font-size: 0.875rem;
  }
  .empty.error-text {
    color: var(--parley-danger);
  }
  @media (max-width: 700px) {
    .item {
      min-height: 2.75rem;
    }
  }
`;

export const sidebarList = [controls, srOnly, avatar, listHeading, sidebarItems];
