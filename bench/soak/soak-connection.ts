/**
 * One connection of the soak's load, behaving like a browser tab left open for a long time:
 * it keeps a few rooms joined, sends now and then (sometimes after a `typing` notice),
 * changes rooms (leave one, join another, afresh) and now and then closes and reconnects,
 * rejoining its rooms with `since` like a client recovering from a dropped connection. Its
 * times come from its own seeded random source, so a seed replays the same schedule.
 *
 * Every send is tracked by cid until its `ack` or `error`; every `msg` and every `joined`
 * backlog is checked against the seq the connection holds for that room (the contract's
 * exactly-once join). A reconnection waits for the acks of sends in flight before closing,
 * so a send without an answer means the server never gave one.
 */
import WebSocket from 'ws';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { reconnectDelay } from '../../web-components/connection/backoff.js';
import type { Workload } from './messages.js';
import type { Tally } from './tally.js';

type Frame = Record<string, unknown>;

interface RoomState {
  phase: 'joining' | 'joined' | 'leaving';
  /** The seq the next `msg` must carry; 0 until `joined`. */
  next: number;
  /** The seq the join asked to continue from, if any. */
  since: number | undefined;
}

/**
 * How long a reconnection waits for the acks in flight before closing anyway. Long: a send
 * closed unanswered cannot be told lost from committed-but-unacknowledged, and on a starved
 * machine acks have taken seconds.
 */
const RECONNECT_DRAIN_MS = 60_000;
/** Pause before opening again after closing to reconnect, s. */
const REOPEN_PAUSE: [number, number] = [0.2, 2];

const WORDS = ['soak', 'room', 'hello', 'again', 'steady', 'memory', 'latency', 'drift', 'commit', 'seq', 'ack', 'presence', 'typing', 'ok', 'chat', 'long', 'run'];

const encoder = new Encoder();
const decoder = new Decoder();

export class SoakConnection {
  private ws: WebSocket | undefined;
  private isOpen = false;
  /** Rooms this connection is in, entering or leaving. */
  private rooms = new Map<string, RoomState>();
  /** Rooms it means to be in; it rejoins them after a reconnection. */
  private wanted = new Set<string>();
  /** The last seq held per room, for `since` on a rejoin. */
  private held = new Map<string, number>();
  private pending = new Map<string, { at: number; room: string; body: string; retries: number }>();
  /** Failed openings in a row, and failed joins in a row per room: the web client's backoff for each. */
  private failedOpenings = 0;
  private failedJoins = new Map<string, number>();
  /** The workload's timers (stop() clears them) and those of recovery: reopening, retrying (close() clears them too). */
  private workloadTimers = new Set<NodeJS.Timeout>();
  private recoveryTimers = new Set<NodeJS.Timeout>();
  private reconnecting = false;
  /** Set when this side closes to reconnect, so the close is not counted as the server's. */
  private closingToReconnect = false;
  private stopped = false;
  private sendCount = 0;
  private refCount = 0;
  /** Why the last opening failed, while it is being retried. */
  lastFailure: string | undefined;

  constructor(
    readonly index: number,
    private readonly cookie: string,
    private readonly workload: Workload,
    private readonly cidPrefix: string,
    private readonly tally: Tally,
    private readonly random: () => number,
  ) {
    const [min, max] = workload.roomsPerConnection;
    const count = Math.min(workload.rooms.length, min + Math.floor(random() * (max - min + 1)));
    while (this.wanted.size < count) this.wanted.add(this.pick(workload.rooms));
  }

  get open(): boolean {
    return this.isOpen;
  }

  /** Open, no send awaiting its answer, and in every room it wants, joined. */
  settled(): boolean {
    if (!this.isOpen || this.reconnecting || this.pending.size > 0 || this.rooms.size !== this.wanted.size) return false;
    for (const st of this.rooms.values()) if (st.phase !== 'joined') return false;
    return true;
  }

  /** Why settled() is false, in a few words. */
  unsettledReason(): string {
    if (!this.isOpen) return `not open: ${this.lastFailure ?? 'opening'}`;
    if (this.reconnecting) return 'reconnecting';
    if (this.pending.size > 0) return 'awaiting acks';
    return 'joining or leaving';
  }

  get unanswered(): number {
    return this.pending.size;
  }

