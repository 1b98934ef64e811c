/**
 * SIGTERM in the middle of a send storm, on the real process: the port closes, what was in
 * flight is committed and answered (ack, or `unavailable` for sends that came too late),
 * sockets close with 1001, and the process exits within SHUTDOWN_TIMEOUT_MS. Then a second
 * process on the same data starts, every client reconnects and catches up with `since`,
 * retries what had no ack with the same cid, and every acknowledged message is in the
 * database once and in every client's log, in order.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { Client, newUser, startTestServer, until } from './harness.js';
import { newDataDir } from './db-template.js';
import { spawnServer, stopIfRunning, waitListening, type Proc } from './spawn-server.js';
import { WsClient, type Frame } from './ws-client.js';
import { freePort } from '../server/store/embedded-db.js';

const ROOM = 'drain';
const SENDERS = 5;
const SHUTDOWN_TIMEOUT_MS = 10_000;

let dataDir: string;
let port: number;
const procs: Proc[] = [];

async function start(): Promise<string> {
  const p = spawnServer({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info', SEND_RATE: '1000', SEND_BURST: '1000', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
  procs.push(p);
  await waitListening(p);
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  dataDir = newDataDir('parley-drain-');
  port = await freePort();
});

afterAll(async () => {
  for (const p of procs) await stopIfRunning(p);
  rmSync(dataDir, { recursive: true, force: true });
});

/** True when a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** One person sending one message after another, each waiting for its answer. */
class Sender {
  acked = new Map<string, number>();
  unanswered = new Set<string>();
  log: Frame[] = [];
  private n = 0;
  ws!: WsClient;

  constructor(
    readonly name: string,
    readonly http: Client,
  ) {}

  async connect(url: string, since?: number): Promise<void> {
    this.ws = await WsClient.connect(url, this.http.cookie);
    const joined = await this.ws.join(ROOM, since);
    this.log.push(...joined.messages);
  }

  /** Sends until the socket closes; a send without an answer by then is remembered. */
  async storm(): Promise<void> {
    for (;;) {
      const cid = `${this.name}-${++this.n}`;
      this.unanswered.add(cid);
      let answer: Frame;
      try {
        answer = await this.ws.request({ t: 'send', room: ROOM, body: `m ${cid}`, cid }, 15_000);
      } catch {
        return; // closed: the cid stays unanswered
      }
      if (answer.t === 'ack') {
        this.acked.set(cid, answer.seq);
        this.unanswered.delete(cid);
      } else if (answer.code === 'unavailable') {
        return; // the server is draining: retry it after reconnecting
      } else {
        throw new Error(`${cid}: ${JSON.stringify(answer)}`);
      }
    }
  }

  async retryUnanswered(): Promise<void> {
    for (const cid of this.unanswered) {
      const answer = await this.ws.request({ t: 'send', room: ROOM, body: `m ${cid}`, cid });
      expect(answer.t).toBe('ack');
      this.acked.set(cid, answer.seq);
    }
    this.unanswered.clear();
  }

  /** The messages this client saw live on the socket it had. */
  takeLive(): void {
    this.log.push(...this.ws.all('msg', ROOM));
  }

  lastSeq(): number {
    let seq = 0;
    for (const m of [...this.log].sort((a, b) => a.seq - b.seq)) if (m.seq === seq + 1) seq = m.seq;
    return seq;
  }
}

describe('graceful drain', () => {
  it('SIGTERM during a send storm: every acknowledged message survives, in every client, once', async () => {
    let url = await start();
    const senders: Sender[] = [];
    for (let i = 0; i < SENDERS; i++) {
      const http = new Client(url);
      await http.signup(`drain_${i}`);
      senders.push(new Sender(`s${i}`, http));
    }
    for (const s of senders) await s.connect(url);
    const storms = senders.map((s) => s.storm());
    await new Promise((r) => setTimeout(r, 1500));

    const first = procs[0]!;
    const t0 = Date.now();
    first.child.kill('SIGTERM');
    // The port closes: a new connection (a balancer's health check, an upgrade) is refused.
    // (Whether the sockets are still open by then depends on how fast the drain is; a check
    // of it failed on a loaded machine, where the whole stop took less than one poll.)
    await until(() => refused(port), 2000, 'port closed after SIGTERM');
    const closes = await Promise.all(senders.map((s) => s.ws.whenClosed(SHUTDOWN_TIMEOUT_MS)));
    await Promise.all(storms);
    const exit = await first.waitExit(SHUTDOWN_TIMEOUT_MS + 2000);
    const stopMs = Date.now() - t0;
    expect(exit.code).toBe(0);
    expect(stopMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(closes.map((c) => c.code)).toEqual(senders.map(() => 1001));
    const ackedBefore = senders.reduce((n, s) => n + s.acked.size, 0);
    expect(ackedBefore).toBeGreaterThan(50);
    console.log(`[drain] ${ackedBefore} acked before SIGTERM's sockets closed; ${senders.reduce((n, s) => n + s.unanswered.size, 0)} unanswered; stopped in ${stopMs} ms`);

    url = await start();
    for (const s of senders) {
      s.takeLive();
      await s.connect(url, s.lastSeq());
      await s.retryUnanswered();
    }
    const all = [...senders.flatMap((s) => [...s.acked.entries()])];
    const top = Math.max(...all.map(([, seq]) => seq));
    // Every client ends up with 1..top, each once, whatever it held before the stop.
    for (const s of senders) {
      await s.ws.until((fs) => fs.some((f) => f.t === 'msg' && f.seq === top) || s.log.some((m) => m.seq === top), 5000);
      s.takeLive();
      const seqs = [...new Set(s.log.map((m) => m.seq))].sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: top }, (_, i) => i + 1));
    }
    // And the database holds each acknowledged cid once, at its acknowledged seq.
    const stored = new Map<string, number>();
    let before: number | undefined;
    for (;;) {
      const page = (await senders[0]!.http.get(`/api/rooms/${ROOM}/messages?limit=100${before ? `&before=${before}` : ''}`)).body;
      for (const m of page.messages as Frame[]) {
        expect(stored.has(m.cid)).toBe(false);
        stored.set(m.cid, m.seq);
      }
      if (!page.more) break;
      before = page.messages[0].seq;
    }
    for (const [cid, seq] of all) expect(stored.get(cid)).toBe(seq);
    expect(stored.size).toBe(all.length);
  }, 90_000);
});

describe('a stop right after joins', () => {
  it('waits for the memberships those joins write: after a restart every room is in the sidebar', async () => {
    const dataDir = newDataDir();
    try {
      const first = await startTestServer({}, { dataDir });
      const ada = await newUser(first, 'ada_stop');
      const ws = await ada.connect();
      const rooms = Array.from({ length: 100 }, (_, i) => `stop-join-${i}`);
      // Joining a room that does not exist makes it (100: the most one connection may hold).
      // Each join is answered before its membership is stored, and the stop comes as soon as
      // the last answer is in: without the wait, 41 and 59 of the 100 were stored in two runs.
      for (const room of rooms) ws.send({ t: 'join', room });
      await ws.until((frames) => frames.filter((f) => f.t === 'joined').length === rooms.length);
      await first.stop();
      ws.close();

      const second = await startTestServer({}, { dataDir });
      try {
        const again = new Client(second.url);
        again.cookie = ada.http.cookie;
        const mine = (await again.get('/api/rooms?joined=1')).body.rooms.map((r: Frame) => r.name);
        expect(mine.sort()).toEqual([...rooms].sort());
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
