/**
 * The subscriber side of the fan-out benchmark, a child process of run.ts (see
 * load-messages.ts for what it is told and answers). It opens real WebSocket connections:
 * `ws` speaking Parley's protocol (binary MessagePack, session cookie on the upgrade) to
 * Parley and to the bare uWS server, socket.io-client (WebSocket transport only, one
 * connection per client) to Socket.IO. Each joins one room, or none for idle connections.
 * An opening that fails on the way (not by the server's answer) is tried twice more.
 *
 * Every connection counts the `msg` frames it receives. A MessagePack frame is recognised
 * without decoding it when `t` is its first key (Parley and the bare server put it first);
 * anything else is decoded to read `t`, so presence frames are never counted. One connection
 * in `sampleEvery` decodes each message and records latency (now minus the send time the
 * publisher stamped into the body; same machine, same clock) and checks that seqs follow on.
 */
import { decode, encode } from '@msgpack/msgpack';
import * as hdr from 'hdr-histogram-js';
import { forEachConcurrently } from './concurrency.js';
import { isMsgFrame, openProtocolSocket, openSocketIo as openSocketIoClient } from './load-sockets.js';
import type { FromSubscribers, LatencySummary, ServerKind, SubscriberReport, SubscriberSpec, ToSubscribers } from './load-messages.js';

interface Connection {
  room: string | undefined;
  count: number;
  sampled: boolean;
  /** Last seq seen on a sampled connection since the last reset, -1 before the first. */
  lastSeq: number;
  close(): void;
  closed: Promise<void>;
}

type Frame = Record<string, unknown>;

const OPEN_TIMEOUT_MS = 30_000;
/** Further tries of an opening that failed for the transport, and the pause before each. */
const OPEN_RETRIES = 2;
const RETRY_PAUSE_MS = 150;

let connections: Connection[] = [];
let delivered = 0;
let seqGaps = 0;
/**
 * Frames stamped before this (epoch ms) were published before the current pass began: a
 * backlog the last pass left in socket buffers, seconds late. They stay out of this pass's
 * latency and seq checks and are counted instead. The margin covers the two processes'
 * clocks; the pass's first post is sent well after the reset.
 */
let passStartMs = 0;
const STALE_MARGIN_MS = 50;
let staleSampled = 0;
let closing = false;
let closedByServer: Record<string, number> = {};
let cpuAtReset = process.cpuUsage();
const latencyUs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });

/** Epoch milliseconds with sub-millisecond resolution; the publisher stamps with the same. */
const nowMs = () => performance.timeOrigin + performance.now();

function reply(m: FromSubscribers): void {
  // After the orchestrator has gone, there is no one to tell.
  if (process.connected) process.send!(m);
}

/** Latency and seq continuity of one message on a sampled connection. */
function sample(conn: Connection, frame: Frame): void {
  const body = frame.body;
  if (typeof body === 'string') {
    const sentMs = Number(body.slice(0, body.indexOf(':')));
    if (sentMs < passStartMs) {
      staleSampled++;
      return;
    }
    if (Number.isFinite(sentMs)) latencyUs.recordValue(Math.max(1, Math.round((nowMs() - sentMs) * 1000)));
  }
  const seq = Number(frame.seq);
  if (conn.lastSeq >= 0 && seq !== conn.lastSeq + 1) seqGaps++;
  conn.lastSeq = seq;
}

function counted(conn: Connection): void {
  conn.count++;
  delivered++;
}

function serverClosed(why: string): void {
  if (!closing) closedByServer[why] = (closedByServer[why] ?? 0) + 1;
}

/** The opening failed on the way (closed before joining, socket error, open timeout), not by the server's answer. */
class TransportFailure extends Error {}

/** One connection being opened: settles once, when joined (or connected, if idle) or failed. */
interface Opening {
  conn: Connection;
  settled(): boolean;
  opened(): void;
  /** A transport failure: the opening may be tried again. */
  fail(why: string): void;
  /** The server said no (an `error` frame, a refused upgrade): trying again would not change that. */
  refused(why: string): void;
  /** The transport has closed: before joining that is a failure; after, the server closed it. */
  closed(why: string): void;
}

function opening(spec: SubscriberSpec, sampled: boolean, transport: { close(): void; abort(): void }, resolve: (c: Connection) => void, reject: (e: Error) => void): Opening {
  let resolveClosed!: () => void;
  const conn: Connection = { room: spec.room, count: 0, sampled, lastSeq: -1, close: transport.close, closed: new Promise((r) => (resolveClosed = r)) };
  let state: 'opening' | 'open' | 'failed' = 'opening';
  const settle = (err?: Error) => {
    if (state !== 'opening') return;
    state = err ? 'failed' : 'open';
    clearTimeout(timer);
    if (!err) return resolve(conn);
    transport.abort();
    reject(err);
  };
  const fail = (why: string) => settle(new TransportFailure(why));
  const timer = setTimeout(() => fail('not joined within the open timeout'), OPEN_TIMEOUT_MS);
  return {
    conn,
    settled: () => state !== 'opening',
    opened: () => settle(),
    fail,
    refused: (why) => settle(new Error(why)),
    closed: (why) => {
      // A failed opening's socket closing (aborted by us, or what failed it) is not the server closing a subscriber.
      if (state === 'open') serverClosed(why);
      fail(`closed (${why}) before joining`);
      resolveClosed();
    },
  };
}

