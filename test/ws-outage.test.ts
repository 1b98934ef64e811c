/**
 * A PostgreSQL outage in the middle of a message storm, seen by real WebSocket clients.
 *
 * Two senders fire `send` frames without waiting for acks while an observer listens. The
 * embedded PostgreSQL is stopped mid-storm and later restarted. The contract under test:
 * while the store is down, sends are refused with `unavailable` (nothing stored) and sockets
 * stay open; once it is back, retrying with the same cid is acked, and in the end history is
 * exactly the acked messages, seqs 1..N without gaps, and every connection in the room got
 * exactly that stream, in order, once.
 *
 * Nothing here waits on a fixed delay for the server: every phase polls for its condition
 * with a generous deadline (a failing batch can take acquireConnectionTimeout, 5 s, to fail).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, newUser, startTestServer, type TestServer } from './harness.js';
import type { Frame, WsClient } from './ws-client.js';
import { JumpingClock } from './manual-clock.js';

const ROOM = 'storm';
/** How often each sender fires a new message during the storm. */
const STORM_EVERY_MS = 4;
/** A sender stops adding new messages while this many of its sends are unanswered. */
const MAX_UNANSWERED = 1500;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until `done(value)` holds; fails with `what` and the last value after `timeoutMs`. */
async function eventually<T>(what: string, probe: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(v)?.slice(0, 500)})`);
    await sleep(everyMs);
  }
}

/** Arrival time of every frame, aligned with client.frames. */
function stampArrivals(client: WsClient): number[] {
  const times: number[] = [];
  // Registered after WsClient's own listener, so the frame is already in client.frames.
  client.ws.on('message', () => (times[client.frames.length - 1] = Date.now()));
  return times;
}

interface Attempt {
  cid: string;
  sentAt: number;
  reply?: Frame;
  repliedAt?: number;
}

/** One storming user: sends distinct cids without awaiting acks and files every reply by ref. */
class Sender {
  private n = 0;
  private tries = 0;
  private cursor = 0;
  readonly attempts = new Map<string, Attempt>(); // by ref
  readonly unanswered = new Set<string>(); // refs
  /** Latest known outcome per cid. */
  readonly state = new Map<string, 'pending' | 'acked' | 'unavailable'>();
  readonly acks = new Map<string, Frame>(); // cid -> first ack
  readonly conflictingAcks: Array<{ cid: string; first: Frame; again: Frame }> = [];
  readonly unavailable: Array<{ frame: Frame; at: number }> = [];
  readonly otherErrors: Frame[] = [];
  readonly times: number[];

  constructor(
    readonly name: string,
    readonly userId: number,
    readonly ws: WsClient,
  ) {
    this.times = stampArrivals(ws);
  }

  sendNew(): void {
    this.send(`${this.name}-${++this.n}`);
  }

  send(cid: string): string {
    const ref = `${cid}#${++this.tries}`;
    this.attempts.set(ref, { cid, sentAt: Date.now() });
    this.unanswered.add(ref);
    if (this.state.get(cid) !== 'acked') this.state.set(cid, 'pending');
    this.ws.send({ t: 'send', room: ROOM, body: `storm message ${cid}`, cid, ref });
    return ref;
  }

  /** Files the replies that arrived since the last call. */
  pump(): void {
    const frames = this.ws.frames;
    for (; this.cursor < frames.length; this.cursor++) {
      const f = frames[this.cursor]!;
      if (f.t !== 'ack' && f.t !== 'error') continue;
      const a = f.ref === undefined ? undefined : this.attempts.get(String(f.ref));
      if (!a) {
        this.otherErrors.push(f);
        continue;
      }
      a.reply = f;
      a.repliedAt = this.times[this.cursor] ?? Date.now();
      this.unanswered.delete(String(f.ref));
      if (f.t === 'ack') {
        const first = this.acks.get(a.cid);
        if (!first) this.acks.set(a.cid, f);
        else if (first.seq !== f.seq || first.id !== f.id || first.at !== f.at) this.conflictingAcks.push({ cid: a.cid, first, again: f });
        this.state.set(a.cid, 'acked');
      } else if (f.code === 'unavailable') {
        this.unavailable.push({ frame: f, at: a.repliedAt });
        if (this.state.get(a.cid) !== 'acked') this.state.set(a.cid, 'unavailable');
      } else {
        this.otherErrors.push(f);
      }
    }
  }

  cidsIn(state: 'pending' | 'acked' | 'unavailable'): string[] {
    return [...this.state].filter(([, s]) => s === state).map(([cid]) => cid);
  }

  /** cids whose latest reply was `unavailable` and that have no attempt in flight. */
  toRetry(): string[] {
    const inFlight = new Set([...this.unanswered].map((ref) => this.attempts.get(ref)!.cid));
    return this.cidsIn('unavailable').filter((cid) => !inFlight.has(cid));
  }

  /** Messages (`msg` frames) this connection received for the room. */
  msgs(): Frame[] {
    return this.ws.all('msg', ROOM);
  }
}

