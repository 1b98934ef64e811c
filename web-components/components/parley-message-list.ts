/**
 * The scrolling history of a room. It keeps the reader's place: older pages are prepended
 * without moving what is on screen, new messages are followed only when the reader is at the
 * bottom (else a button offers to jump), and new messages from others are read out through a
 * polite live region. History (the first page, older pages) is never read out.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { ChatMessage, Member } from '../../server/protocol/frames.js';
import type { PendingMessage } from '../connection/room-log.js';
import { emit } from '../events.js';
import { startsNewDay, startsNewGroup } from '../format/message-groups.js';
import { dayLabel } from '../format/time.js';
import { messageTemplate, pendingTemplate } from './message-item.js';
import { messageListStyles } from './parley-message-list.styles.js';

/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK = 48;
/** Start loading older messages this close to the top. */
const TOP_SLACK = 160;
const ANNOUNCE_KEEP = 5;
const ANNOUNCE_BODY_MAX = 300;

type Row = { key: string; kind: 'day'; label: string } | { key: string; kind: 'message'; m: ChatMessage; continues: boolean } | { key: string; kind: 'pending'; p: PendingMessage; continues: boolean };

export class ParleyMessageList extends LitElement {
  static properties = {
    room: {},
    intro: {},
    me: { attribute: false },
    messages: { attribute: false },
    pending: { attribute: false },
    ready: { type: Boolean },
    hasOlder: { type: Boolean },
    loadingOlder: { type: Boolean },
    unseen: { state: true },
    announcements: { state: true },
  };
  declare room: string;
  /** Shown above the first message of the room. */
  declare intro: string;
  declare me: Member;
  declare messages: ChatMessage[];
  declare pending: PendingMessage[];
  /** The room's first `joined` has arrived (until then the list is not the room's history yet). */
  declare ready: boolean;
  declare hasOlder: boolean;
  declare loadingOlder: boolean;
  declare unseen: number;
  declare announcements: Array<{ id: number; text: string }>;

  private stuck = true;
  /** Highest seq already accounted for; later ones are new and get announced. */
  private seenSeq: number | undefined;
  private announceId = 0;
  private jumpOnUpdate = true;
  private scrollBefore: { height: number; top: number; firstSeq: number | undefined } | undefined;
  private readonly resize = new ResizeObserver(() => {
    if (this.stuck) this.toBottom();
  });

  static styles = messageListStyles;

  constructor() {
    super();
    this.room = '';
    this.intro = '';
    this.messages = [];
    this.pending = [];
    this.ready = false;
    this.hasOlder = false;
    this.loadingOlder = false;
    this.unseen = 0;
    this.announcements = [];
  }

  connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) this.resize.observe(this.scroller);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
  }

  firstUpdated(): void {
    this.resize.observe(this.scroller);
  }

  private get scroller(): HTMLElement {
    return this.renderRoot.querySelector('.scroller')!;
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('room')) {
      this.seenSeq = undefined;
      this.jumpOnUpdate = true;
      this.unseen = 0;
      this.announcements = [];
    }
    if (changed.has('messages') || changed.has('ready')) this.noticeNew();
    if (changed.has('pending') && this.pending.length > (changed.get('pending')?.length ?? 0)) {
      // The reader just sent something: show it, wherever they were.
      this.jumpOnUpdate = true;
    }
    const el = this.hasUpdated ? this.scroller : undefined;
    const oldMessages = changed.get('messages') ?? this.messages;
    this.scrollBefore = el ? { height: el.scrollHeight, top: el.scrollTop, firstSeq: oldMessages[0]?.seq } : undefined;
  }

  /** Splits arriving messages into history (silent) and new ones (counted and announced). */
  private noticeNew(): void {
    if (!this.ready) return;
    const last = this.messages.at(-1)?.seq ?? 0;
    if (this.seenSeq === undefined) {
      this.seenSeq = last;
      this.jumpOnUpdate = true;
      return;
    }
    const fresh = this.messages.filter((m) => m.seq > this.seenSeq! && m.user.id !== this.me.id);
    this.seenSeq = Math.max(this.seenSeq, last);
    if (fresh.length === 0) return;
    if (!this.stuck) this.unseen += fresh.length;
    const said = fresh.map((m) => {
      const body = m.body.length > ANNOUNCE_BODY_MAX ? `${m.body.slice(0, ANNOUNCE_BODY_MAX)}…` : m.body;
      return { id: ++this.announceId, text: `${m.user.name}: ${body}` };
    });
    this.announcements = [...this.announcements, ...said].slice(-ANNOUNCE_KEEP);
  }

  protected updated(): void {
    const el = this.scroller;
    const before = this.scrollBefore;
    const firstSeq = this.messages[0]?.seq;
    if (this.jumpOnUpdate) {
      this.jumpOnUpdate = false;
      this.toBottom();
    } else if (before && before.firstSeq !== undefined && firstSeq !== undefined && firstSeq < before.firstSeq) {
      // Older messages went in above: keep the same distance from the bottom, so the
      // messages the reader was looking at stay where they were.
      el.scrollTop = el.scrollHeight - (before.height - before.top);
    } else if (this.stuck) {
      this.toBottom();
    }
    this.scrollBefore = undefined;
    // A first page shorter than the screen cannot be scrolled up: fetch more right away.
    if (el.scrollHeight <= el.clientHeight) this.wantOlder();
  }

  private wantOlder(): void {
    if (this.ready && this.hasOlder && !this.loadingOlder) emit(this, 'parley-load-older', null);
  }

  private toBottom(): void {
    const el = this.scroller;
    el.scrollTop = el.scrollHeight;
    this.stuck = true;
    this.unseen = 0;
  }

  private onScroll(): void {
    const el = this.scroller;
    this.stuck = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
    if (this.stuck && this.unseen) this.unseen = 0;
    if (el.scrollTop < TOP_SLACK) this.wantOlder();
  }

  private jumpDown(): void {
    this.toBottom();
    this.scroller.focus({ preventScroll: true });
  }

  private rows(): Row[] {
    const rows: Row[] = [];
    const now = Date.now();
    let prev: { at: number; user: { id: number } } | undefined;
    for (const m of this.messages) {
      if (startsNewDay(prev, m)) rows.push({ key: `day-${m.seq}`, kind: 'day', label: dayLabel(m.at, now) });
      rows.push({ key: `m-${m.id}`, kind: 'message', m, continues: !startsNewGroup(prev, m) });
      prev = m;
    }
    for (const p of this.pending) {
      const mine = { at: p.createdAt, user: this.me };
      rows.push({ key: `p-${p.cid}`, kind: 'pending', p, continues: !startsNewGroup(prev, mine) });
      prev = mine;
    }
    return rows;
  }

  render() {
    const actions = {
      retry: (cid: string) => emit(this, 'parley-retry', { cid }),
      discard: (cid: string) => emit(this, 'parley-discard', { cid }),
    };
    return html`
      <!-- role=log would announce every insertion, history included; the live region below announces only new messages. -->
      <div class="scroller" role="log" aria-label="Messages" aria-live="off" tabindex="0" part="log" @scroll=${this.onScroll}>
        ${this.renderTop()}
        ${repeat(
          this.rows(),
          (r) => r.key,
          (r) =>
            r.kind === 'day'
              ? html`<div class="day" role="separator">${r.label}</div>`
              : r.kind === 'message'
                ? messageTemplate(r.m, r.continues, r.m.user.id === this.me.id)
                : pendingTemplate(r.p, this.me, r.continues, actions),
        )}
      </div>
      ${this.unseen > 0
        ? html`<button class="button jump" type="button" @click=${this.jumpDown}>
            ${this.unseen === 1 ? '1 new message' : `${this.unseen} new messages`} ↓
          </button>`
        : nothing}
      <div class="sr-only" aria-live="polite" aria-relevant="additions">
        ${repeat(
          this.announcements,
          (a) => a.id,
          (a) => html`<p>${a.text}</p>`,
        )}
      </div>
    `;
  }

  private renderTop() {
    if (!this.ready && this.messages.length === 0) return html`<p class="top">Loading messages…</p>`;
    if (this.hasOlder) {
      return html`<p class="top">
        <button class="button quiet" type="button" ?disabled=${this.loadingOlder} @click=${() => emit(this, 'parley-load-older', null)}>
          ${this.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
        </button>
      </p>`;
    }
    return html`<p class="top"><strong>${this.intro}</strong>${this.messages.length === 0 ? 'No messages yet. Say hello!' : 'This is where it begins.'}</p>`;
  }
}

customElements.define('parley-message-list', ParleyMessageList);

declare global {
  interface HTMLElementTagNameMap {
    'parley-message-list': ParleyMessageList;
  }
}
