/**
 * A storm of WebSocket sends as real clients make it: each client sends without waiting for
 * answers (up to `window` unanswered, at most `ratePerSecond`), and retries with the same cid
 * what was refused `unavailable` (after `backoffMs`) or `rate_limited` (after `retry_after`),
 * and what went unanswered when its socket closed, once it has reconnected and joined again.
 * Every attempt and answer goes to the shared Ledger.
 */
import WebSocket from 'ws';
import { decode, encode } from '@msgpack/msgpack';
import { Client } from '../../test/harness.js';
import type { Ledger } from './ledger.js';

export interface StormOptions {
  /** New and retried sends per second per client. */
  ratePerSecond: number;
  /** Most unanswered sends per client. */
  window: number;
  /** Pause after an `unavailable` before sending again. */
  backoffMs: number;
}

export const STORM_DEFAULTS: StormOptions = { ratePerSecond: 300, window: 64, backoffMs: 250 };

/** Codes after which sending the same cid again cannot help. */
const FINAL_CODES = new Set(['invalid', 'bad_frame', 'forbidden', 'not_found']);
const TICK_MS = 10;
const JOIN_RETRY_MS = 250;

type Frame = Record<string, unknown>;

export class StormClient {
  private ws: WebSocket | undefined;
  private readonly inflight = new Map<string, number>();
  private retryQueue: string[] = [];
  private next = 0;
  private credit = 0;
  private pausedUntil = 0;
  private mode: 'idle' | 'storm' | 'settle' = 'idle';
  private readonly timer: NodeJS.Timeout;
  private joinWaiter: ((f: Frame) => void) | undefined;
  /** The current socket has joined the room: sends may go out. */
  private joined = false;
  /** Close codes this client's sockets ended with. */
  readonly closes: number[] = [];

