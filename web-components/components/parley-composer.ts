/**
 * Where a message is written. Enter sends, Shift+Enter starts a new line; while there is no
 * way to send (offline, no access) the field is disabled and says why. Near the length limit
 * a counter shows; sending a message over it keeps the text and says by how much. Typing
 * `@` offers the people to mention (arrows move, Enter or Tab choose, Escape closes), and
 * Up in an empty composer asks to edit the reader's last message.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { Member } from '../../server/protocol/frames.js';
import { emit } from '../events.js';
import { completeMention, mentionCandidates, mentionQuery, type MentionQuery } from '../format/mention-complete.js';
import { controls, srOnly } from './shared-styles.js';

/** The contract's body limit, in characters (code points). */
export const BODY_MAX = 4000;
const SHOW_COUNT_FROM = 3500;
const count = new Intl.NumberFormat('en');

export class ParleyComposer extends LitElement {
  static properties = {
    disabledReason: {},
    notice: {},
    placeholder: {},
    length: { state: true },
    refusedLength: { state: true },
    mentionable: { attribute: false },
    suggest: { state: true },
  };
  /** People @name completion offers, best first (who is in the room, then everyone). */
  declare mentionable: Member[];
  /** The completion list while open: what is typed, who matches, which one is marked. */
  declare suggest: { query: MentionQuery; options: Member[]; active: number } | undefined;
  /** When set, sending is impossible and this says why. */
  declare disabledReason: string;
  /** A remark that does not stop sending (e.g. "messages will go when reconnected"). */
  declare notice: string;
  declare placeholder: string;
  declare length: number;
  /** Set when sending was refused for length: the length then, until the text fits again. */
  declare refusedLength: number | undefined;

