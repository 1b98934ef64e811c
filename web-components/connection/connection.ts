/**
 * The tab's one WebSocket to Parley, kept apart from the components.
 *
 * It connects, reconnects with exponential backoff and jitter, rejoins every open room with
 * `since` = the last seq held, keeps sends until they are acknowledged (retrying them with
 * the same cid after a reconnect, so nothing is sent twice), and holds each room as a
 * RoomLog. Components read `state` and `room(name)` and listen for `change` events.
 *
 * Each socket also sends `watch`, so the server pushes the sidebar's live lists (who is
 * online, new rooms and users); the Connection holds them as `lists` (see live-lists.ts).
 *
 * A join the server refuses for now (`rate_limited`: too many joins, or too many new rooms;
 * `unavailable`: the store is down) is tried again once, after the wait the server gave,
 * and not before: reconnects and seq gaps in between do not send it early.
 *
 * Events (all plain `Event`s; read the state from the connection):
 *   - `change`: state or any room changed
 *   - `lists`: `lists` changed (a `watch` went out, a `lists` or `directory` frame came in);
 *     apart from `change` so that the chat views do not redraw for the sidebar's counts
 *   - `signedout`: the server closed with 1008 (session ended): the app should show sign-in
 *   - `activity` (CustomEvent<ActivityFrame>): a direct message or mention for the reader
 */
import { decodeFrame, encodeFrame } from '../../server/protocol/codec.js';
import type { ChatMessage, ClientFrame, Member, ServerFrame } from '../../server/protocol/frames.js';
import { reconnectDelay } from './backoff.js';
import { errorSentence, type Sentences } from '../format/retry.js';
import { applyDirectory, applyLists, applyMembership, noLiveLists, watchSent, type LiveLists } from './live-lists.js';
import { noLiveUnread, readUpTo, reported, type LiveUnread } from './unread.js';
import { ChangeRequests } from './change-requests.js';
import {
  activeTypists,
  applyJoined,
  applyMessage,
  applyOlder,
  applyPresence,
  applyTyping,
  emptyLog,
  type PendingMessage,
  type RoomLog,
} from './room-log.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface ConnectionOptions {
  /** ws(s)://host/ws; defaults to this page's origin. */
  url?: string;
  /** How long a `typing` notice stays up without another one. */
  typingShowMs?: number;
}

/** Retry delay for a send the server could not store (`unavailable`) while still connected. */
const SEND_RETRY_MS = 2000;

/** A direct message or a mention for the reader, as the server reported it (for notifications). */
export type ActivityFrame = Extract<ServerFrame, { t: 'activity' }>;

/** Why a send waits or failed, as the message's own line says it. */
const SEND_SENTENCES: Sentences = {
  unavailable: 'The server could not store it yet; it goes again by itself.',
  invalid: 'The server refused this message: it is empty or too long.',
  not_found: 'This room no longer exists.',
  forbidden: 'You cannot write in this room.',
  not_joined: 'The room is not open yet; it goes once it is.',
};

export class Connection extends EventTarget {
  state: ConnectionState = 'connecting';
  private ws: WebSocket | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly logs = new Map<string, RoomLog>();
  /** Rooms the UI has open, with how many views hold each. */
  private readonly open = new Map<string, number>();
  /** Joins refused for now, each with the timer that sends it again. */
  private readonly joinRetries = new Map<string, ReturnType<typeof setTimeout>>();
  private liveLists: LiveLists = noLiveLists;
  private liveUnread: LiveUnread = noLiveUnread;
  /** The read position last sent per room, so each seq goes out once. */
  private readSent = new Map<string, number>();
  private readonly changes = new ChangeRequests();
  private readonly url: string;
  private readonly typingShowMs: number;

  constructor(opts: ConnectionOptions = {}) {
    super();
    this.url = opts.url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    this.typingShowMs = opts.typingShowMs ?? 4000;
    addEventListener('online', this.onOnline);
    addEventListener('offline', this.onOffline);
  }

