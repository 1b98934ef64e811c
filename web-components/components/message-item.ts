/**
 * How one message looks: templates and styles for the message list, kept here so the list
 * itself only deals with order, scrolling and announcements. Bodies are Markdown rendered
 * through Lit bindings (see rich-text.ts), never set as HTML.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import type { ChatMessage, Member } from '../../server/protocol/frames.js';
import type { PendingMessage } from '../connection/room-log.js';
import { avatarHue, initials } from '../format/avatar.js';
import { clockTime, fullDateTime, isoTime } from '../format/time.js';
import { richText, richTextStyles } from './rich-text.js';

export function bodyTemplate(body: string, me?: string): TemplateResult {
  return richText(body, me);
}

/** What the list needs to offer on a message of the reader's own. */
export interface MessageActions {
  /** The reader's name, for highlighting their mentions. */
  me: string;
  /** This message is being edited in place. */
  editing: boolean;
  /** Its actions are shown without hovering (after a long press on a touch screen). */
  showActions: boolean;
  /** Why the last edit or delete of it failed, as a sentence. */
  failure?: string;
  /** A delete waits for the reader to confirm it. */
  confirmingDelete: boolean;
  edit: (seq: number) => void;
  save: (seq: number, body: string) => void;
  cancel: () => void;
  askDelete: (seq: number) => void;
  remove: (seq: number) => void;
}

function timeTemplate(at: number, cls: string): TemplateResult {
  return html`<time class=${cls} datetime=${isoTime(at)} title=${fullDateTime(at)}>${clockTime(at)}</time>`;
}

function avatarTemplate(user: Member): TemplateResult {
  return html`<span class="avatar" style="--hue: ${avatarHue(user.name)}" aria-hidden="true">${initials(user.name)}</span>`;
}

function editorTemplate(m: ChatMessage, a: MessageActions): TemplateResult {
  const save = (ev: Event) => {
    ev.preventDefault();
    const area = (ev.currentTarget as HTMLElement).closest('.editor')!.querySelector('textarea')!;
    a.save(m.seq, area.value);
  };
  return html`<div class="editor">
    <textarea
      class="field"
      aria-label="Edit message"
      .value=${m.body}
      rows="2"
      @keydown=${(ev: KeyboardEvent) => {
        if (ev.key === 'Escape') {
          ev.preventDefault();
          a.cancel();
        } else if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
          save(ev);
        }
      }}
    ></textarea>
    <div class="editor-actions">
      <button class="button small" type="button" @click=${save}>Save</button>
      <button class="button small quiet" type="button" @click=${a.cancel}>Cancel</button>
      <span class="hint">Enter to save · Esc to cancel</span>
    </div>
  </div>`;
}

function ownActionsTemplate(m: ChatMessage, a: MessageActions): TemplateResult {
  if (a.confirmingDelete) {
    return html`<div class="confirm" role="group" aria-label="Delete this message?">
      <span>Delete this message for everyone?</span>
      <button class="button small danger" type="button" @click=${() => a.remove(m.seq)}>Delete</button>
      <button class="button small quiet" type="button" @click=${a.cancel}>Keep</button>
    </div>`;
  }
  return html`<div class="actions ${a.showActions ? 'shown' : ''}" role="group" aria-label="Message actions">
    <button class="button small quiet" type="button" @click=${() => a.edit(m.seq)}>Edit</button>
    <button class="button small quiet" type="button" @click=${() => a.askDelete(m.seq)}>Delete</button>
  </div>`;
}

/**
 * `continues`: same author as the message above, so the name and avatar are left out.
 * `actions`: given for the reader's own messages, which they may edit and delete.
 */
export function messageTemplate(m: ChatMessage, continues: boolean, mine: boolean, actions?: MessageActions, me?: string): TemplateResult {
  const editing = actions?.editing ?? false;
  return html`<div class="message ${continues ? 'continues' : 'first'} ${mine ? 'mine' : ''} ${m.deleted ? 'deleted' : ''}" data-seq=${m.seq}>
    ${continues ? timeTemplate(m.at, 'gutter-time') : avatarTemplate(m.user)}
    <div class="content">
      ${continues
        ? html`<span class="sr-only">${m.user.name}:</span>`
        : html`<div class="meta"><span class="author">${m.user.name}</span>${timeTemplate(m.at, 'time')}</div>`}
      ${m.deleted
        ? html`<p class="body gone">message deleted</p>`
        : editing && actions
          ? editorTemplate(m, actions)
          : html`<div class="body">${bodyTemplate(m.body, me ?? actions?.me)}${m.edited
              ? html`<span class="edited" title=${`edited ${fullDateTime(m.edited)}`}>(edited)</span>`
              : nothing}</div>`}
      ${actions?.failure ? html`<p class="change-failed" role="alert">${actions.failure}</p>` : nothing}
    </div>
    ${actions && !m.deleted && !editing ? ownActionsTemplate(m, actions) : nothing}
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
      <div class="body">${bodyTemplate(p.body, me.name)}</div>
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

export const messageStyles = [richTextStyles, css`
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
  .message {
    position: relative;
  }
  /* "(edited)" right after the text's last line when it fits there. */
  div.body {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    column-gap: 0.35rem;
  }
  div.body > .rich-text {
    min-width: 0;
    max-width: 100%;
  }
  .edited {
    font-size: 0.75rem;
    color: var(--parley-muted);
  }
  .body.gone {
    font-style: italic;
    color: var(--parley-muted);
  }
  .actions {
    position: absolute;
    top: -0.6rem;
    right: 1rem;
    display: none;
    gap: 0.2rem;
    padding: 0.15rem;
    border: 1px solid var(--parley-border);
    border-radius: var(--parley-radius-small);
    background: var(--parley-surface);
    box-shadow: var(--parley-shadow);
  }
  .actions.shown,
  .message:focus-within .actions {
    display: flex;
  }
  @media (hover: hover) {
    .message:hover .actions {
      display: flex;
    }
  }
  .confirm,
  .editor-actions {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.4rem;
    margin-top: 0.3rem;
    font-size: 0.875rem;
  }
  .confirm {
    grid-column: 2;
  }
  .editor textarea {
    width: 100%;
    box-sizing: border-box;
    resize: vertical;
    font: inherit;
  }
  .editor .hint {
    font-size: 0.75rem;
    color: var(--parley-muted);
  }
  .button.danger {
    background: var(--parley-danger);
    color: #fff;
  }
  .change-failed {
    margin: 0.2rem 0 0;
    font-size: 0.8125rem;
    color: var(--parley-danger);
  }
  .jump-target {
    animation: parley-jump 2.4s ease-out;
  }
  @keyframes parley-jump {
    from {
      background: var(--parley-accent-soft, rgba(80, 120, 255, 0.25));
    }
  }
`];
