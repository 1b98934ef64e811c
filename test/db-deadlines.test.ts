/**
 * Deadlines on every database call, seen from outside: with PostgreSQL frozen (every one of
 * its processes stopped by SIGSTOP, so connections stay open and nothing answers) and with
 * it shut down (connections refused), readiness, sends, posts, sign-ins and sign-ups answer
 * `unavailable` / 503 in bounded time instead of hanging or answering 500, and once the
 * database is back, a retried send with the same cid is acknowledged exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, newUser, startTestServer, type TestServer } from './harness.js';
import { postgresTree } from './spawn-server.js';
import type { WsClient } from './ws-client.js';

/** readyz must say 503 within this (the bound). */
const READY_BOUND_MS = 2000;
/** Everything else: REQUEST_DEADLINE_MS (8 s) or the 6 s query deadline, plus slack for a loaded machine. */
const ANSWER_BOUND_MS = 12_000;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
}

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a frozen or stopped database', () => {
  let server: TestServer;
  let alice: Awaited<ReturnType<typeof newUser>>;
  let ws: WsClient;
  let frozen: number[] = [];

  const signal = (pids: number[], sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };

  beforeAll(async () => {
    server = await startTestServer();
    alice = await newUser(server, 'alice');
    ws = await alice.connect();
    expect((await ws.request({ t: 'join', room: 'frozen' })).t).toBe('joined');
    expect((await ws.request({ t: 'send', room: 'frozen', body: 'before', cid: 'before' })).t).toBe('ack');
  });
  afterAll(async () => {
    signal(frozen, 'SIGCONT');
    ws?.close();
    await server?.cleanup();
  });

  it('frozen (SIGSTOP): readyz 503 within 2 s; send, post, login and sign-up answer unavailable in bounded time; the retried send is acked once', async () => {
    frozen = postgresTree(server.dataDir);
    expect(frozen.length).toBeGreaterThan(1);
    signal(frozen, 'SIGSTOP');
    try {
      const probe = new Client(server.url);
      const [ready, send, post, login, signup] = await Promise.all([
        timed(() => probe.get('/readyz')),
        timed(() => ws.request({ t: 'send', room: 'frozen', body: 'during', cid: 'during-freeze' }, ANSWER_BOUND_MS + 5000)),
        timed(() => alice.http.post('/api/rooms/frozen/messages', { body: 'posted during', cid: 'post-during-freeze' })),
        timed(() => new Client(server.url).post('/api/auth/login', { username: 'alice', password: 'correct horse battery' })),
        timed(() => new Client(server.url).post('/api/auth/signup', { username: 'newcomer', password: 'correct horse battery' })),
      ]);
      expect(ready.value.status).toBe(503);
      expect(ready.ms).toBeLessThan(READY_BOUND_MS);
      expect(send.value).toMatchObject({ t: 'error', code: 'unavailable', room: 'frozen' });
      expect(send.ms).toBeLessThan(ANSWER_BOUND_MS);
      for (const [what, r] of [['post', post], ['login', login], ['signup', signup]] as const) {
        expect(r.value.status, what).toBe(503);
        expect(r.value.body.error.code, what).toBe('unavailable');
        expect(r.value.headers.get('retry-after'), what).toBeTruthy();
        expect(r.ms, what).toBeLessThan(ANSWER_BOUND_MS);
      }
    } finally {
      signal(frozen, 'SIGCONT');
    }
    await eventually('readyz 200 after SIGCONT', async () => (await new Client(server.url).get('/readyz')).status === 200, 30_000);
    // Whatever PostgreSQL did with the statements it got while frozen, a retry settles it once.
    const retried = await ws.request({ t: 'send', room: 'frozen', body: 'during', cid: 'during-freeze' }, 15_000);
    expect(retried.t).toBe('ack');
    const again = await alice.http.post('/api/rooms/frozen/messages', { body: 'posted during', cid: 'post-during-freeze' });
    expect(again.status).toBe(201);
    const history = (await alice.http.get('/api/rooms/frozen/messages?limit=100')).body.messages as Array<{ cid: string; seq: number }>;
    expect(history.filter((m) => m.cid === 'during-freeze')).toHaveLength(1);
    expect(history.filter((m) => m.cid === 'post-during-freeze')).toHaveLength(1);
    expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));
  });

  it('stopped (connections refused): login and sign-up answer 503 unavailable, not 500', async () => {
    await server.embeddedDb!.stop();
    try {
      const login = await new Client(server.url).post('/api/auth/login', { username: 'alice', password: 'correct horse battery' });
      const signup = await new Client(server.url).post('/api/auth/signup', { username: 'latecomer', password: 'correct horse battery' });
      for (const [what, r] of [['login', login], ['signup', signup]] as const) {
        expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(503);
        expect(r.body.error.code, what).toBe('unavailable');
      }
    } finally {
      await server.embeddedDb!.restart();
    }
    await eventually('readyz 200 after the restart', async () => (await new Client(server.url).get('/readyz')).status === 200, 30_000);
    expect((await new Client(server.url).post('/api/auth/signup', { username: 'latecomer', password: 'correct horse battery' })).status).toBe(201);
  });
});