  /** Opens the socket and joins the rooms it wants. */
  connect(): void {
    const ws = new WebSocket(this.workload.url.replace(/^http/, 'ws') + '/ws', { headers: { cookie: this.cookie }, perMessageDeflate: false });
    this.ws = ws;
    let opened = false;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      opened = true;
      this.isOpen = true;
      this.failedOpenings = 0;
      this.lastFailure = undefined;
      for (const room of this.wanted) this.join(room);
    });
    ws.on('message', (data: Buffer) => this.onFrame(decoder.decode(data) as Frame));
    ws.on('unexpected-response', (_req, res) => {
      this.lastFailure = `upgrade refused: HTTP ${res.statusCode}`;
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (!opened) this.lastFailure ??= err.message;
    });
    ws.on('close', (code) => {
      if (this.ws !== ws) return;
      this.isOpen = false;
      for (const cid of this.pending.keys()) this.tally.unanswered.add(cid);
      this.pending.clear();
      this.rooms.clear();
      this.reconnecting = false;
      if (!opened) return this.recover(this.backoff(this.failedOpenings++), () => this.connect());
      if (this.closingToReconnect) {
        this.closingToReconnect = false;
        this.tally.reconnects++;
        return this.recover(this.between(REOPEN_PAUSE) * 1000, () => this.connect());
      }
      // Closed by the server (or the network): a client reconnects and recovers with since.
      this.tally.closedByServer[code] = (this.tally.closedByServer[code] ?? 0) + 1;
      this.recover(this.backoff(0), () => this.connect());
    });
  }

  /** Starts the workload's timers, each first firing at a random point of its first period. */
  run(): void {
    const w = this.workload;
    this.every(w.sendEvery, () => this.send());
    this.every(w.churnEvery, () => this.changeRoom());
    this.every(w.reconnectEvery, () => this.reconnect());
  }

  /** No new sends, room changes or reconnections; what is under way finishes. */
  stop(): void {
    this.stopped = true;
    for (const t of this.workloadTimers) clearTimeout(t);
    this.workloadTimers.clear();
  }

  /** Closes for good (the run is over). */
  close(): void {
    this.stop();
    for (const t of this.recoveryTimers) clearTimeout(t);
    this.recoveryTimers.clear();
    const ws = this.ws;
    this.ws = undefined;
    this.isOpen = false;
    ws?.close(1000);
  }

  private every([min, max]: [number, number], action: () => void): void {
    const schedule = (delayS: number) => {
      this.timer(this.workloadTimers, delayS * 1000, () => {
        if (this.stopped) return;
        action();
        schedule(this.between([min, max]));
      });
    };
    schedule(this.random() * max);
  }

  /** Reopening, retrying, finishing a reconnection: these go on after stop(), so every connection ends open and settled. */
  private recover(ms: number, fn: () => void): void {
    this.timer(this.recoveryTimers, ms, fn);
  }

  private timer(set: Set<NodeJS.Timeout>, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      set.delete(t);
      fn();
    }, ms);
    set.add(t);
  }

  /** The web client's reconnect delay (exponential from 0.5 s to 30 s, half of it jitter), for retry `attempt` (0 first), ms. */
  private backoff(attempt: number): number {
    return reconnectDelay(attempt, this.random());
  }

  private between([min, max]: [number, number]): number {
    return min + this.random() * (max - min);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private write(frame: Frame): void {
    this.ws!.send(encoder.encode(frame));
  }

  private joinedRooms(): string[] {
    return [...this.rooms].filter(([, st]) => st.phase === 'joined').map(([room]) => room);
  }

  private join(room: string): void {
    const since = this.held.get(room);
    this.rooms.set(room, { phase: 'joining', next: 0, since });
    this.write(since === undefined ? { t: 'join', room, ref: `j${++this.refCount}` } : { t: 'join', room, since, ref: `j${++this.refCount}` });
  }

  private send(): void {
    if (!this.isOpen || this.reconnecting) return;
    const rooms = this.joinedRooms();
    if (rooms.length === 0) return;
    const room = this.pick(rooms);
    if (this.random() < this.workload.typingShare) this.write({ t: 'typing', room });
    const cid = `${this.cidPrefix}.${this.index}.${++this.sendCount}`;
    const words = 2 + Math.floor(this.random() * 20);
    const body = Array.from({ length: words }, () => this.pick(WORDS)).join(' ');
    this.pending.set(cid, { at: performance.now(), room, body, retries: 0 });
    this.tally.sends++;
    this.write({ t: 'send', room, body, cid, ref: cid });
  }

  /** Leaves one room (to join another once `left` comes); never one with a send still awaiting its answer, which may be retried there. */
  private changeRoom(): void {
    if (!this.isOpen || this.reconnecting) return;
    const busy = new Set([...this.pending.values()].map((p) => p.room));
    const rooms = this.joinedRooms().filter((r) => !busy.has(r));
    if (rooms.length === 0) return;
    const room = this.pick(rooms);
    this.rooms.get(room)!.phase = 'leaving';
    this.wanted.delete(room);
    this.write({ t: 'leave', room, ref: `l${++this.refCount}` });
  }

  /** Another room to be in, after a leave: any it is not in (possibly the one it left). */
  private enterAnother(): void {
    const free = this.workload.rooms.filter((r) => !this.rooms.has(r));
    if (free.length === 0) return;
    const room = this.pick(free);
    this.wanted.add(room);
    this.join(room);
  }

  /** Stops sending, waits for the acks in flight and for joins and leaves to finish, closes; reopens on close. */
  private reconnect(): void {
    if (!this.isOpen || this.reconnecting) return;
    this.reconnecting = true;
    const deadline = Date.now() + RECONNECT_DRAIN_MS;
    const closeWhenQuiet = () => {
      const busy = this.pending.size > 0 || [...this.rooms.values()].some((st) => st.phase !== 'joined') || this.rooms.size !== this.wanted.size;
      if (!this.isOpen) return; // closed meanwhile by the server: that close reopens
      if (busy && Date.now() < deadline) return this.recover(100, closeWhenQuiet);
      this.closingToReconnect = true;
      this.ws!.close(1000);
    };
    closeWhenQuiet();
  }

  private onFrame(f: Frame): void {
    switch (f.t) {
      case 'msg':
        return this.onMessage(f.room as string, f.seq as number);
      case 'ack':
        return this.onAck(f.cid as string, f.room as string, f.seq as number, f.id as number);
      case 'joined':
        return this.onJoined(f.room as string, f.seq as number, f.messages as Frame[], f.truncated === true);
      case 'left': {
        this.rooms.delete(f.room as string);
        // A room left is joined afresh later (its latest 50), not with since: kept, the
        // share of rejoins that ask for 500 missed messages would grow all through the run
        // (each connection returns to more of the 100 rooms it has seen), and the load with
        // it. Recovery with since is what reconnections test.
        this.held.delete(f.room as string);
        this.tally.leaves++;
        return this.enterAnother();
      }
      case 'error':
        return this.onError(f.code as string, f.ref, f.room as string | undefined, f.retry_after as number | undefined);
    }
  }

  private onMessage(room: string, seq: number): void {
    this.tally.delivered++;
    const st = this.rooms.get(room);
    if (!st || st.phase === 'joining') {
      this.tally.stream.unexpected++;
      return;
    }
    this.follow(room, st, seq);
  }

  /** Checks one seq against the next one expected on this room. */
  private follow(room: string, st: RoomState, seq: number): void {
    if (seq > st.next) this.tally.stream.gaps++;
    else if (seq < st.next) this.tally.stream.repeats++;
    st.next = Math.max(st.next, seq + 1);
    this.held.set(room, Math.max(this.held.get(room) ?? 0, seq));
  }

  private onJoined(room: string, seq: number, backlog: Frame[], truncated: boolean): void {
    const st = this.rooms.get(room);
    if (!st || st.phase !== 'joining') {
      this.tally.stream.unexpected++;
      return;
    }
    this.tally.joins++;
    this.tally.backlog += backlog.length;
    this.failedJoins.delete(room);
    // With since, the backlog must continue from it and end at the room's seq; without, it
    // is only the latest messages, and the stream starts after the room's seq.
    if (st.since !== undefined && !truncated) {
      st.next = st.since + 1;
      for (const m of backlog) this.follow(room, st, m.seq as number);
      if (st.next !== seq + 1) this.tally.stream.gaps++;
    }
    if (truncated) this.tally.stream.truncatedRejoins++;
    st.phase = 'joined';
    st.next = seq + 1;
    this.held.set(room, seq);
  }

  private onAck(cid: string, room: string, seq: number, id: number): void {
    const sent = this.pending.get(cid);
    if (sent) {
      this.tally.latenciesMs.push(performance.now() - sent.at);
      this.pending.delete(cid);
    }
    this.tally.acks++;
    let acked = this.tally.acked.get(room);
    if (!acked) this.tally.acked.set(room, (acked = new Map()));
    acked.set(cid, { seq, id });
  }

  /**
   * Errors are counted by what failed and their code ("send unavailable"). The retryable
   * ones are retried as the contract tells a client to, after `retry_after` for
   * `rate_limited` and with the web client's backoff for `unavailable`: a send again with
   * the same cid (nothing was stored), a join again. Any other failed send is given up, any
   * other failed join gives its room up for another.
   */
  private onError(code: string, ref: unknown, room: string | undefined, retryAfterMs: number | undefined): void {
    const cid = typeof ref === 'string' ? ref : '';
    const sent = this.pending.get(cid);
    const joining = !sent && cid.startsWith('j') && room !== undefined && this.rooms.get(room)?.phase === 'joining';
    const key = `${sent ? 'send' : joining ? 'join' : 'other'} ${code}`;
    this.tally.errors[key] = (this.tally.errors[key] ?? 0) + 1;
    const retryable = code === 'unavailable' || code === 'rate_limited';
    const pause = (attempt: number) => (code === 'rate_limited' && retryAfterMs !== undefined ? retryAfterMs : this.backoff(attempt));
    if (sent) {
      if (!retryable) {
        this.pending.delete(cid);
        this.tally.refused.add(cid);
        return;
      }
      this.tally.retries++;
      // Still awaited on this very socket (a close forgets it): same cid, same body.
      this.recover(pause(sent.retries++), () => {
        if (this.pending.get(cid) === sent) this.write({ t: 'send', room: sent.room, body: sent.body, cid, ref: cid });
      });
      return;
    }
    if (!joining) return;
    this.rooms.delete(room);
    if (retryable) {
      this.tally.retries++;
      const attempt = this.failedJoins.get(room) ?? 0;
      this.failedJoins.set(room, attempt + 1);
      this.recover(pause(attempt), () => {
        if (this.isOpen && this.wanted.has(room) && !this.rooms.has(room)) this.join(room);
      });
      return;
    }
    this.wanted.delete(room);
    this.recover(this.backoff(0), () => {
      if (this.isOpen) this.enterAnother();
    });
  }
}