/** Fires new sends from every sender every STORM_EVERY_MS until stopped. */
function storm(senders: Sender[]) {
  const timer = setInterval(() => {
    for (const s of senders) {
      s.pump();
      if (s.unanswered.size < MAX_UNANSWERED) s.sendNew();
    }
  }, STORM_EVERY_MS);
  return { stop: () => clearInterval(timer) };
}

/** All of a room's history over HTTP, oldest first, paging back with before/limit=100. */
async function fullHistory(http: Client, room: string): Promise<Frame[]> {
  const pages: Frame[][] = [];
  let before: number | undefined;
  for (let i = 0; ; i++) {
    if (i > 10_000) throw new Error('history paging does not end');
    const r = await http.get(`/api/rooms/${room}/messages?limit=100${before === undefined ? '' : `&before=${before}`}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const { messages, more } = r.body as { messages: Frame[]; more: boolean };
    expect(messages.length).toBeLessThanOrEqual(100);
    if (more) expect(messages.length).toBe(100);
    pages.unshift(messages);
    if (!more || messages.length === 0) break;
    before = messages[0]!.seq;
  }
  return pages.flat();
}

async function readyStatus(http: Client): Promise<number> {
  return (await http.get('/readyz')).status;
}

/** A message as the history returns it, for comparing with what was broadcast. */
const shape = (m: Frame) => ({ room: m.room, id: m.id, seq: m.seq, at: m.at, user: m.user, body: m.body, cid: m.cid });

describe('a database outage during a message storm', () => {
  let server: TestServer;
  // Jumped past the session cache where a test needs the database to be asked.
  const clock = new JumpingClock();

  beforeAll(async () => {
    server = await startTestServer({ SEND_RATE: '100000', SEND_BURST: '100000' }, { clock });
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it('refuses sends with unavailable while down, acks every retry after, and loses or repeats nothing', async () => {
    const alice = await newUser(server, 'alice');
    const bob = await newUser(server, 'bob');
    const carol = await newUser(server, 'carol');
    const senders = [
      new Sender('alice', alice.user.id, await alice.connect()),
      new Sender('bob', bob.user.id, await bob.connect()),
    ];
    let observer = await carol.connect();
    for (const c of [...senders.map((s) => s.ws), observer]) expect(await c.join(ROOM)).toMatchObject({ t: 'joined', room: ROOM, seq: 0 });

    const pumpAll = () => senders.forEach((s) => s.pump());
    const acked = () => senders.reduce((n, s) => n + s.acks.size, 0);
    const unavailableCount = () => senders.reduce((n, s) => n + s.unavailable.length, 0);

    // Healthy storm first.
    const run = storm(senders);
    try {
      await eventually('acks before the outage', () => (pumpAll(), senders.map((s) => s.acks.size)), (n) => n.every((k) => k >= 50), 20_000);
      const ackedBeforeStop = acked();

      // Outage.
      const tStop = Date.now();
      await server.embeddedDb!.stop();
      const tStopped = Date.now();
      await eventually('a first unavailable', () => (pumpAll(), unavailableCount()), (n) => n > 0, 30_000);
      const firstUnavailableAt = Math.min(...senders.flatMap((s) => s.unavailable.map((u) => u.at)));

      // While down: readyz says so, sockets stay open, errors carry room and ref.
      const probe = new Client(server.url);
      const down = await probe.get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ error: { code: 'unavailable' } });
      // Let the storm run into the outage for a while: several failing batches, both senders hit.
      await eventually('unavailable errors for both senders', () => (pumpAll(), senders.map((s) => s.unavailable.length)), (n) => n.every((k) => k >= 100), 60_000);
      for (const s of senders) {
        expect(s.ws.closed, `${s.name}'s socket`).toBeUndefined();
        for (const { frame } of s.unavailable) {
          expect(frame).toMatchObject({ t: 'error', code: 'unavailable', room: ROOM, ref: expect.any(String) });
          expect(typeof frame.message).toBe('string');
        }
      }
      expect(observer.closed, "carol's socket").toBeUndefined();

      // Recovery.
      const tRestart = Date.now();
      await server.embeddedDb!.restart();
      const tRestarted = Date.now();
      await eventually('readyz 200 after the restart', () => readyStatus(probe), (s) => s === 200, 30_000, 100);
      const tReady = Date.now();

      // Retry every cid that was refused, with the same cid, while the storm goes on; again for
      // any refused later, until every cid sent has been acked.
      const retryRefs: string[] = [];
      const retryAll = () => {
        for (const s of senders) for (const cid of s.toRetry()) retryRefs.push(s.send(cid));
      };
      await eventually(
        'every refused cid retried and acked',
        () => {
          pumpAll();
          retryAll();
          return {
            refused: senders.map((s) => s.cidsIn('unavailable').length),
            retriesUnanswered: retryRefs.filter((ref) => senders.some((s) => s.unanswered.has(ref))).length,
          };
        },
        (st) => st.refused.every((n) => n === 0) && st.retriesUnanswered === 0 && retryRefs.length > 0,
        60_000,
        50,
      );
      // And new messages keep flowing after the recovery.
      const ackedAtRecovery = senders.map((s) => s.acks.size);
      await eventually('new acks after recovery', () => (pumpAll(), senders.map((s, i) => s.acks.size - ackedAtRecovery[i]!)), (d) => d.every((k) => k >= 50), 20_000);
      run.stop();

      // Drain: every attempt answered, and every cid ever sent acked (retrying stragglers).
      await eventually(
        'all answered and acked',
        () => {
          pumpAll();
          retryAll();
          return senders.map((s) => ({ unanswered: s.unanswered.size, notAcked: s.state.size - s.cidsIn('acked').length }));
        },
        (st) => st.every((x) => x.unanswered === 0 && x.notAcked === 0),
        60_000,
        50,
      );

      // Anything sent once readyz was back to 200 was acked: the server had fully recovered.
      const refusedAfterReady = senders.flatMap((s) => [...s.attempts.values()].filter((a) => a.sentAt >= tReady && a.reply?.t !== 'ack'));
      expect(refusedAfterReady.map((a) => a.reply)).toEqual([]);
      for (const s of senders) {
        expect(s.conflictingAcks, `${s.name}: one cid acked as two different messages`).toEqual([]);
        expect(s.otherErrors, `${s.name}: replies other than ack/unavailable`).toEqual([]);
        expect(s.ws.closed, `${s.name}'s socket`).toBeUndefined();
      }

      // (5) The outage really hit.
      expect(unavailableCount()).toBeGreaterThan(0);
      expect(retryRefs.length).toBeGreaterThan(0);

      // (1) + (2) History: seqs 1..N without gaps, every acked cid exactly once, nothing else.
      const history = await fullHistory(alice.http, ROOM);
      expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));
      const byCid = new Map<string, Frame[]>();
      for (const m of history) byCid.set(`${m.user.id}:${m.cid}`, [...(byCid.get(`${m.user.id}:${m.cid}`) ?? []), m]);
      const doubles = [...byCid].filter(([, ms]) => ms.length > 1).map(([k]) => k);
      expect(doubles, 'cids stored twice').toEqual([]);
      const allAcked = senders.flatMap((s) => [...s.acks].map(([cid, ack]) => ({ s, cid, ack })));
      const missing = allAcked.filter(({ s, cid }) => !byCid.has(`${s.userId}:${cid}`)).map(({ cid }) => cid);
      expect(missing, 'acked but not in history').toEqual([]);
      for (const { s, cid, ack } of allAcked) {
        const [m] = byCid.get(`${s.userId}:${cid}`)!;
        expect({ seq: ack.seq, id: ack.id, at: ack.at, room: ack.room, cid: ack.cid }, cid).toEqual({ seq: m!.seq, id: m!.id, at: m!.at, room: ROOM, cid });
        expect(m!.user).toEqual({ id: s.userId, name: s.name });
        expect(m!.body).toBe(`storm message ${cid}`);
      }
      expect(history.length, 'history holds only acked messages').toBe(allAcked.length);

      // (3) Carol got exactly the history, in order, once. Had her socket dropped, she would
      // rejoin with since (the contract's way to recover), so allow for that.
      let carolMsgs = observer.all('msg', ROOM);
      if (observer.closed) {
        const last = carolMsgs.at(-1)?.seq ?? 0;
        observer = await carol.connect();
        const joined = await observer.join(ROOM, last);
        expect(joined.truncated).toBe(false);
        await observer.until((fs) => (fs.filter((f) => f.t === 'msg').at(-1)?.seq ?? joined.seq) >= history.length, 10_000).catch(() => {});
        carolMsgs = [...carolMsgs, ...joined.messages, ...observer.all('msg', ROOM)];
      } else {
        await observer.until((fs) => fs.filter((f) => f.t === 'msg').length >= history.length, 10_000).catch(() => {});
        carolMsgs = observer.all('msg', ROOM);
      }
      expect(carolMsgs.map((m) => m.seq)).toEqual(history.map((m) => m.seq));
      expect(carolMsgs.map(shape)).toEqual(history.map(shape));

      // (4) Nothing was broadcast that is not in history: the senders' own streams (they
      // stayed connected throughout) are the history too.
      for (const s of senders) {
        await s.ws.until((fs) => fs.filter((f) => f.t === 'msg').length >= history.length, 10_000).catch(() => {});
        expect(s.msgs().map(shape), `${s.name}'s msg stream`).toEqual(history.map(shape));
      }

      const firstAckAfterRestart = Math.min(
        ...senders.flatMap((s) => [...s.attempts.values()].filter((a) => a.reply?.t === 'ack' && a.repliedAt! >= tRestart).map((a) => a.repliedAt!)),
      );
      console.log(
        `[ws-outage] messages: ${history.length} (acked before stop ${ackedBeforeStop}); unavailable errors: ${unavailableCount()} ` +
          `(alice ${senders[0]!.unavailable.length}, bob ${senders[1]!.unavailable.length}); retries: ${retryRefs.length}; ` +
          `stop() took ${tStopped - tStop} ms; first unavailable ${firstUnavailableAt - tStop} ms after stop() was called; ` +
          `restart() took ${tRestarted - tRestart} ms; readyz 200 ${tReady - tRestarted} ms after restart() resolved; ` +
          `first ack ${firstAckAfterRestart - tRestarted} ms after restart() resolved`,
      );
    } finally {
      run.stop();
    }
  }, 180_000);

  it('a join while the database is down gets an error frame, the socket stays open, and a later join works', async () => {
    const dave = await newUser(server, 'dave');
    const ws = await dave.connect();
    const probe = new Client(server.url);
    await server.embeddedDb!.stop();
    try {
      const t0 = Date.now();
      // 'storm' is known to the server (its identity is cached); 'calm' has never been seen.
      const replies = await Promise.all([ws.request({ t: 'join', room: ROOM, ref: 'j1' }, 30_000), ws.request({ t: 'join', room: 'calm', ref: 'j2' }, 30_000)]);
      const ms = Date.now() - t0;
      expect(replies[0]).toMatchObject({ t: 'error', room: ROOM, ref: 'j1' });
      expect(replies[1]).toMatchObject({ t: 'error', room: 'calm', ref: 'j2' });
      for (const r of replies) expect(['unavailable', 'internal']).toContain(r.code);
      console.log(`[ws-outage] join while down: ${replies.map((r) => `${r.room} -> ${r.code}`).join(', ')} after ${ms} ms`);
      expect(ws.closed).toBeUndefined();
      // Not in the room: a send is refused as not_joined, not queued.
      expect(await ws.request({ t: 'send', room: ROOM, body: 'x', cid: 'd1' })).toMatchObject({ t: 'error', code: 'not_joined' });
    } finally {
      await server.embeddedDb!.restart();
    }
    await eventually('readyz 200', () => readyStatus(probe), (s) => s === 200, 30_000, 100);
    const joined = await ws.join(ROOM);
    expect(joined).toMatchObject({ t: 'joined', room: ROOM });
    expect(joined.members.map((m: Frame) => m.name)).toContain('dave');
    expect(await ws.join('calm')).toMatchObject({ t: 'joined', room: 'calm', seq: 0 });
    expect(await ws.request({ t: 'send', room: 'calm', body: 'after', cid: 'd2' })).toMatchObject({ t: 'ack', seq: 1 });
    ws.close();
  }, 90_000);

  it('POST /api/rooms/storm/messages while the database is down is 503 unavailable', async () => {
    const erin = await newUser(server, 'erin');
    const probe = new Client(server.url);
    // The session was just checked, so it is in the session cache and the request reaches
    // the message store (stop() takes ~0.1 s). See the next test for a session that is not.
    expect((await erin.http.get('/api/me')).status).toBe(200);
    await server.embeddedDb!.stop();
    try {
      const r = await erin.http.post(`/api/rooms/${ROOM}/messages`, { body: 'during the outage', cid: 'e1' });
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ error: { code: 'unavailable' } });
    } finally {
      await server.embeddedDb!.restart();
    }
    await eventually('readyz 200', () => readyStatus(probe), (s) => s === 200, 30_000, 100);
    // The same cid is accepted once the store is back, and stored once.
    const ok = await erin.http.post(`/api/rooms/${ROOM}/messages`, { body: 'during the outage', cid: 'e1' });
    expect(ok.status).toBe(201);
    const again = await erin.http.post(`/api/rooms/${ROOM}/messages`, { body: 'during the outage', cid: 'e1' });
    expect(again.body).toEqual(ok.body);
  }, 90_000);

  it('a WebSocket upgrade while the database is down is refused with 503 unavailable once the session must be looked up', async () => {
    const gina = await newUser(server, 'gina');
    const probe = new Client(server.url);
    await server.embeddedDb!.stop();
    try {
      // Past the session cache: 2 s, and for a single process, which trusts a session in use
      // until it expires, 5 minutes without use. The upgrade needs the database.
      clock.jump(6 * 60_000);
      const refused = await gina.connect().then(
        (ws) => (ws.close(), undefined),
        (err: { status?: number; body?: string }) => err,
      );
      expect(refused?.status).toBe(503);
      expect(JSON.parse(refused!.body!)).toMatchObject({ error: { code: 'unavailable' } });
    } finally {
      await server.embeddedDb!.restart();
    }
    await eventually('readyz 200', () => readyStatus(probe), (s) => s === 200, 30_000, 100);
    const ws = await gina.connect();
    expect(await ws.join(ROOM)).toMatchObject({ t: 'joined' });
    ws.close();
  }, 90_000);

  // BUG (server/http/app.ts, the /api/* middleware): the session lookup runs against the
  // database once the session cache has let it go; while PostgreSQL is down it throws, and
  // app.onError turns that into 500 `internal` instead of 503 `unavailable`. So every API
  // request of a user not seen in the last 2 s answers 500 during an outage, POST
  // /api/rooms/:name/messages included (the contract says 503 unavailable, retry with the
  // same cid). The WebSocket upgrade handles the same failure and answers 503.
  it('POST while the database is down is 503 even when the session has to be looked up', async () => {
    const frank = await newUser(server, 'frank');
    const probe = new Client(server.url);
    await server.embeddedDb!.stop();
    try {
      clock.jump(6 * 60_000); // past the session cache (as above): the request needs the database to know who this is
      const r = await frank.http.post(`/api/rooms/${ROOM}/messages`, { body: 'during the outage', cid: 'f1' });
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ error: { code: 'unavailable' } });
    } finally {
      await server.embeddedDb!.restart();
      await eventually('readyz 200', () => readyStatus(probe), (s) => s === 200, 30_000, 100);
    }
  }, 90_000);
});