  static styles = [
    controls,
    srOnly,
    css`
      :host {
        display: block;
        padding: 0 1.25rem 1rem;
      }
      form {
        display: flex;
        align-items: flex-end;
        gap: 0.5rem;
        padding: 0.4rem;
        border: 1px solid var(--parley-border);
        border-radius: var(--parley-radius);
        background: var(--parley-surface);
      }
      form:focus-within {
        border-color: var(--parley-focus);
        box-shadow: 0 0 0 1px var(--parley-focus);
      }
      textarea {
        flex: 1;
        min-width: 0;
        min-height: 2.25rem;
        max-height: 10rem;
        padding: 0.45rem 0.5rem;
        border: 0;
        background: transparent;
        resize: none;
        field-sizing: content;
        line-height: 1.4;
      }
      textarea:focus-visible {
        outline: none;
      }
      textarea::placeholder {
        /* field-sizing grows the field to fit the placeholder too: keep it to one line. */
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      textarea:disabled {
        cursor: not-allowed;
      }
      .below[hidden] {
        display: none;
      }
      .below {
        display: flex;
        justify-content: space-between;
        gap: 1rem;
        min-height: 1.2rem;
        margin-top: 0.3rem;
        font-size: 0.8125rem;
        color: var(--parley-muted);
      }
      .reason {
        color: var(--parley-danger);
        font-weight: 600;
      }
      .over {
        color: var(--parley-danger);
      }
      .count {
        margin-inline-start: auto;
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
      }
      form {
        position: relative;
      }
      .mentions {
        position: absolute;
        bottom: calc(100% + 0.25rem);
        left: 0;
        z-index: 2;
        min-width: 12rem;
        margin: 0;
        padding: 0.25rem;
        list-style: none;
        border: 1px solid var(--parley-border);
        border-radius: var(--parley-radius-small);
        background: var(--parley-surface);
        box-shadow: var(--parley-shadow);
      }
      .mentions li {
        padding: 0.3rem 0.6rem;
        border-radius: var(--parley-radius-small);
        cursor: pointer;
      }
      .mentions li[aria-selected='true'] {
        background: var(--parley-hover);
        font-weight: 600;
      }
      @media (max-width: 700px) {
        :host {
          padding: 0 0.5rem 0.5rem;
        }
        .below {
          padding-inline: 0.25rem;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.disabledReason = '';
    this.notice = '';
    this.placeholder = 'Write a message';
    this.length = 0;
    this.refusedLength = undefined;
    this.mentionable = [];
    this.suggest = undefined;
  }

  private updateSuggest(): void {
    const field = this.field;
    const query = field.selectionStart === field.selectionEnd ? mentionQuery(field.value, field.selectionStart) : undefined;
    const options = query ? mentionCandidates(this.mentionable, query.prefix) : [];
    this.suggest = query && options.length ? { query, options, active: Math.min(this.suggest?.active ?? 0, options.length - 1) } : undefined;
  }

  private choose(m: Member): void {
    const s = this.suggest;
    if (!s) return;
    const field = this.field;
    const done = completeMention(field.value, s.query, field.selectionStart, m.name);
    field.value = done.text;
    field.setSelectionRange(done.caret, done.caret);
    this.suggest = undefined;
    this.length = [...field.value].length;
    field.focus();
  }

  private get field(): HTMLTextAreaElement {
    return this.renderRoot.querySelector('textarea')!;
  }

  override focus(options?: FocusOptions): void {
    this.field?.focus(options);
  }

  render() {
    const disabled = Boolean(this.disabledReason);
    const over = this.length > BODY_MAX;
    const refused = this.refusedLength !== undefined;
    return html`
      <form @submit=${this.submit}>
        <label class="sr-only" for="message">Message</label>
        <textarea
          id="message"
          part="textarea"
          rows="1"
          placeholder=${this.placeholder}
          ?disabled=${disabled}
          aria-describedby="composer-state"
          aria-invalid=${over ? 'true' : 'false'}
          aria-autocomplete="list"
          aria-controls="mention-options"
          aria-expanded=${this.suggest ? 'true' : 'false'}
          aria-activedescendant=${this.suggest ? `mention-${this.suggest.active}` : nothing}
          @keydown=${this.keydown}
          @input=${this.input}
          @click=${this.updateSuggest}
          @blur=${() => setTimeout(() => (this.suggest = undefined), 150)}
        ></textarea>
        ${this.suggest
          ? html`<ul class="mentions" id="mention-options" role="listbox" aria-label="People to mention">
              ${this.suggest.options.map(
                (m, i) => html`<li
                  id="mention-${i}"
                  role="option"
                  aria-selected=${i === this.suggest!.active ? 'true' : 'false'}
                  @pointerdown=${(e: Event) => {
                    e.preventDefault();
                    this.choose(m);
                  }}
                >
                  @${m.name}
                </li>`,
              )}
            </ul>`
          : nothing}
        <button class="button" type="submit" ?disabled=${disabled}>Send</button>
      </form>
      <div class="below" id="composer-state" ?hidden=${!disabled && !this.notice && !refused && this.length < SHOW_COUNT_FROM}>
        ${disabled
          ? html`<span class="reason">${this.disabledReason}</span>`
          : refused
            ? html`<span class="reason" role="alert">${tooLongText(this.refusedLength!)}</span>`
            : html`<span>${this.notice}</span>`}
        ${this.length >= SHOW_COUNT_FROM
          ? html`<span class="count ${over ? 'over' : ''}">${count.format(this.length)} / ${count.format(BODY_MAX)}</span>`
          : nothing}
      </div>
    `;
  }

  private keydown(ev: KeyboardEvent): void {
    const s = this.suggest;
    if (s && !ev.isComposing) {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        const n = s.options.length;
        this.suggest = { ...s, active: (s.active + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n };
        return;
      }
      if (ev.key === 'Enter' || ev.key === 'Tab') {
        ev.preventDefault();
        return this.choose(s.options[s.active]!);
      }
      if (ev.key === 'Escape') {
        ev.preventDefault();
        this.suggest = undefined;
        return;
      }
    }
    // Up in an empty composer edits the reader's last message, as in most chat apps.
    if (ev.key === 'ArrowUp' && this.field.value === '' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      emit(this, 'parley-edit-last', null);
      return;
    }
    // isComposing: Enter confirms an IME candidate, it does not send.
    if (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing) return;
    ev.preventDefault();
    this.send();
  }

  private input(): void {
    this.updateSuggest();
    this.length = [...this.field.value].length;
    if (this.length <= BODY_MAX) this.refusedLength = undefined;
    if (this.field.value.trim()) emit(this, 'parley-typing', null);
  }

  private submit(ev: SubmitEvent): void {
    ev.preventDefault();
    this.send();
  }

  private send(): void {
    const field = this.field;
    const body = field.value;
    if (this.disabledReason || !body.trim()) return;
    const length = [...body].length;
    // The server would refuse it; the reader keeps the text to shorten it.
    if (length > BODY_MAX) return void (this.refusedLength = length);
    emit(this, 'parley-send', { body });
    field.value = '';
    this.length = 0;
    this.refusedLength = undefined;
    this.suggest = undefined;
  }
}

/** Code points, as the server counts them. */
function tooLongText(length: number): string {
  return `This message is ${count.format(length)} characters; the limit is ${count.format(BODY_MAX)}.`;
}

customElements.define('parley-composer', ParleyComposer);

declare global {
  interface HTMLElementTagNameMap {
    'parley-composer': ParleyComposer;
  }
}