  start(): void {
    this.stopped = false;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) return this.setState('offline');
    this.connect();
  }

  /** Closes for good (sign-out). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const t of this.joinRetries.values()) clearTimeout(t);
    this.joinRetries.clear();
    removeEventListener('online', this.onOnline);
    removeEventListener('offline', this.onOffline);
    this.ws?.close(1000);
    this.ws = undefined;
  }

  /** The sidebar's live lists, as the server last pushed them. */
  get lists(): LiveLists {
    return this.liveLists;
  }

  /** What the socket reported of unread messages since the room list loaded (see unread.ts). */
  get unread(): LiveUnread {
    return this.liveUnread;
  }

  room(name: string): RoomLog | undefined {
    return this.logs.get(name);
  }

  typists(name: string): Member[] {
    const log = this.logs.get(name);
    return log ? activeTypists(log, Date.now()) : [];
  }

  /** Opens a room: joins it now (or on connect) and keeps it joined across reconnects. */
  openRoom(name: string): void {
    this.open.set(name, (this.open.get(name) ?? 0) + 1);
    if (!this.logs.has(name)) this.logs.set(name, emptyLog(name));
    if (this.open.get(name) === 1) this.join(name);
  }

  closeRoom(name: string): void {
    const n = (this.open.get(name) ?? 0) - 1;
    if (n > 0) return void this.open.set(name, n);
    this.open.delete(name);
    const log = this.logs.get(name);
    if (log) this.logs.set(name, { ...log, joined: false, members: [], typing: [] });
    this.write({ t: 'leave', room: name });
    this.changed();
  }

  /** Queues a message; it shows as pending until acknowledged. */
  send(room: string, body: string): PendingMessage {
    const pending: PendingMessage = { cid: crypto.randomUUID(), room, body, state: 'queued', createdAt: Date.now() };
    this.update(room, (log) => ({ ...log, pending: [...log.pending, pending] }));
    this.flush(room);
    return pending;
  }

  /** Tries a failed send again, with its original cid. */
  retry(room: string, cid: string): void {
    this.update(room, (log) => ({ ...log, pending: log.pending.map((p) => (p.cid === cid ? { ...p, state: 'queued', reason: undefined } : p)) }));
    this.flush(room);
  }

  discard(room: string, cid: string): void {
    this.update(room, (log) => ({ ...log, pending: log.pending.filter((p) => p.cid !== cid) }));
  }

  typing(room: string): void {
    if (this.logs.get(room)?.joined) this.write({ t: 'typing', room });
  }

  /** Changes the text of one's own message; resolves once stored, rejects with ChangeRefused (change-requests.ts). */
  edit(room: string, seq: number, body: string): Promise<void> {
    return this.change({ t: 'edit', room, seq, body });
  }

  /** Deletes one's own message; resolves once stored, rejects with ChangeRefused (change-requests.ts). */
  remove(room: string, seq: number): Promise<void> {
    return this.change({ t: 'delete', room, seq });
  }

  /** The reader has seen the room up to seq: stored on the server and told to their other tabs. */
  markRead(room: string, seq: number): void {
    if (seq <= (this.readSent.get(room) ?? 0)) return;
    if (!this.logs.get(room)?.joined) return;
    if (!this.write({ t: 'read', room, seq })) return;
    this.readSent.set(room, seq);
    this.liveUnread = readUpTo(this.liveUnread, room, seq);
    this.listsChanged();
  }

  private change(frame: { t: 'edit'; room: string; seq: number; body: string } | { t: 'delete'; room: string; seq: number }): Promise<void> {
    return this.changes.request((ref) => this.write({ ...frame, ref }));
  }

  /** Loads the page of history before the oldest message held. Returns false when there is none. */
  async loadOlder(room: string, limit = 50): Promise<boolean> {
    const log = this.logs.get(room);
    if (!log) return false;
    const before = log.messages[0]?.seq ?? log.lastSeq + 1;
    if (before <= 1) return false;
    const res = await fetch(`/api/rooms/${encodeURIComponent(room)}/messages?before=${before}&limit=${limit}`, { credentials: 'same-origin' });
    if (!res.ok) return false;
    const page = (await res.json()) as { messages: ChatMessage[]; more: boolean };
    this.update(room, (l) => applyOlder(l, page.messages, page.more));
    return page.messages.length > 0;
  }

  // --- socket life -------------------------------------------------------------------

  private connect(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.attempt = 0;
      this.setState('connected');
      for (const room of this.open.keys()) this.join(room);
      this.watch();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws || !(ev.data instanceof ArrayBuffer)) return;
      let frame: ServerFrame;
      try {
        frame = decodeFrame(new Uint8Array(ev.data)) as ServerFrame;
      } catch {
        return;
      }
      this.receive(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      // A read position not stored goes again on the next socket.
      this.readSent.clear();
      this.changes.dropAll();
      for (const [name, log] of this.logs) this.logs.set(name, { ...log, joined: false, typing: [] });
      // Sends in flight have no answer now; they go again, same cid, after the rejoin.
      for (const [name, log] of this.logs) {
        if (log.pending.some((p) => p.state === 'sending')) {
          this.logs.set(name, { ...log, pending: log.pending.map((p) => (p.state === 'sending' ? { ...p, state: 'queued' as const } : p)) });
        }
      }
      // The state may stay the same (already offline), but the rooms changed: let views redraw.
      this.changed();
      if (ev.code === 1008) return this.signedOut();
      if (!opened) {
        // A refused upgrade looks like any network failure from here; a 401 from the API
        // tells the two apart, and a dead session must not be retried forever.
        void fetch('/api/me', { credentials: 'same-origin' }).then(
          (r) => (r.status === 401 ? this.signedOut() : undefined),
          () => {},
        );
      }
      this.scheduleReconnect();
    };
  }

  private signedOut(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.setState('offline');
    this.dispatchEvent(new Event('signedout'));
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) return this.setState('offline');
    this.setState('reconnecting');
    const delay = reconnectDelay(this.attempt++, Math.random());
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private onOnline = () => {
    if (this.stopped) return;
    if (this.ws) {
      // The socket outlived the outage (browsers often keep it open): it works as it is.
      if (this.ws.readyState === WebSocket.OPEN) this.setState('connected');
      return;
    }
    this.attempt = 0;
    this.setState('reconnecting');
    this.connect();
  };

  private onOffline = () => {
    if (this.stopped) return;
    this.setState('offline');
  };

  private join(room: string): void {
    // Refused for now: its timer sends it when the server said it may go.
    if (this.joinRetries.has(room)) return;
    const log = this.logs.get(room);
    if (!log) return;
    const held = log.messages.length > 0 || log.lastSeq > 0;
    this.write(held ? { t: 'join', room, since: log.lastSeq } : { t: 'join', room });
  }

  /** Asks for live lists on this socket; its snapshot replaces what the last socket left. */
  private watch(): void {
    this.liveLists = watchSent(this.liveLists);
    this.write({ t: 'watch' });
    this.listsChanged();
  }

  private write(frame: ClientFrame): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(encodeFrame(frame));
    return true;
  }

  /** Sends every queued message of a joined room, oldest first. */
  private flush(room: string): void {
    const log = this.logs.get(room);
    if (!log?.joined) return;
    const queued = log.pending.filter((p) => p.state === 'queued');
    if (queued.length === 0) return;
    for (const p of queued) this.write({ t: 'send', room, body: p.body, cid: p.cid, ref: p.cid });
    this.update(room, (l) => ({ ...l, pending: l.pending.map((p) => (p.state === 'queued' ? { ...p, state: 'sending' as const } : p)) }));
  }

  // --- frames from the server ---------------------------------------------------------

  private receive(f: ServerFrame): void {
    switch (f.t) {
      case 'joined': {
        if (!this.open.has(f.room)) return;
        this.update(f.room, (log) => applyJoined(log, f));
        this.flush(f.room);
        return;
      }
      case 'msg': {
        const { t: _t, ...m } = f;
        let gap = false;
        this.update(m.room, (log) => {
          const r = applyMessage(log, m);
          gap = r.gap;
          // Our own message coming back settles its pending copy (cids are random UUIDs).
          return { ...r.log, pending: r.log.pending.filter((p) => p.cid !== m.cid) };
        });
        // A hole in seq means something was missed: ask again from the last seq held.
        if (gap) this.join(m.room);
        return;
      }
      case 'ack':
        if (this.changes.settle(f.ref)) return;
        this.update(f.room, (log) => ({ ...log, pending: log.pending.filter((p) => p.cid !== f.cid) }));
        // Writing in a room reads it, as in most chat apps: one's own message is never unread.
        this.markRead(f.room, f.seq);
        return;
      case 'read':
        this.liveUnread = readUpTo(this.liveUnread, f.room, f.seq);
        this.listsChanged();
        return;
      case 'activity':
        this.liveUnread = reported(this.liveUnread, f.room, { seq: f.seq, count: 1, mention: f.mention });
        this.listsChanged();
        this.dispatchEvent(new CustomEvent<ActivityFrame>('activity', { detail: f }));
        return;
      case 'membership':
        this.liveLists = applyMembership(this.liveLists, f);
        this.listsChanged();
        return;
      case 'presence':
        this.update(f.room, (log) => applyPresence(log, f));
        return;
      case 'typing':
        this.update(f.room, (log) => applyTyping(log, f.user, Date.now(), this.typingShowMs));
        setTimeout(() => this.changed(), this.typingShowMs + 50);
        return;
      case 'lists':
        this.liveLists = applyLists(this.liveLists, f);
        for (const [room, seqs] of Object.entries(f.activity ?? {})) {
          for (const seq of seqs) this.liveUnread = reported(this.liveUnread, room, { seq, count: 1, mention: false });
        }
        this.listsChanged();
        return;
      case 'directory':
        this.liveLists = applyDirectory(this.liveLists, f);
        this.listsChanged();
        return;
      case 'left':
        return;
      case 'error':
        this.receiveError(f);
        return;
    }
  }

  private receiveError(f: Extract<ServerFrame, { t: 'error' }>): void {
    if (this.changes.settle(f.ref, f)) return;
    const ref = typeof f.ref === 'string' ? f.ref : undefined;
    // A send refused by frame validation (e.g. a body out of bounds) is answered with its ref
    // but without a room: find the send by its cid, or it would show "sending" for ever.
    const room = f.room ?? (ref ? this.roomOfPending(ref) : undefined);
    if (!room) return;
    const pending = ref ? this.logs.get(room)?.pending.find((p) => p.cid === ref) : undefined;
    if (pending) {
      if (f.code === 'unavailable' || f.code === 'rate_limited') {
        // Not stored: it waits and goes again with the same cid.
        this.setPending(room, ref!, { state: 'queued', reason: errorSentence(f.code, f.message, '', SEND_SENTENCES) });
        setTimeout(() => this.flush(room), f.retry_after ?? SEND_RETRY_MS);
      } else {
        this.setPending(room, ref!, { state: 'failed', reason: errorSentence(f.code, f.message, 'The server did not accept this message.', SEND_SENTENCES) });
      }
      return;
    }
    if (f.code === 'forbidden' || f.code === 'not_found' || f.code === 'invalid' || f.code === 'too_many_rooms') {
      this.update(room, (log) => ({ ...log, joined: false, error: { code: f.code, message: f.message } }));
    } else if ((f.code === 'rate_limited' || f.code === 'unavailable') && this.open.has(room)) {
      // The join was refused for now. A first join shows why and until when; a rejoin of a
      // room on screen (after a gap) goes again quietly.
      const wait = f.retry_after ?? SEND_RETRY_MS;
      if (f.code === 'rate_limited' && !this.logs.get(room)?.joined) {
        this.update(room, (log) => ({ ...log, error: { code: f.code, message: f.message, retryAt: Date.now() + wait } }));
      }
      this.retryJoin(room, wait);
    }
  }

  /** Joins `room` again after `ms`, if it is still open then; joins meanwhile wait for it. */
  private retryJoin(room: string, ms: number): void {
    clearTimeout(this.joinRetries.get(room));
    this.joinRetries.set(
      room,
      setTimeout(() => {
        this.joinRetries.delete(room);
        if (this.open.has(room)) this.join(room);
      }, ms),
    );
  }

  private roomOfPending(cid: string): string | undefined {
    for (const [name, log] of this.logs) if (log.pending.some((p) => p.cid === cid)) return name;
    return undefined;
  }

  private setPending(room: string, cid: string, patch: Partial<PendingMessage>): void {
    this.update(room, (log) => ({ ...log, pending: log.pending.map((p) => (p.cid === cid ? { ...p, ...patch } : p)) }));
  }

  private update(room: string, fn: (log: RoomLog) => RoomLog): void {
    this.logs.set(room, fn(this.logs.get(room) ?? emptyLog(room)));
    this.changed();
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  private listsChanged(): void {
    this.dispatchEvent(new Event('lists'));
  }
}
