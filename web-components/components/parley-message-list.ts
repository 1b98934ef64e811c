/**
 * The scrolling history of a room. It keeps the reader's place: older pages are prepended
 * without moving what is on screen, new messages are followed only when the reader is at the
 * bottom (else a button offers to jump), and new messages from others are read out through a
 * polite live region. History (the first page, older pages) is never read out.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { ChatMessage, Member } from '../../server/protocol/frames.js';
import { visibleMessages, type PendingMessage } from '../connection/room-log.js';
import { emit } from '../events.js';
import { startsNewDay, startsNewGroup } from '../format/message-groups.js';
import { dayLabel } from '../format/time.js';
import { messageTemplate, pendingTemplate, type MessageActions } from './message-item.js';
import { messageListStyles } from './parley-message-list.styles.js';

/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK = 48;
/** Start loading older messages this close to the top. */
const TOP_SLACK = 160;
const ANNOUNCE_KEEP = 5;
const ANNOUNCE_BODY_MAX = 300;

/** How long a touch must rest on a message to show its actions. */
const LONG_PRESS_MS = 500;

type Row =
  | { key: string; kind: 'new' }
  | { key: string; kind: 'day'; label: string } | { key: string; kind: 'message'; m: ChatMessage; continues: boolean } | { key: string; kind: 'pending'; p: PendingMessage; continues: boolean };

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
    newAfter: { attribute: false },
    jumpTo: { attribute: false },
    editing: { state: true },
    actionsShown: { state: true },
    confirming: { state: true },
    changeFailure: { state: true },
  };
  /** The reader's read position when the room opened: a "new" line goes above the first message after it. */
  declare newAfter: number | undefined;
  /** A message to bring into view and mark (from a search result), once it is held. */
  declare jumpTo: number | undefined;
  /** The seq of the reader's message being edited. */
  declare editing: number | undefined;
  declare actionsShown: number | undefined;
  declare confirming: number | undefined;
  declare changeFailure: { seq: number; text: string } | undefined;
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
    this.newAfter = undefined;
    this.jumpTo = undefined;
    this.editing = undefined;
    this.actionsShown = undefined;
    this.confirming = undefined;
    this.changeFailure = undefined;
  }

  private pressTimer: ReturnType<typeof setTimeout> | undefined;
  private jumped: number | undefined;
  private readonly onVisible = () => this.reportSeen();

  /** Starts editing the reader's newest message still there (Up in an empty composer). */
  editLast(): boolean {
    const last = [...this.messages].reverse().find((m) => m.user.id === this.me.id && m.kind === undefined && !m.deleted);
    if (!last) return false;
    this.startEdit(last.seq);
    return true;
  }

  /** The edit or delete of a message failed: say why under it. */
  changeFailed(seq: number, text: string): void {
    this.changeFailure = { seq, text };
  }

  /** The edit or delete was stored. */
  changeDone(): void {
    this.editing = undefined;
    this.confirming = undefined;
    this.changeFailure = undefined;
  }

  private startEdit(seq: number): void {
    this.editing = seq;
    this.confirming = undefined;
    this.actionsShown = undefined;
    this.changeFailure = undefined;
    void this.updateComplete.then(() => {
      const area = this.renderRoot.querySelector<HTMLTextAreaElement>(`.message[data-seq="${seq}"] textarea`);
      area?.focus();
      area?.setSelectionRange(area.value.length, area.value.length);
    });
  }

  private readonly actionsFor = (m: ChatMessage): MessageActions => ({
    me: this.me.name,
    editing: this.editing === m.seq,
    showActions: this.actionsShown === m.seq,
    confirmingDelete: this.confirming === m.seq,
    failure: this.changeFailure?.seq === m.seq ? this.changeFailure.text : undefined,
    edit: (seq) => this.startEdit(seq),
    save: (seq, body) => {
      const held = this.messages.find((x) => x.seq === seq);
      if (held && body === held.body) return this.changeDone();
      emit(this, 'parley-edit', { seq, body });
    },
    cancel: () => {
      this.editing = undefined;
      this.confirming = undefined;
      this.changeFailure = undefined;
    },
    askDelete: (seq) => {
      this.confirming = seq;
      this.actionsShown = undefined;
    },
    remove: (seq) => emit(this, 'parley-delete', { seq }),
  });

  private pointerDown(ev: PointerEvent): void {
    if (ev.pointerType !== 'touch') return;
    const row = (ev.target as HTMLElement).closest<HTMLElement>('.message.mine[data-seq]');
    if (!row) return;
    clearTimeout(this.pressTimer);
    this.pressTimer = setTimeout(() => (this.actionsShown = Number(row.dataset.seq)), LONG_PRESS_MS);
  }

  private pointerEnd(): void {
    clearTimeout(this.pressTimer);
  }

  /** Tells the room how far the reader has seen: when at the bottom of a visible page. */
  private reportSeen(): void {
    if (!this.ready || !this.stuck || document.visibilityState !== 'visible') return;
    const last = this.messages.at(-1)?.seq;
    if (last !== undefined) emit(this, 'parley-seen', { seq: last });
  }

  /** Brings the jump target into view once held, or asks for older pages until it is. */
  private jumpIfAsked(): void {
    const seq = this.jumpTo;
    if (seq === undefined || this.jumped === seq || !this.ready) return;
    const el = this.renderRoot.querySelector<HTMLElement>(`.message[data-seq="${seq}"]`);
    if (el) {
      this.jumped = seq;
      this.stuck = false;
      el.scrollIntoView({ block: 'center' });
      el.classList.add('jump-target');
      return;
    }
    const first = this.messages[0]?.seq;
    if (first !== undefined && first > seq && this.hasOlder) this.wantOlder();
  }
  connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) this.resize.observe(this.scroller);
    document.addEventListener('visibilitychange', this.onVisible);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.pressTimer);
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
      this.editing = undefined;
      this.confirming = undefined;
      this.actionsShown = undefined;
      this.changeFailure = undefined;
      this.jumped = undefined;
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
    const fresh = this.messages.filter((m) => m.seq > this.seenSeq! && m.user.id !== this.me.id && m.kind === undefined);
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
    if (this.jumpTo !== undefined && this.jumped !== this.jumpTo) {
      this.jumpOnUpdate = false;
      this.jumpIfAsked();
    } else if (this.jumpOnUpdate) {
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
    this.reportSeen();
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
    if (this.stuck) this.reportSeen();
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
    let divided = this.newAfter === undefined;
    for (const m of visibleMessages(this.messages)) {
      if (startsNewDay(prev, m)) rows.push({ key: `day-${m.seq}`, kind: 'day', label: dayLabel(m.at, now) });
      if (!divided && m.seq > this.newAfter! && m.user.id !== this.me.id) {
        divided = true;
        rows.push({ key: 'new', kind: 'new' });
      }
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
      <div
        class="scroller"
        role="log"
        aria-label="Messages"
        aria-live="off"
        tabindex="0"
        part="log"
        @scroll=${this.onScroll}
        @pointerdown=${this.pointerDown}
        @pointerup=${this.pointerEnd}
        @pointercancel=${this.pointerEnd}
        @pointermove=${this.pointerEnd}
      >
        ${this.renderTop()}
        ${repeat(
          this.rows(),
          (r) => r.key,
          (r) =>
            r.kind === 'new'
              ? html`<div class="new-divider" role="separator" aria-label="New messages"><span>new</span></div>`
              : r.kind === 'day'
                ? html`<div class="day" role="separator">${r.label}</div>`
                : r.kind === 'message'
                  ? r.m.user.id === this.me.id
                    ? messageTemplate(r.m, r.continues, true, this.actionsFor(r.m))
                    : messageTemplate(r.m, r.continues, false, undefined, this.me.name)
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
