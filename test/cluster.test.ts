/**
 * Parley as a cluster, as an operator runs it: three Parley processes (server/start.sh, each
 * with its own NODE_ID and port) over one real redis-server and one PostgreSQL, and real
 * WebSocket clients on different nodes. Messages and presence across nodes, two tabs of one
 * user on two nodes, a node killed with SIGKILL, and Redis restarted in the middle of a send
 * storm from every node.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { startLocalRedis, type LocalRedis } from '../server/cluster/local-redis.js';
import { Client, startTestDb, UNLIMITED, until, type TestDb } from './harness.js';
import { spawnServer, stopIfRunning, waitListening, type Proc } from './spawn-server.js';
import { WsClient, type Frame } from './ws-client.js';

const NODES = 3;
const SECRET = randomBytes(32).toString('base64url');

let redis: LocalRedis;
let db: TestDb;
let dataDir: string;
const procs: Proc[] = [];
const urls: string[] = [];
const sockets: WsClient[] = [];

function nodeEnv(k: number): Record<string, string> {
  return {
    PORT: '0',
    DATA_DIR: join(dataDir, `node-${k}`),
    DATABASE_URL: db.db.url,
    REDIS_URL: redis.url,
    SESSION_SECRET: SECRET,
    NODE_ID: `node-${k}`,
    LOG_LEVEL: 'info',
    ...UNLIMITED,
  };
}

async function startNode(k: number): Promise<void> {
  const p = spawnServer(nodeEnv(k));
  procs[k] = p;
  urls[k] = await waitListening(p, 30_000);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  [redis, db] = await Promise.all([startLocalRedis(), startTestDb()]);
  await Promise.all(Array.from({ length: NODES }, (_, k) => startNode(k)));
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.all(procs.map((p) => p && stopIfRunning(p)));
  await redis?.stop();
  await db?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** Signs up on node 0; the session works on every node (shared secret, sessions in PostgreSQL). */
async function user(name: string) {
  const http = new Client(urls[0]!);
  const me = await http.signup(name);
  return {
    me,
    http,
    /** A tab on node k. */
    tab: async (k: number) => {
      const ws = await WsClient.connect(urls[k]!, http.cookie);
      sockets.push(ws);
      return ws;
    },
  };
}

function onNode(k: number, cookie: string | undefined) {
  const c = new Client(urls[k]!);
  c.cookie = cookie;
  return c;
}

/** What a client holds of a room's stream: the backlog of its joins, then every `msg`, checked for order and repeats. */
function streamOf(ws: WsClient, room: string): number[] {
  const seqs: number[] = [];
  for (const f of ws.frames) {
    if (f.room !== room) continue;
    if (f.t === 'joined') for (const m of f.messages as Frame[]) if (!seqs.includes(m.seq)) seqs.push(m.seq);
    if (f.t === 'msg') seqs.push(f.seq);
  }
  return seqs;
}

