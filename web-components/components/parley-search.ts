/**
 * Message search for the top bar: a search box, and on Enter a panel of results under the
 * bar (the full width below it on a phone). Each result names its room, author and time, shows
 * the matching body with the query's words in bold and the messages around it muted, and is a
 * button: choosing one emits `parley-open-result` and closes the panel; the owner opens the
 * room at that message. Escape, a click elsewhere or the close button closes the panel too.
 *
 * Arrow keys move between the search box and the results, so the list is quick to walk
 * without tabbing; Tab still works as everywhere. Every piece of user text is bound as text.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { HttpError } from '../api/http.js';
import { searchMessages, type SearchHit } from '../api/search-api.js';
import { emit } from '../events.js';
import { excerpt, highlight } from '../format/highlight.js';
import { shownError, type ShownError } from '../format/retry.js';
import { clockTime, dayLabel, fullDateTime, isoTime } from '../format/time.js';
import { searchStyles } from './parley-search.styles.js';
import './parley-retry-countdown.js';

/** Results per page: enough to fill the panel, few enough to come back fast. */
const PAGE = 20;

const SENTENCES = {
  invalid: 'Type a word to search for.',
  not_found: 'This room no longer exists, so it cannot be searched.',
  forbidden: 'You cannot search this room.',
};

export class ParleySearch extends LitElement {
  static properties = {
    room: {},
    open: { type: Boolean, reflect: true },
    inRoom: { state: true },
    query: { state: true },
    hits: { state: true },
    next: { state: true },
    loading: { state: true },
    error: { state: true },
  };
  /** The room on screen, if any: with it the "In this room" filter is offered. */
  declare room: string | undefined;
  /** Whether the results panel shows (reflected, so the owner can style around it). */
  declare open: boolean;
  declare inRoom: boolean;
  /** The query the results are for (what was submitted, not what is being typed). */
  declare query: string;
  /** Undefined until the first page of the current query arrives. */
  declare hits: SearchHit[] | undefined;
  declare next: number | null;
  /** 'first': a new search; 'more': the next page. */
  declare loading: 'first' | 'more' | undefined;
  declare error: ShownError | undefined;

  /** Counts searches, so the answer to one the reader has since replaced is dropped. */
  private generation = 0;
  /** The room the results were searched in (the filter may change after). */
  private searchedRoom: string | undefined;

  static styles = searchStyles;

  constructor() {
    super();
    this.room = undefined;
    this.open = false;
    this.inRoom = false;
    this.query = '';
    this.hits = undefined;
    this.next = null;
    this.loading = undefined;
    this.error = undefined;
  }

  /** A press anywhere outside closes the panel, as a popover does. */
  private readonly onDocumentPointerDown = (e: PointerEvent) => {
    if (this.open && !e.composedPath().includes(this)) this.open = false;
  };
  private readonly onResize = () => this.placePanel();

  connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('pointerdown', this.onDocumentPointerDown);
    window.addEventListener('resize', this.onResize);
  }

  disconnectedCallback(): void {
    document.removeEventListener('pointerdown', this.onDocumentPointerDown);
    window.removeEventListener('resize', this.onResize);
    super.disconnectedCallback();
  }

  /** Puts the search box in focus (for a keyboard shortcut the owner may bind). */
  focusInput(): void {
    this.input?.focus();
  }

  private get input(): HTMLInputElement | null {
    return this.renderRoot.querySelector<HTMLInputElement>('input[type="search"]');
  }

  private get resultButtons(): HTMLButtonElement[] {
    return [...this.renderRoot.querySelectorAll<HTMLButtonElement>('.hit')];
  }

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('open') && this.open) this.placePanel();
  }

  /** At phone width the panel is fixed to the viewport, starting just below the top bar. */
  private placePanel(): void {
    const panel = this.renderRoot.querySelector<HTMLElement>('.panel');
    if (!panel) return;
    // The host sits inside the top bar, whose padding and border are a few px below it.
    const bar = this.getBoundingClientRect().bottom + 6;
    panel.style.setProperty('--panel-top', `${Math.round(bar)}px`);
  }

  render() {
    return html`
      <form role="search" @submit=${this.onSubmit} @keydown=${this.onFormKeydown}>
        <input
          class="field"
          type="search"
          name="q"
          aria-label="Search messages"
          placeholder="Search messages"
          autocomplete="off"
          enterkeyhint="search"
          maxlength="200"
        />
        ${this.scopeControl('in-bar')}
      </form>
      <p class="sr-only" role="status">${this.announcement()}</p>
      ${this.open ? this.panel() : nothing}
    `;
  }

  private panel(): TemplateResult {
    const where = this.searchedRoom ? ` in #${this.searchedRoom}` : '';
    return html`<section class="panel" aria-labelledby="search-heading" @keydown=${this.onPanelKeydown}>
      <div class="panel-head">
        <h2 id="search-heading">Results for “${this.query}”${where}</h2>
        ${this.scopeControl('in-panel')}
        <button class="button quiet close" type="button" aria-label="Close search results" @click=${this.closeToInput}>Close</button>
      </div>
      <div class="scroll">${this.panelBody()}</div>
    </section>`;
  }

  /**
   * The "In this room" filter, offered only in a room. It sits beside the box, except on a
   * phone, where the bar has no room to spare: there it heads the panel (one of the two is
   * display:none at any width, so only one is ever in the accessibility tree).
   */
  private scopeControl(where: 'in-bar' | 'in-panel'): TemplateResult | typeof nothing {
    if (!this.room) return nothing;
    return html`<label class="scope ${where}">
      <input type="checkbox" .checked=${this.inRoom} @change=${this.onScopeChange} />
      In this room
    </label>`;
  }

  private panelBody(): TemplateResult {
    if (this.loading === 'first') return html`<p class="note">Searching…</p>`;
    const hits = this.hits ?? [];
    return html`
      ${this.error && this.hits === undefined ? this.errorNote() : nothing}
      ${this.hits !== undefined && hits.length === 0 ? html`<p class="note">No messages match “${this.query}”.</p>` : nothing}
      ${hits.length > 0 ? html`<ol aria-label="Search results">${hits.map((hit) => html`<li>${this.hitTemplate(hit)}</li>`)}</ol>` : nothing}
      ${this.error && this.hits !== undefined ? this.errorNote() : nothing}
      ${this.next !== null && this.hits !== undefined
        ? html`<div class="more">
            <button class="button quiet" type="button" ?disabled=${this.loading === 'more'} @click=${this.loadMore}>
              ${this.loading === 'more' ? 'Loading…' : 'More results'}
            </button>
          </div>`
        : nothing}
    `;
  }

  private errorNote(): TemplateResult {
    const e = this.error!;
    return html`<p class="note error-text" role="alert">
      ${e.message} ${e.retryAt ? html`<parley-retry-countdown .until=${e.retryAt}></parley-retry-countdown>` : nothing}
    </p>`;
  }

  private hitTemplate(hit: SearchHit): TemplateResult {
    const m = hit.message;
    const now = Date.now();
    return html`<button class="hit" type="button" data-room=${hit.room.name} data-seq=${m.seq} @click=${() => this.choose(hit)}>
      <span class="meta">
        <span class="where">${hitRoomLabel(hit)}</span>
        <span class="author">${m.user.name}</span>
        <time datetime=${isoTime(m.at)} title=${fullDateTime(m.at)}>${dayLabel(m.at, now)}, ${clockTime(m.at)}</time>
      </span>
      ${hit.before ? this.contextTemplate(hit.before, 'before') : nothing}
      <span class="body">${highlight(excerpt(m.body, this.query), this.query).map((p) => (p.match ? html`<mark>${p.text}</mark>` : p.text))}</span>
      ${hit.after ? this.contextTemplate(hit.after, 'after') : nothing}
    </button>`;
  }

  private contextTemplate(line: { user: { name: string }; body: string }, cls: 'before' | 'after'): TemplateResult {
    // One line is enough to place the match; the panel ellipsises the rest.
    return html`<span class="context ${cls}">${line.user.name}: ${line.body.slice(0, 300)}</span>`;
  }

  /** What the status region reads out after each search. */
  private announcement(): string {
    if (!this.open || this.loading || this.error || this.hits === undefined) return '';
    const n = this.hits.length;
    if (n === 0) return `No messages match “${this.query}”.`;
    return `${n}${this.next !== null ? ' or more' : ''} ${n === 1 ? 'result' : 'results'}.`;
  }

  private onSubmit(e: SubmitEvent): void {
    e.preventDefault();
    const q = this.input?.value.trim() ?? '';
    if (!q) {
      // Nothing to look for: an empty box closes what was there rather than asking the server.
      this.open = false;
      return;
    }
    void this.search(q);
  }

  private onScopeChange(e: Event): void {
    this.inRoom = (e.target as HTMLInputElement).checked;
    // Results on screen are for the other scope: search again with the same words.
    if (this.open && this.query) void this.search(this.query);
  }

  private async search(q: string): Promise<void> {
    const generation = ++this.generation;
    this.query = q;
    this.searchedRoom = this.inRoom && this.room ? this.room : undefined;
    this.hits = undefined;
    this.next = null;
    this.error = undefined;
    this.loading = 'first';
    this.open = true;
    try {
      const page = await searchMessages(q, { room: this.searchedRoom, limit: PAGE });
      if (generation !== this.generation) return;
      this.hits = page.results;
      this.next = page.next;
    } catch (err) {
      if (generation !== this.generation) return;
      this.error = shownError(err, 'The search did not work. Try again.', Date.now(), SENTENCES);
      // Signed out meanwhile (in another tab, or the session ran out): the app shows sign-in.
      if (err instanceof HttpError && err.status === 401) emit(this, 'parley-sign-out', null);
    } finally {
      if (generation === this.generation) this.loading = undefined;
    }
  }

  private async loadMore(): Promise<void> {
    if (this.next === null || this.loading) return;
    const generation = this.generation;
    const before = this.next;
    const firstNew = this.hits?.length ?? 0;
    this.loading = 'more';
    this.error = undefined;
    try {
      const page = await searchMessages(this.query, { room: this.searchedRoom, limit: PAGE, before });
      if (generation !== this.generation) return;
      this.hits = [...(this.hits ?? []), ...page.results];
      this.next = page.next;
      // The button that was pressed is gone or moved: carry on reading at the first new result.
      await this.updateComplete;
      this.resultButtons[firstNew]?.focus();
    } catch (err) {
      if (generation !== this.generation) return;
      this.error = shownError(err, 'More results could not be loaded. Try again.', Date.now(), SENTENCES);
    } finally {
      if (generation === this.generation) this.loading = undefined;
    }
  }

  private choose(hit: SearchHit): void {
    this.open = false;
    emit(this, 'parley-open-result', { room: hit.room.name, seq: hit.message.seq });
  }

  private closeToInput(): void {
    this.open = false;
    this.input?.focus();
  }

  private onFormKeydown(e: KeyboardEvent): void {
    if (e.key === 'Escape' && this.open) {
      // Only the panel: the browser's own Escape (clearing the box) waits for a second press.
      e.preventDefault();
      this.open = false;
    } else if (e.key === 'ArrowDown' && this.open && e.target === this.input) {
      const first = this.resultButtons[0];
      if (first) {
        e.preventDefault();
        first.focus();
      }
    }
  }

  private onPanelKeydown(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      this.closeToInput();
      return;
    }
    const buttons = this.resultButtons;
    const at = buttons.indexOf((this.renderRoot as ShadowRoot).activeElement as HTMLButtonElement);
    if (at < 0) return;
    let to: number | undefined;
    if (e.key === 'ArrowDown') to = Math.min(at + 1, buttons.length - 1);
    else if (e.key === 'ArrowUp') to = at - 1;
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = buttons.length - 1;
    if (to === undefined) return;
    e.preventDefault();
    if (to < 0) this.input?.focus();
    else buttons[to]!.focus();
  }
}

/** Public rooms by #name, direct ones by the other person, as the sidebar names them (format/room-label.ts). */
export function hitRoomLabel(hit: SearchHit): string {
  if (hit.room.kind === 'direct') return hit.room.with?.name ?? 'Direct conversation';
  return `#${hit.room.name}`;
}

customElements.define('parley-search', ParleySearch);

declare global {
  interface HTMLElementTagNameMap {
    'parley-search': ParleySearch;
  }
}
