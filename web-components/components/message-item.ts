/**
 * How one message looks: templates and styles for the message list, kept here so the list
 * itself only deals with order, scrolling and announcements. Bodies are bound as text parts
 * (see format/linkify.ts), never as HTML.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import type { ChatMessage, Member } from '../../server/protocol/frames.js';
import type { PendingMessage } from '../connection/room-log.js';
import { avatarHue, initials } from '../format/avatar.js';
import { linkify } from '../format/linkify.js';
import { clockTime, fullDateTime, isoTime } from '../format/time.js';

export function bodyTemplate(body: string): TemplateResult {
  return html`${linkify(body).map((part) =>
    part.kind === 'link' ? html`<a href=${part.href} target="_blank" rel="noopener noreferrer">${part.text}</a>` : part.text,
  )}`;
}

function timeTemplate(at: number, cls: string): TemplateResult {
  return html`<time class=${cls} datetime=${isoTime(at)} title=${fullDateTime(at)}>${clockTime(at)}</time>`;
}

function avatarTemplate(user: Member): TemplateResult {
  return html`<span class="avatar" style="--hue: ${avatarHue(user.name)}" aria-hidden="true">${initials(user.name)}</span>`;
}

/** `continues`: same author as the message above, so the name and avatar are left out. */
export function messageTemplate(m: ChatMessage, continues: boolean, mine: boolean): TemplateResult {
  return html`<div class="message ${continues ? 'continues' : 'first'} ${mine ? 'mine' : ''}" data-seq=${m.seq}>
    ${continues ? timeTemplate(m.at, 'gutter-time') : avatarTemplate(m.user)}
    <div class="content">
      ${continues
        ? html`<span class="sr-only">${m.user.name}:</span>`
        : html`<div class="meta"><span class="author">${m.user.name}</span>${timeTemplate(m.at, 'time')}</div>`}
      <p class="body">${bodyTemplate(m.body)}</p>
    </div>
  </div>`;
}

function pendingState(p: PendingMessage): string {
  if (p.state === 'failed') return 'not sent';
  if (p.state === 'queued' && p.reason) return `waiting to send (${p.reason})`;
  return 'sending…';
}

export function pendingTemplate(
  p: PendingMessage,
  me: Member,
  continues: boolean,
  actions: { retry: (cid: string) => void; discard: (cid: string) => void },
): TemplateResult {
  const failed = p.state === 'failed';
  return html`<div class="message pending mine ${continues ? 'continues' : 'first'} ${failed ? 'failed' : ''}" data-pending data-cid=${p.cid}>
    ${continues ? html`<span class="gutter-time"></span>` : avatarTemplate(me)}
    <div class="content">
      ${continues ? nothing : html`<div class="meta"><span class="author">${me.name}</span></div>`}
      <p class="body">${bodyTemplate(p.body)}</p>
      <p class="delivery">${pendingState(p)}</p>
      ${failed
        ? html`<div class="failure">
            <span>${p.reason ?? 'The server did not accept this message.'}</span>
            <button class="button small" type="button" @click=${() => actions.retry(p.cid)}>Retry</button>
            <button class="button small quiet" type="button" @click=${() => actions.discard(p.cid)}>Discard</button>
          </div>`
        : nothing}
    </div>
  </div>`;
}

export const messageStyles = css`
  .message {
    display: grid;
    grid-template-columns: 2.25rem minmax(0, 1fr);
    column-gap: 0.75rem;
    padding: 0.15rem 1.25rem;
  }
  .message.first {
    margin-top: 0.75rem;
  }
  /* Only where hovering is real: a tap on a touch screen would leave the row lit. */
  @media (hover: hover) {
    .message:hover {
      background: var(--parley-hover);
    }
    .message:hover .gutter-time {
      opacity: 1;
    }
  }
  .content {
    min-width: 0;
  }
  .meta {
    display: flex;
    align-items: baseline;
    gap: 0.5rem;
  }
  .author {
    font-weight: 650;
  }
  .time,
  .gutter-time {
    font-size: 0.75rem;
    color: var(--parley-muted);
    font-variant-numeric: tabular-nums;
  }
  .gutter-time {
    /* On one line and out of the row's height: it may run into the gutter's padding. */
    justify-self: end;
    align-self: start;
    height: 0;
    overflow: visible;
    white-space: nowrap;
    font-size: 0.6875rem;
    line-height: 1.45rem;
    opacity: 0;
  }
  .message:focus-within .gutter-time {
    opacity: 1;
  }
  .body {
    margin: 0;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .body a {
    color: var(--parley-link);
  }
  .pending .body {
    color: var(--parley-muted);
  }
  .delivery {
    margin: 0;
    font-size: 0.75rem;
    color: var(--parley-muted);
    font-style: italic;
  }
  .failed .delivery {
    color: var(--parley-danger);
    font-style: normal;
    font-weight: 600;
  }
  .failure {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.4rem 0.5rem;
    margin-top: 0.3rem;
    padding: 0.4rem 0.6rem;
    border-radius: var(--parley-radius-small);
    background: var(--parley-danger-soft);
    color: var(--parley-danger);
    font-size: 0.875rem;
  }
  .failure span {
    flex: 1 1 12rem;
  }
  .button.small {
    min-height: 1.9rem;
    padding: 0.2rem 0.7rem;
    font-size: 0.8125rem;
  }
  @media (max-width: 700px) {
    .message {
      padding-inline: 0.75rem;
      column-gap: 0.6rem;
    }
  }
`;
