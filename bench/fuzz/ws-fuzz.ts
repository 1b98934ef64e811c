/**
 * Sends the fuzz frames (ws-frames.ts) over authenticated WebSockets and holds the server to
 * the contract: every server frame is one plain MessagePack map of a known type with the
 * fields the contract gives it; each client frame gets the direct replies it is owed (one, or
 * at most one for a typing) carrying its ref; the socket stays open except for 1009 after an
 * oversized frame and 1013 for a slow reader.
 *
 * Each socket works in lockstep: a fuzz frame, then a sentinel of an unknown type with a ref
 * of its own. The server answers the sentinel at once, after anything it answered to the fuzz
 * frame at once; a reply still owed after that (a join reads the store, a send waits for its
 * commit) is waited for before the next frame, so every reply belongs to a known frame.
 * Sockets run side by side, as many users, in a shared pool of rooms.
 */
import WebSocket from 'ws';
import { decode, encode } from '@msgpack/msgpack';
import { fuzzFrame, type FuzzFrame } from './ws-frames.js';
import { Findings, showBytes } from './findings.js';

export interface WsFuzzOptions {
  /** The server's base URL (http://host:port). */
  url: string;
  /** Session cookies of the users the sockets belong to, used in turn. */
  cookies: string[];
  sockets: number;
  frames: number;
  /** The first frame's index (a replay starts at the one it names). */
  first?: number;
  seed: number;
  maxFrameBytes: number;
  findings: Findings;
  keepGoing?: () => boolean;
  /** Told after each frame. */
  onFrame?: () => void;
  /** How long a reply may take (a send waits for a commit; a join under load waits for the store's pool). */
  replyTimeoutMs?: number;
}

export interface WsFuzzSummary {
  frames: number;
  ms: number;
  /** Direct replies by type (errors by code), and frames that got none. */
  replies: Record<string, number>;
  broadcasts: Record<string, number>;
  closes: Record<string, number>;
  reconnects: number;
  /** Upgrades refused for load (503, 429) and tried again, by status. */
  refusedUpgrades: Record<string, number>;
  /** Replies carrying the ref of an earlier frame on the socket (a reply that came after its wait ended). */
  late: number;
  /** Frames whose reply took over 5 s (the store overloaded), and the longest wait, ms. */
  slow: number;
  slowestMs: number;
  /** Frames by what the generator made. */
  kinds: Record<string, number>;
}

type Frame = Record<string, unknown>;

const ERROR_CODES = new Set(['bad_frame', 'invalid', 'not_found', 'forbidden', 'not_joined', 'rate_limited', 'too_many_rooms', 'unavailable', 'internal']);
const DIRECT = new Set(['error', 'joined', 'left', 'ack']);
/** Closes the contract allows without the client having done anything wrong. */
const ALLOWED_CLOSES = new Set([1013]);

export async function runWsFuzz(o: WsFuzzOptions): Promise<WsFuzzSummary> {
  const started = Date.now();
  const s: WsFuzzSummary = { frames: 0, ms: 0, replies: {}, broadcasts: {}, closes: {}, reconnects: 0, refusedUpgrades: {}, late: 0, slow: 0, slowestMs: 0, kinds: {} };
  const first = o.first ?? 0;
  let next = first;
  let sentinels = 0;
  const worker = async (w: number) => {
    const cookie = o.cookies[w % o.cookies.length]!;
    let sock: FuzzSocket | undefined;
    while (next < first + o.frames && (o.keepGoing?.() ?? true)) {
      // Taken before any wait, so that side-by-side workers never go past the last frame.
      const index = next++;
      if (!sock || sock.closed) {
        if (sock) s.reconnects++;
        const opened = await openWithRetries(o, s, cookie);
        if (typeof opened === 'string') {
          o.findings.add('ws', 'cannot connect', opened, `socket ${w}`, `--seed ${o.seed}`);
          return;
        }
        sock = opened;
      }
      const frame = fuzzFrame(o.seed, index, { maxFrameBytes: o.maxFrameBytes });
      s.frames++;
      s.kinds[frame.notes[0]!] = (s.kinds[frame.notes[0]!] ?? 0) + 1;
      const reopen = await exchange(o, s, sock, frame, `s${w}-${++sentinels}`);
      if (reopen) sock.close();
      o.onFrame?.();
    }
    sock?.close();
  };
  await Promise.all(Array.from({ length: Math.min(o.sockets, o.frames) }, (_, w) => worker(w)));
  s.ms = Date.now() - started;
  return s;
}