/** How many connections are subscribed to a sharded channel (PUBSUB SHARDNUMSUB). */
async function shardSubscribers(client: ReturnType<typeof createClient>, channel: string): Promise<number> {
  const reply = (await client.sendCommand(['PUBSUB', 'SHARDNUMSUB', channel])) as unknown[];
  return Number(reply[1]);
}

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('cluster: three nodes, one Redis, one PostgreSQL', () => {
  it('messages and presence cross nodes: every member gets every message once, in order; counts are cluster-wide', async () => {
    const [alice, bob, carol] = await Promise.all([user('c_alice'), user('c_bob'), user('c_carol')]);
    const a = await alice.tab(0);
    const b = await bob.tab(1);
    const c = await carol.tab(2);
    await a.join('crossroads');
    await b.join('crossroads');
    // alice, on node 0, hears bob join on node 1.
    await a.next((f) => f.t === 'presence' && f.room === 'crossroads' && f.joins.some((m: Frame) => m.name === 'c_bob'), 5000);
    await until(async () => (await onNode(2, carol.http.cookie).get('/api/rooms/crossroads')).body.room?.online === 2, 5000, 'node 2 counts alice and bob');
    const joined = await c.join('crossroads');
    expect(joined.members.map((m: Frame) => m.name)).toEqual(['c_alice', 'c_bob', 'c_carol']);

    // A second tab of bob on node 1: more sockets there, not more traffic to it.
    const b2 = await bob.tab(1);
    await b2.join('crossroads');
    // Listening on the room's Redis channel as the nodes do: what crosses Redis per message.
    const spy = createClient({ url: redis.url });
    const admin = createClient({ url: redis.url });
    await Promise.all([spy.connect(), admin.connect()]);
    let relayed = 0;
    await spy.sSubscribe('parley:room:crossroads', () => relayed++, true);
    expect(await shardSubscribers(admin, 'parley:room:crossroads')).toBe(3 + 1); // three nodes and the spy

    for (let i = 0; i < 20; i++) a.send({ t: 'send', room: 'crossroads', body: `hello ${i}`, cid: `x${i}` });
    for (const ws of [a, b, b2, c]) await ws.until(() => streamOf(ws, 'crossroads').length >= 20, 10_000);
    for (const ws of [a, b, b2, c]) expect(streamOf(ws, 'crossroads')).toEqual(oneToN(20));
    // Once per message, whatever the number of nodes and sockets that get it.
    await until(() => relayed >= 20, 5000, 'the spy heard every message');
    expect(relayed).toBe(20);
    // The sender's own messages came back once each, after their acks or before: either way once.
    expect(a.all('ack', 'crossroads')).toHaveLength(20);

    for (let k = 0; k < NODES; k++) {
      const http = onNode(k, bob.http.cookie);
      const rooms = (await http.get('/api/rooms')).body.rooms as Frame[];
      expect(rooms.find((r) => r.name === 'crossroads')?.online, `node ${k}`).toBe(3);
      const users = (await http.get('/api/users')).body.users as Frame[];
      expect(users.filter((u) => u.name.startsWith('c_') && u.online).map((u) => u.name).sort(), `node ${k}`).toEqual(['c_alice', 'c_bob', 'c_carol']);
    }

    // Node 2 drops the room's channel when its last member there leaves; node 1 keeps it while bob has a tab in it.
    c.close();
    await until(async () => (await shardSubscribers(admin, 'parley:room:crossroads')) === 2 + 1, 5000, 'node 2 unsubscribed');
    await b.request({ t: 'leave', room: 'crossroads' });
    expect(await shardSubscribers(admin, 'parley:room:crossroads')).toBe(2 + 1);
    b2.close();
    await until(async () => (await shardSubscribers(admin, 'parley:room:crossroads')) === 1 + 1, 5000, 'node 1 unsubscribed');
    await Promise.all([spy.close(), admin.close()]);
  });

  it('since recovery works against any node: a client that held seq N on one node gets the rest from another', async () => {
    const [hana, ivan] = await Promise.all([user('r_hana'), user('r_ivan')]);
    const sender = await ivan.tab(0);
    await sender.join('recover');
    const first = await hana.tab(1);
    await first.join('recover');
    for (let i = 0; i < 5; i++) await sender.request({ t: 'send', room: 'recover', body: `before ${i}`, cid: `b${i}` });
    await first.until(() => streamOf(first, 'recover').length === 5, 5000);
    first.close();
    for (let i = 0; i < 7; i++) await sender.request({ t: 'send', room: 'recover', body: `after ${i}`, cid: `a${i}` });
    const again = await hana.tab(2);
    const joined = await again.join('recover', 5);
    expect(joined.messages.map((m: Frame) => m.seq)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    expect(joined.seq).toBe(12);
    expect(joined.truncated).toBe(false);
  });

  it('two tabs of one user on two nodes are one member: one join, one leave, on every node', async () => {
    const [dave, erin] = await Promise.all([user('t_dave'), user('t_erin')]);
    const watcher = await erin.tab(2);
    await watcher.join('tabs');
    const t1 = await dave.tab(0);
    const t2 = await dave.tab(1);
    await t1.join('tabs');
    await t2.join('tabs');
    await until(async () => (await onNode(2, erin.http.cookie).get('/api/users')).body.users.some((u: Frame) => u.name === 't_dave' && u.online), 5000, 'dave online on node 2');
    // Node 1 published t2's presence before this typing notice, on the same Redis link: once
    // the watcher on node 2 has the notice, node 2 knows dave is on nodes 0 and 1. Without
    // this, a loaded machine can deliver node 0's leave (t1 closing) first, and node 2 then
    // rightly sees dave leave and come back.
    t2.send({ t: 'typing', room: 'tabs' });
    await watcher.next((f) => f.t === 'typing' && f.room === 'tabs' && f.user.name === 't_dave', 5000);
    t1.close();
    await until(async () => (await onNode(2, erin.http.cookie).get('/api/rooms/tabs')).body.members?.length === 2, 5000, 'still two members');
    t2.close();
    await watcher.next((f) => f.t === 'presence' && f.room === 'tabs' && f.leaves.some((m: Frame) => m.name === 't_dave'), 5000);
    const diffs = watcher.all('presence', 'tabs');
    expect(diffs.filter((d) => d.joins.some((m: Frame) => m.name === 't_dave'))).toHaveLength(1);
    expect(diffs.filter((d) => d.leaves.some((m: Frame) => m.name === 't_dave'))).toHaveLength(1);
  });

  it('kill -9 of a node: the others see its members leave within 15 s; restarted, it starts clean', async () => {
    const [frank, grace] = await Promise.all([user('k_frank'), user('k_grace')]);
    const g = await grace.tab(0);
    await g.join('doomed');
    const f = await frank.tab(2);
    await f.join('doomed');
    await g.next((x) => x.t === 'presence' && x.room === 'doomed' && x.joins.some((m: Frame) => m.name === 'k_frank'), 5000);

    const killedAt = Date.now();
    procs[2]!.child.kill('SIGKILL');
    const leave = await g.next((x) => x.t === 'presence' && x.room === 'doomed' && x.leaves.some((m: Frame) => m.name === 'k_frank'), 20_000);
    const ms = Date.now() - killedAt;
    expect(leave.leaves.map((m: Frame) => m.name)).toEqual(['k_frank']);
    expect(ms).toBeLessThan(15_000);
    // Node 1 decides on its own (it checks every second): also within the 15 s.
    await until(async () => (await onNode(1, grace.http.cookie).get('/api/rooms/doomed')).body.members.length === 1, 15_000 - (Date.now() - killedAt), 'node 1 drops frank');
    expect((await onNode(1, grace.http.cookie).get('/api/rooms/doomed')).body.members.map((m: Frame) => m.name)).toEqual(['k_grace']);

    await startNode(2);
    const again = await frank.tab(2);
    const rejoined = await again.join('doomed');
    expect(rejoined.members.map((m: Frame) => m.name)).toEqual(['k_frank', 'k_grace']);
    await g.next((x) => x.t === 'presence' && x.room === 'doomed' && x.joins.some((m: Frame) => m.name === 'k_frank'), 5000);
  }, 60_000);

  it('Redis restarted in the middle of a send storm from every node: every client holds 1..N in order for every room, and the database agrees', async () => {
    const rooms = ['storm-a', 'storm-b', 'storm-c'];
    const people = await Promise.all(Array.from({ length: NODES }, (_, k) => user(`s_user${k}`)));
    const tabs = await Promise.all(people.map((p, k) => p.tab(k)));
    for (const ws of tabs) for (const r of rooms) await ws.join(r);

    const PER_ROOM = 40;
    const acked = new Map<string, number>(); // cid -> seq
    const send = async (ws: WsClient, k: number) => {
      for (let i = 0; i < PER_ROOM; i++) {
        for (const room of rooms) {
          const cid = `n${k}-${room}-${i}`;
          // Retried with the same cid until acknowledged: never twice, whatever happens meanwhile.
          for (;;) {
            const reply = await ws.request({ t: 'send', room, body: `m ${cid}`, cid }, 10_000);
            if (reply.t === 'ack') {
              acked.set(cid, reply.seq);
              break;
            }
            expect(reply.code).toBe('rate_limited');
            await new Promise((r) => setTimeout(r, reply.retry_after ?? 100));
          }
        }
        await new Promise((r) => setTimeout(r, 15));
      }
    };
    const storm = Promise.all(tabs.map((ws, k) => send(ws, k)));

    // Midway: Redis goes down, readyz says so, the nodes keep taking messages, Redis comes back.
    await until(() => acked.size >= (PER_ROOM * rooms.length * NODES) / 3, 30_000, 'a third acknowledged');
    await redis.stop();
    await until(async () => (await fetch(`${urls[1]}/readyz`)).status === 503, 10_000, 'readyz 503 without Redis');
    const body = await (await fetch(`${urls[1]}/readyz`)).json();
    expect(body.error.message).toMatch(/redis/);
    const duringOutage = acked.size;
    await until(() => acked.size >= duringOutage + 30, 30_000, 'messages acknowledged during the outage');
    await redis.start();
    await until(async () => (await fetch(`${urls[1]}/readyz`)).status === 200, 20_000, 'readyz 200 with Redis back');
    await storm;

    const total = PER_ROOM * NODES;
    const lastSeq = new Map<string, number>();
    const list = (await onNode(0, people[0]!.http.cookie).get('/api/rooms')).body.rooms as Frame[];
    for (const r of rooms) lastSeq.set(r, list.find((x) => x.name === r)!.lastSeq);
    for (const r of rooms) expect(lastSeq.get(r)).toBe(total);

    // Every client: 1..N of every room, in order, none twice.
    for (const [k, ws] of tabs.entries()) {
      for (const r of rooms) {
        await ws.until(() => streamOf(ws, r).length >= total, 20_000).catch(() => {});
        expect(streamOf(ws, r), `node ${k} room ${r}`).toEqual(oneToN(total));
      }
    }
    // The database agrees with the acks: each acknowledged cid is stored once, at the seq it was acked with.
    for (const r of rooms) {
      const stored: Frame[] = [];
      let before: number | undefined;
      for (;;) {
        const page = (await onNode(0, people[0]!.http.cookie).get(`/api/rooms/${r}/messages?limit=100${before ? `&before=${before}` : ''}`)).body;
        stored.unshift(...page.messages);
        if (!page.more) break;
        before = page.messages[0].seq;
      }
      expect(stored.map((m) => m.seq)).toEqual(oneToN(total));
      for (const m of stored) expect(acked.get(m.cid), m.cid).toBe(m.seq);
    }
    expect(acked.size).toBe(total * rooms.length);
  }, 120_000);
});