  constructor(
    readonly owner: string,
    private readonly cookie: string,
    readonly room: string,
    private readonly ledger: Ledger,
    private readonly opts: StormOptions,
  ) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Opens a socket and joins the room, retrying refusals and `unavailable` until the deadline. */
  async connect(url: string, timeoutMs = 30_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = '';
    while (performance.now() < deadline) {
      try {
        if (!this.connected) await this.open(url);
        const answer = await this.join(Math.max(1000, deadline - performance.now()));
        if (answer.t === 'joined') {
          this.joined = true;
          return;
        }
        last = `join answered ${String(answer.code)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(JOIN_RETRY_MS);
    }
    throw new Error(`${this.owner}: could not connect and join within ${timeoutMs} ms (${last})`);
  }

  storm(): void {
    this.mode = 'storm';
  }

  pause(): void {
    this.mode = 'idle';
  }

  /**
   * Sends again every cid of this client not acknowledged yet (reconnecting first if need
   * be) until all are acknowledged, one is refused for good, or the deadline passes.
   */
  async settle(url: string, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    this.mode = 'settle';
    const queued = new Set(this.retryQueue);
    for (const cid of this.ledger.unacked(this.owner)) if (!this.inflight.has(cid) && !queued.has(cid)) this.retryQueue.push(cid);
    while (performance.now() < deadline) {
      if (!this.connected) await this.connect(url, Math.max(1000, deadline - performance.now())).catch(() => {});
      if (this.inflight.size === 0 && this.retryQueue.length === 0) return;
      await sleep(50);
    }
  }

  /** Age of the oldest unanswered send, ms (0 when none). */
  oldestUnansweredMs(now = performance.now()): number {
    let oldest = 0;
    for (const sentAt of this.inflight.values()) oldest = Math.max(oldest, now - sentAt);
    return oldest;
  }

  close(): void {
    clearInterval(this.timer);
    this.mode = 'idle';
    this.ws?.close(1000);
  }

  private open(url: string): Promise<void> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws', { headers: { cookie: this.cookie } });
    ws.binaryType = 'nodebuffer';
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        this.ws = ws;
        resolve();
      });
      ws.once('unexpected-response', (req, res) => {
        req.destroy(); // with this listener, ending the refused request is ours to do
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
      });
      ws.once('error', (err) => reject(err));
      ws.on('error', () => {}); // a later error is followed by 'close', handled below
      ws.on('message', (data: Buffer) => this.receive(decode(data) as Frame));
      ws.on('close', (code) => {
        if (this.ws !== ws) return;
        this.ws = undefined;
        this.joined = false;
        this.closes.push(code);
        for (const cid of this.inflight.keys()) {
          this.ledger.dropped(cid);
          this.retryQueue.push(cid);
        }
        this.inflight.clear();
        this.joinWaiter?.({ t: 'error', code: 'closed' });
      });
    });
  }

  private join(timeoutMs: number): Promise<Frame> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish({ t: 'error', code: 'join timed out' }), timeoutMs);
      const finish = (f: Frame) => {
        clearTimeout(timer);
        this.joinWaiter = undefined;
        resolve(f);
      };
      this.joinWaiter = finish;
      this.ws!.send(encode({ t: 'join', room: this.room, ref: 'join' }));
    });
  }

  private receive(f: Frame): void {
    const now = performance.now();
    if (f.ref === 'join') return this.joinWaiter?.(f);
    if (f.t === 'ack' && typeof f.cid === 'string' && this.inflight.has(f.cid)) {
      this.inflight.delete(f.cid);
      this.ledger.answered(f.cid, { t: 'ack', seq: f.seq as number, id: f.id as number, at: Number(f.at) }, now);
    } else if (f.t === 'error' && typeof f.ref === 'string' && this.inflight.has(f.ref)) {
      const cid = f.ref;
      const code = String(f.code);
      this.inflight.delete(cid);
      this.ledger.answered(cid, { t: 'error', code }, now);
      if (FINAL_CODES.has(code)) return;
      this.retryQueue.push(cid);
      const wait = code === 'rate_limited' && typeof f.retry_after === 'number' ? f.retry_after : this.opts.backoffMs;
      this.pausedUntil = Math.max(this.pausedUntil, now + wait);
    }
  }

  private tick(): void {
    const now = performance.now();
    if (this.mode === 'idle' || !this.joined || !this.connected || now < this.pausedUntil) return;
    this.credit = this.mode === 'settle' ? this.opts.window : Math.min(this.opts.window, this.credit + (this.opts.ratePerSecond * TICK_MS) / 1000);
    while (this.credit >= 1 && this.inflight.size < this.opts.window) {
      const cid = this.retryQueue.shift() ?? (this.mode === 'storm' ? this.newCid() : undefined);
      if (cid === undefined) break;
      if (this.ledger.isAcked(cid) || this.inflight.has(cid)) continue;
      const { room, body } = this.ledger.message(cid);
      this.inflight.set(cid, now);
      this.ledger.sent(cid, now);
      this.ws!.send(encode({ t: 'send', room, body, cid, ref: cid }));
      this.credit--;
    }
  }

  private newCid(): string {
    const cid = `${this.owner}-${this.next++}`;
    this.ledger.add(this.owner, this.room, cid, `storm message ${cid}`);
    return cid;
  }
}

export interface StormUser {
  name: string;
  cookie: string;
}

/** Signs up `count` users named `<prefix>0..`, from this process's address. */
export async function signUpUsers(url: string, prefix: string, count: number): Promise<StormUser[]> {
  const users: StormUser[] = [];
  for (let i = 0; i < count; i++) {
    const http = new Client(url);
    await http.signup(`${prefix}${i}`);
    users.push({ name: `${prefix}${i}`, cookie: http.cookie! });
  }
  return users;
}

/** Several storm clients over a few rooms, driven together. */
export class Storm {
  private constructor(readonly clients: StormClient[]) {}

  /** One client per user, user i in rooms[i % rooms.length], each connected and joined. */
  static async open(url: string, users: StormUser[], rooms: string[], ledger: Ledger, opts: StormOptions = STORM_DEFAULTS): Promise<Storm> {
    const clients = users.map((u, i) => new StormClient(u.name, u.cookie, rooms[i % rooms.length]!, ledger, opts));
    await Promise.all(clients.map((c) => c.connect(url)));
    return new Storm(clients);
  }

  start(): void {
    for (const c of this.clients) c.storm();
  }

  pause(): void {
    for (const c of this.clients) c.pause();
  }

  connected(): number {
    return this.clients.filter((c) => c.connected).length;
  }

  /** Reconnects (to a restarted server's URL) and rejoins every client whose socket closed. */
  async reconnect(url: string, timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.clients.filter((c) => !c.connected).map((c) => c.connect(url, timeoutMs)));
  }

  async settle(url: string, timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.clients.map((c) => c.settle(url, timeoutMs)));
  }

  oldestUnansweredMs(): number {
    return Math.max(0, ...this.clients.map((c) => c.oldestUnansweredMs()));
  }

  closeCodes(): number[] {
    return this.clients.flatMap((c) => c.closes);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