/**
 * Opens a socket. An upgrade refused with 503 (sessions cannot be checked: the store is
 * overloaded) or 429 is the contract's answer under load, so it is tried again, up to ~30 s.
 */
async function openWithRetries(o: WsFuzzOptions, s: WsFuzzSummary, cookie: string): Promise<FuzzSocket | string> {
  let delay = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await FuzzSocket.open(o.url, cookie, o, s);
    } catch (err) {
      const status = (err as { status?: number }).status;
      if ((status !== 503 && status !== 429) || attempt === 12) return (err as Error).message;
      s.refusedUpgrades[status] = (s.refusedUpgrades[status] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** Runs one frame; true when the socket is done for (closed, or out of step). */
async function exchange(o: WsFuzzOptions, s: WsFuzzSummary, sock: FuzzSocket, f: FuzzFrame, sentinelRef: string): Promise<boolean> {
  const timeout = o.replyTimeoutMs ?? 60_000;
  const replay = `--seed ${o.seed} --ws-frame ${f.index}`;
  const example = () => `${f.notes.join('; ')} ${typeof f.data === 'string' ? `text ${JSON.stringify(f.data.slice(0, 200))}` : showBytes(f.data, 200)}`;
  const fail = (kind: string, detail: string, seen = '') => o.findings.add('ws', kind, detail, `${example()}${seen ? ` -> ${seen}` : ''}`, replay);

  if (f.expect === 'close1009') {
    sock.send(f.data, f.binary);
    const closed = await sock.whenClosed(timeout);
    const code = closed?.code ?? 'still open';
    s.closes[`${code} after a frame over the limit`] = (s.closes[`${code} after a frame over the limit`] ?? 0) + 1;
    if (code !== 1009) fail('oversized frame not closed with 1009', `closed with ${code}`);
    return true;
  }

  const sentAt = Date.now();
  sock.send(f.data, f.binary);
  sock.send(encode({ t: 'zz', ref: sentinelRef }), true);
  const got: Frame[] = [];
  /** The next direct reply that is not a late one to an earlier frame. */
  const next = async (ms: number) => {
    for (;;) {
      const r = await sock.nextDirect(ms);
      if (r && r.ref !== undefined && r.ref !== f.ref && sock.earlierRefs.has(r.ref as string | number)) s.late++;
      else return r;
    }
  };
  for (;;) {
    const r = await next(timeout);
    if (!r) return lost(s, sock, fail, 'no answer to the sentinel');
    if (r.ref === sentinelRef) {
      if (r.t !== 'error' || r.code !== 'bad_frame') fail('sentinel answered oddly', JSON.stringify(r).slice(0, 100));
      break;
    }
    got.push(r);
  }
  const owed = f.expect === 'one' || f.expect === 'badFrame' ? 1 : 0;
  if (got.length < owed) {
    const r = await next(timeout);
    if (!r) return lost(s, sock, fail, `no reply within ${timeout} ms`);
    got.push(r);
  } else if (f.anyRef && got.length === 0) {
    // Mangled bytes may have made a join or a send, whose reply (ref unknown) could come later
    // and be taken for the next frame's: give it a moment, then start a new socket.
    const r = await next(1000);
    if (!r) return true;
    got.push(r);
  }
  sock.remember(f.ref);
  const waited = Date.now() - sentAt;
  if (waited > 5000) s.slow++;
  s.slowestMs = Math.max(s.slowestMs, waited);

  if (got.length === 0) s.replies['nothing'] = (s.replies['nothing'] ?? 0) + 1;
  for (const r of got) {
    const label = r.t === 'error' ? `error ${String(r.code)}` : String(r.t);
    s.replies[label] = (s.replies[label] ?? 0) + 1;
  }
  const seen = JSON.stringify(got, (_k, v: unknown) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…` : v)).slice(0, 300);
  if (got.length > 1) fail('more than one reply', `${got.length} replies`, seen);
  if (f.expect === 'badFrame' && got[0] && (got[0].t !== 'error' || got[0].code !== 'bad_frame')) {
    fail(f.invalidUtf8 ? 'string not UTF-8 accepted' : 'not refused as bad_frame', `${f.notes[0]}: answered ${got[0].t === 'error' ? `error ${String(got[0].code)}` : String(got[0].t)}`, seen);
  }
  for (const r of got) {
    if (r.t === 'error' && r.code === 'internal') fail('internal error', `${f.notes[0]}: ${String(r.message)}`, seen);
    if (f.anyRef || r.ref === f.ref) continue;
    if (f.refLengthAmbiguous && r.ref === undefined) {
      fail('ref echoed or dropped by how its length is counted', `a ref of at most 128 code points but more UTF-16 units, dropped on ${String(r.t)} ${String(r.code ?? '')}`, `ref of ${[...String(f.ref)].length} code points, ${String(f.ref).length} UTF-16 units; ${seen}`);
    } else fail('ref not echoed as sent', `${f.notes[0]}: expected ${JSON.stringify(f.ref)}, got ${JSON.stringify(r.ref)}`, seen);
  }
  return false;
}

function lost(s: WsFuzzSummary, sock: FuzzSocket, fail: (kind: string, detail: string) => void, what: string): true {
  if (sock.closed) {
    const code = sock.closed.code;
    s.closes[`${code} unexpected`] = (s.closes[`${code} unexpected`] ?? 0) + 1;
    if (!ALLOWED_CLOSES.has(code)) fail('socket closed', `closed with ${code} (${sock.closed.reason})`);
  } else fail('hang', what);
  return true;
}

/** A WebSocket whose server frames are checked as they come and whose direct replies are queued. */
class FuzzSocket {
  closed: { code: number; reason: string } | undefined;
  /** Refs of the frames this socket sent before (the last 100). */
  readonly earlierRefs = new Set<string | number>();
  private direct: Frame[] = [];
  private wake: (() => void) | undefined;
  private closedWaiters: Array<() => void> = [];

  private constructor(private readonly ws: WebSocket, o: WsFuzzOptions, s: WsFuzzSummary) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const problem = (what: string) => o.findings.add('ws', 'bad server frame', what, showBytes(data, 200), `--seed ${o.seed}`);
      if (!isBinary) return problem('a text frame');
      let frame: unknown;
      try {
        frame = decode(data);
      } catch (err) {
        return problem(`not MessagePack: ${(err as Error).message}`);
      }
      const wrong = checkServerFrame(frame);
      if (wrong) return problem(wrong);
      const f = frame as Frame;
      if (DIRECT.has(f.t as string)) {
        this.direct.push(f);
        this.notify();
      } else s.broadcasts[f.t as string] = (s.broadcasts[f.t as string] ?? 0) + 1;
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
      for (const w of this.closedWaiters.splice(0)) w();
    });
    ws.on('error', () => {});
  }

  static open(url: string, cookie: string, o: WsFuzzOptions, s: WsFuzzSummary): Promise<FuzzSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers: { cookie }, perMessageDeflate: false });
    const sock = new FuzzSocket(ws, o, s);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(sock));
      ws.once('unexpected-response', (req, res) => {
        res.resume();
        req.destroy();
        reject(Object.assign(new Error(`WebSocket upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
      });
      ws.once('error', reject);
    });
  }

  remember(ref: string | number | undefined): void {
    if (ref === undefined) return;
    this.earlierRefs.add(ref);
    if (this.earlierRefs.size > 100) this.earlierRefs.delete(this.earlierRefs.values().next().value!);
  }

  send(data: Uint8Array | string, binary: boolean): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data, { binary });
  }

  /** The next direct reply, or undefined when none comes within timeoutMs or the socket closes. */
  async nextDirect(timeoutMs: number): Promise<Frame | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.direct.length === 0) {
      if (this.closed || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.direct.shift();
  }

  async whenClosed(timeoutMs: number): Promise<FuzzSocket['closed']> {
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.closedWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    this.closed ??= { code: 1000, reason: 'closed by the fuzzer' };
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isMember = (m: unknown) => typeof m === 'object' && m !== null && isInt((m as Frame).id) && typeof (m as Frame).name === 'string';
const isMessage = (m: unknown) => {
  const x = m as Frame;
  return typeof m === 'object' && m !== null && typeof x.room === 'string' && isInt(x.id) && isInt(x.seq) && isInt(x.at) && isMember(x.user) && typeof x.body === 'string' && typeof x.cid === 'string';
};

/**
 * A string with a lone surrogate: @msgpack/msgpack reads the CESU-8 bytes of one (ED A0 80,
 * not UTF-8) back into it, so one in a decoded frame means the wire held no UTF-8 there.
 */
function loneSurrogateAt(value: unknown, path = '$'): string | undefined {
  if (typeof value === 'string') return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value) ? path : undefined;
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = loneSurrogateAt(v, `${path}.${k}`);
    if (at) return at;
  }
  return undefined;
}