function openWs(url: string, spec: SubscriberSpec, sampled: boolean): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const ws = openProtocolSocket(url, spec.cookie);
    const o = opening(spec, sampled, { close: () => ws.close(1000), abort: () => ws.terminate() }, resolve, reject);
    ws.on('open', () => {
      if (spec.room === undefined) o.opened();
      else ws.send(encode({ t: 'join', room: spec.room }));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!o.settled()) {
        const f = (isBinary ? decode(data) : {}) as Frame;
        if (f.t === 'joined' && f.room === spec.room) o.opened();
        else if (f.t === 'error') o.refused(`join ${spec.room}: ${String(f.code)} ${String(f.message)}`);
        return;
      }
      if (!isBinary || !isMsgFrame(data)) return;
      counted(o.conn);
      if (o.conn.sampled) sample(o.conn, decode(data) as Frame);
    });
    ws.on('unexpected-response', (_req, res) => o.refused(`upgrade refused: HTTP ${res.statusCode}`));
    ws.on('error', (err) => o.fail(err.message));
    ws.on('close', (code) => o.closed(String(code)));
  });
}

function openSocketIo(url: string, spec: SubscriberSpec, sampled: boolean): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = openSocketIoClient(url, OPEN_TIMEOUT_MS);
    const o = opening(spec, sampled, { close: () => socket.disconnect(), abort: () => socket.disconnect() }, resolve, reject);
    socket.on('connect', () => {
      if (spec.room === undefined) o.opened();
      else socket.emit('join', spec.room);
    });
    socket.on('joined', (f: Frame) => {
      if (f.room === spec.room) o.opened();
    });
    socket.on('msg', (f: Frame) => {
      counted(o.conn);
      if (o.conn.sampled) sample(o.conn, f);
    });
    // The server's refusal (a CONNECT_ERROR packet) comes with `data`; transport errors and the timeout without.
    socket.on('connect_error', (err) => ('data' in err ? o.refused(err.message) : o.fail(err.message)));
    socket.on('disconnect', (reason) => o.closed(reason));
  });
}

type Open = (url: string, spec: SubscriberSpec, sampled: boolean) => Promise<Connection>;

/**
 * Now and then (about one run in 5-10) one connection among a thousand fails on the way,
 * e.g. closed (1006) before joining, and no cause has been found on the server; alone it
 * would fail the whole server's run. So such an opening is tried again, and why goes into
 * `retried`, to be reported. The server's answers are not retried: they say something about
 * the server.
 */
async function openRetrying(open: Open, url: string, spec: SubscriberSpec, sampled: boolean, retried: string[]): Promise<Connection> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open(url, spec, sampled);
    } catch (err) {
      if (!(err instanceof TransportFailure) || attempt === OPEN_RETRIES) throw err;
      retried.push(err.message);
      await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
    }
  }
}

/** Distinct messages with their counts, the first five. */
function tally(messages: string[]): string[] {
  return [...new Set(messages)].slice(0, 5).map((m) => `${m} (x${messages.filter((x) => x === m).length})`);
}

async function openAll(kind: ServerKind, url: string, specs: SubscriberSpec[], sampleEvery: number, concurrency: number): Promise<void> {
  const t0 = performance.now();
  const opened: Connection[] = new Array(specs.length);
  const failures: string[] = [];
  const retried: string[] = [];
  const open = kind === 'socketio' ? openSocketIo : openWs;
  await forEachConcurrently(specs.length, concurrency, async (i) => {
    try {
      opened[i] = await openRetrying(open, url, specs[i]!, i % sampleEvery === 0, retried);
    } catch (err) {
      failures.push((err as Error).message);
    }
  });
  connections = opened.filter(Boolean);
  reply({ type: 'opened', ms: performance.now() - t0, opened: connections.length, failures: tally(failures), retries: { count: retried.length, reasons: tally(retried) } });
}

function summary(): LatencySummary | undefined {
  if (latencyUs.totalCount === 0) return undefined;
  const ms = (us: number) => us / 1000;
  return {
    samples: latencyUs.totalCount,
    p50: ms(latencyUs.getValueAtPercentile(50)),
    p95: ms(latencyUs.getValueAtPercentile(95)),
    p99: ms(latencyUs.getValueAtPercentile(99)),
    max: ms(latencyUs.maxValue),
  };
}

function report(): SubscriberReport {
  const cpu = process.cpuUsage(cpuAtReset);
  return {
    perConnection: connections.map((c) => c.count),
    delivered,
    latency: summary(),
    seqGaps,
    closedByServer,
    staleSampled,
    cpuUs: cpu.user + cpu.system,
  };
}

function reset(): void {
  for (const c of connections) {
    c.count = 0;
    c.lastSeq = -1;
  }
  delivered = 0;
  seqGaps = 0;
  staleSampled = 0;
  passStartMs = nowMs() - STALE_MARGIN_MS;
  latencyUs.reset();
  cpuAtReset = process.cpuUsage();
}

async function closeAll(): Promise<void> {
  closing = true;
  for (const c of connections) c.close();
  await Promise.race([Promise.all(connections.map((c) => c.closed)), new Promise((r) => setTimeout(r, 5000))]);
  connections = [];
  closedByServer = {};
  closing = false;
  reply({ type: 'closed' });
}

process.on('message', (m: ToSubscribers) => {
  switch (m.type) {
    case 'open':
      closedByServer = {};
      void openAll(m.kind, m.url, m.connections, m.sampleEvery, m.concurrency);
      break;
    case 'reset':
      reset();
      break;
    case 'peek':
      reply({ type: 'peek', delivered });
      break;
    case 'report':
      reply({ type: 'report', report: report() });
      break;
    case 'close':
      void closeAll();
      break;
  }
});
// The orchestrator is gone (or done with us): leave.
process.on('disconnect', () => process.exit(0));
