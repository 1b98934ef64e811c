/**
 * A protocol-level WebSocket client for tests. It speaks the contract with @msgpack/msgpack,
 * not the server's msgpackr, so the tests also show that plain MessagePack is enough.
 */
import WebSocket from 'ws';
import { decode, encode } from '@msgpack/msgpack';

export type Frame = Record<string, any>;

export interface Closed {
  code: number;
  reason: string;
}

export class WsClient {
  readonly frames: Frame[] = [];
  private cursor = 0;
  private waiters: Array<() => void> = [];
  closed: Closed | undefined;
  private closedPromise: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
        this.wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? (decode(data as Buffer) as Frame) : { text: data.toString() });
      this.wake();
    });
    ws.on('error', () => {});
  }

  /** Opens /ws with a session cookie. Rejects with the HTTP status when the upgrade is refused. */
  static connect(baseUrl: string, cookie: string | undefined, headers: Record<string, string> = {}): Promise<WsClient> {
    const url = baseUrl.replace(/^http/, 'ws') + '/ws';
    const ws = new WebSocket(url, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
    const client = new WsClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  send(frame: Frame): void {
    this.ws.send(encode(frame));
  }

  sendRaw(data: Buffer | string, binary = true): void {
    this.ws.send(data, { binary });
  }

  /** The next frame (after those already taken) matching pred; frames skipped over stay readable via `frames`. */
  async next(pred: (f: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const f = this.frames[this.cursor++]!;
        if (pred(f)) return f;
      }
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for a frame`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a frame and waits for the reply carrying its ref. */
  async request(frame: Frame, timeoutMs = 5000): Promise<Frame> {
    const ref = frame.ref ?? `r${Math.random().toString(36).slice(2)}`;
    this.send({ ...frame, ref });
    return this.next((f) => f.ref === ref, timeoutMs);
  }

  join(room: string, since?: number) {
    return this.request(since === undefined ? { t: 'join', room } : { t: 'join', room, since });
  }

  /** Every frame received so far of a type (optionally for one room). */
  all(t: string, room?: string): Frame[] {
    return this.frames.filter((f) => f.t === t && (room === undefined || f.room === room));
  }

  /** Waits until pred holds over all frames received so far. */
  async until(pred: (frames: Frame[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.frames)) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      if (this.closed) throw new Error(`socket closed (${this.closed.code})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  whenClosed(timeoutMs = 5000): Promise<Closed> {
    return Promise.race([
      this.closedPromise,
      new Promise<Closed>((_, reject) => setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms`)), timeoutMs)),
    ]);
  }

  close(): void {
    if (!this.closed) this.ws.close(1000);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