/** What is wrong with a frame from the server by the contract, or undefined. */
export function checkServerFrame(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return 'not a map';
  const f = value as Frame;
  const notUtf8 = loneSurrogateAt(f);
  if (notUtf8) return `a string that is not UTF-8 (a lone surrogate) at ${notUtf8} of a ${String(f.t)} frame`;
  if (f.ref !== undefined && typeof f.ref !== 'string' && !Number.isSafeInteger(f.ref)) return `ref ${JSON.stringify(f.ref)}`;
  const str = (k: string) => typeof f[k] === 'string';
  switch (f.t) {
    case 'error':
      if (!ERROR_CODES.has(f.code as string)) return `error code ${JSON.stringify(f.code)}`;
      if (!str('message') || (f.room !== undefined && !str('room'))) return 'error without message, or room not a string';
      if (f.retry_after !== undefined && !(typeof f.retry_after === 'number' && f.retry_after >= 0)) return `retry_after ${JSON.stringify(f.retry_after)}`;
      return undefined;
    case 'joined': {
      if (!str('room') || !isInt(f.seq) || typeof f.truncated !== 'boolean') return 'joined without room, seq or truncated';
      if (!Array.isArray(f.members) || !f.members.every(isMember)) return 'joined with bad members';
      if (!Array.isArray(f.messages) || !f.messages.every(isMessage)) return 'joined with bad messages';
      const seqs = (f.messages as Frame[]).map((m) => m.seq as number);
      if (seqs.some((q, i) => i > 0 && q <= seqs[i - 1]!)) return 'joined messages not ascending';
      return undefined;
    }
    case 'left':
      return str('room') ? undefined : 'left without room';
    case 'ack':
      return str('cid') && str('room') && isInt(f.id) && isInt(f.seq) && isInt(f.at) ? undefined : 'ack without cid, room, id, seq or at';
    case 'msg':
      return isMessage(f) ? undefined : 'msg without the Message fields';
    case 'presence':
      return str('room') && Array.isArray(f.joins) && f.joins.every(isMember) && Array.isArray(f.leaves) && f.leaves.every(isMember) ? undefined : 'presence with bad joins or leaves';
    case 'typing':
      return str('room') && isMember(f.user) ? undefined : 'typing without room or user';
    default:
      return `unknown type ${JSON.stringify(f.t)}`;
  }
}
