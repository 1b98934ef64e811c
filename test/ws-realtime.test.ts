/**
 * Realtime behaviour over real WebSockets against the real server and PostgreSQL: presence,
 * catching up with `since`, idempotent cids (also across a restart), seq order under
 * concurrent senders, and the hand-off from a join's snapshot to the live stream.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, newUser, startTestServer, type TestServer } from './harness.js';
import { newDataDir } from './db-template.js';
import { WsClient, type Frame } from './ws-client.js';

interface Member {
  id: number;
  name: string;
}
type User = Awaited<ReturnType<typeof newUser>>;

let server: TestServer;
beforeAll(async () => {
  // The send limiter has its own tests; here bursts of hundreds of sends must go through.
  server = await startTestServer({ SEND_RATE: '100000', SEND_BURST: '100000' });
});
afterAll(async () => {
  await server?.cleanup();
});

const signup = (name: string) => newUser(server, name);
const member = (u: User): Member => ({ id: u.user.id, name: u.user.name });
const sortByName = (ms: Member[]) => [...ms].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const seqs = (frames: Frame[]) => frames.map((f) => f.seq as number);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
/** A msg frame as the Message it carries (what history and joined.messages hold). */
const asMessage = ({ t: _t, ...m }: Frame) => m;

/**
 * A round trip on one socket. Whatever the server had queued for it before answering is
 * delivered by the time this resolves: a leave of a room never joined is still answered.
 */
async function barrier(ws: WsClient): Promise<void> {
  expect(await ws.request({ t: 'leave', room: 'barrier-never-joined' })).toMatchObject({ t: 'left', room: 'barrier-never-joined' });
}

async function joined(ws: WsClient, room: string, since?: number): Promise<Frame> {
  const f = await ws.join(room, since);
  expect(f.t, JSON.stringify(f)).toBe('joined');
  return f;
}

async function closeAndWait(ws: WsClient): Promise<void> {
  ws.close();
  await ws.whenClosed();
}

/**
 * The member list a client holds for a room: the latest joined.members plus every presence
 * diff after it. A diff that adds someone already there, removes someone absent, or arrives
 * outside a join is an anomaly: a diff missed or applied twice.
 */
function heldMembers(ws: WsClient, room: string): { members: Member[]; anomalies: string[] } {
  let held: Map<number, Member> | undefined;
  const anomalies: string[] = [];
  for (const f of ws.frames) {
    if (f.room !== room) continue;
    if (f.t === 'joined') held = new Map((f.members as Member[]).map((m) => [m.id, m]));
    else if (f.t === 'left') held = undefined;
    else if (f.t === 'presence') {
      if (!held) {
        anomalies.push(`presence while not joined: ${JSON.stringify(f)}`);
        continue;
      }
      for (const m of f.leaves as Member[]) if (!held.delete(m.id)) anomalies.push(`leave of absent ${m.name}`);
      for (const m of f.joins as Member[]) {
        if (held.has(m.id)) anomalies.push(`join of present ${m.name}`);
        held.set(m.id, m);
      }
    }
  }
  return { members: sortByName([...(held?.values() ?? [])]), anomalies };
}

/** Presence frames a socket got that name its own user (a joiner or leaver never hears of itself). */
function presenceAboutSelf(ws: WsClient, self: Member): Frame[] {
  return ws.all('presence').filter((f) => [...f.joins, ...f.leaves].some((m: Member) => m.id === self.id));
}

async function httpMembers(http: Client, room: string): Promise<Member[]> {
  const r = await http.get(`/api/rooms/${room}`);
  expect(r.status).toBe(200);
  return r.body.members;
}

/** Sends without waiting; the acks are collected later by cid. */
function fire(ws: WsClient, room: string, cid: string, body = `body of ${cid}`): void {
  ws.send({ t: 'send', room, cid, body });
}

async function acksFor(ws: WsClient, room: string, count: number, timeoutMs = 15_000): Promise<Map<string, Frame>> {
  await ws.until(() => ws.all('ack', room).length + ws.all('error', room).length >= count, timeoutMs);
  expect(ws.all('error', room)).toEqual([]);
  const acks = ws.all('ack', room);
  expect(acks).toHaveLength(count);
  return new Map(acks.map((a) => [a.cid as string, a]));
}

async function send(ws: WsClient, room: string, cid: string, body = `body of ${cid}`): Promise<Frame> {
  const ack = await ws.request({ t: 'send', room, cid, body });
  expect(ack, JSON.stringify(ack)).toMatchObject({ t: 'ack', room, cid });
  return ack;
}

async function msgsUntil(ws: WsClient, room: string, count: number, timeoutMs = 15_000): Promise<Frame[]> {
  await ws.until(() => ws.all('msg', room).length >= count, timeoutMs);
  return ws.all('msg', room);
}

describe('presence', () => {
  it('two tabs of one user are one member: joins and leaves follow the first and last tab', async () => {
    const room = 'presence-tabs';
    const alice = await signup('alice1');
    const bob = await signup('bob1');
    const a1 = await alice.connect();
    const b1 = await bob.connect();

    const aJoined = await joined(a1, room);
    expect(aJoined).toEqual({ t: 'joined', ref: expect.anything(), room, seq: 0, members: [member(alice)], messages: [], truncated: false });

    const bJoined = await joined(b1, room);
    expect(bJoined.members).toEqual([member(alice), member(bob)]);
    expect(await a1.next((f) => f.t === 'presence')).toEqual({ t: 'presence', room, joins: [member(bob)], leaves: [] });

    // Alice's second tab: she is already a member, so nobody hears of it.
    const a2 = await alice.connect();
    expect((await joined(a2, room)).members).toEqual([member(alice), member(bob)]);
    await Promise.all([barrier(a1), barrier(b1), barrier(a2)]);
    expect(b1.all('presence')).toEqual([]);
    expect(a1.all('presence')).toHaveLength(1);
    expect(a2.all('presence')).toEqual([]);

    // Tab 1 leaves; tab 2 still holds her in the room.
    expect(await a1.request({ t: 'leave', room })).toEqual({ t: 'left', room, ref: expect.anything() });
    await barrier(b1);
    expect(b1.all('presence')).toEqual([]);
    expect(await httpMembers(bob.http, room)).toEqual([member(alice), member(bob)]);

    // Her last tab goes: now she leaves.
    await closeAndWait(a2);
    expect(await b1.next((f) => f.t === 'presence')).toEqual({ t: 'presence', room, joins: [], leaves: [member(alice)] });
    expect(await httpMembers(bob.http, room)).toEqual([member(bob)]);

    // Bob leaves and comes back: alone now.
    await b1.request({ t: 'leave', room });
    expect((await joined(b1, room)).members).toEqual([member(bob)]);

    // Alice returns on tab 1 (still open, it only left the room): Bob hears her join once.
    expect((await joined(a1, room)).members).toEqual([member(alice), member(bob)]);
    expect(await b1.next((f) => f.t === 'presence')).toEqual({ t: 'presence', room, joins: [member(alice)], leaves: [] });
    await Promise.all([barrier(a1), barrier(b1)]);
    expect(b1.all('presence')).toHaveLength(2);
    // a1's only presence frame is Bob's first join; his leave and rejoin happened while a1 was out.
    expect(a1.all('presence')).toEqual([{ t: 'presence', room, joins: [member(bob)], leaves: [] }]);

    for (const [ws, self] of [[a1, member(alice)], [a2, member(alice)], [b1, member(bob)]] as const) {
      expect(presenceAboutSelf(ws, self)).toEqual([]);
    }
    a1.close();
    b1.close();
  });

  it('joined.members plus every later diff equals the HTTP member list after each step', async () => {
    const room = 'presence-fold';
    const users = await Promise.all(['ann2', 'ben2', 'cat2'].map((n) => signup(n)));
    const observerUser = await signup('obs2');
    const tabs = new Map<string, WsClient>();
    const tabUser = new Map<string, User>();
    const inRoom = new Set<string>();
    const open = async (tab: string, u: User) => {
      tabs.set(tab, await u.connect());
      tabUser.set(tab, u);
    };
    for (const [i, u] of users.entries()) {
      await open(`${i}a`, u);
      await open(`${i}b`, u);
    }

    const observers: WsClient[] = [await observerUser.connect()];
    await joined(observers[0]!, room);

    const expected = () => {
      const names = new Set([...inRoom].map((t) => tabUser.get(t)!.user.name));
      return sortByName([member(observerUser), ...users.filter((u) => names.has(u.user.name)).map(member)]);
    };
    const check = async (step: string) => {
      for (const o of observers) await barrier(o);
      const http = await httpMembers(observerUser.http, room);
      expect(http, step).toEqual(expected());
      for (const o of observers) {
        const held = heldMembers(o, room);
        expect(held.anomalies, step).toEqual([]);
        expect(held.members, step).toEqual(http);
      }
    };
    const doJoin = async (tab: string) => {
      await joined(tabs.get(tab)!, room);
      inRoom.add(tab);
      await check(`join ${tab}`);
    };
    const doLeave = async (tab: string) => {
      await tabs.get(tab)!.request({ t: 'leave', room });
      inRoom.delete(tab);
      await check(`leave ${tab}`);
    };
    const doClose = async (tab: string) => {
      await closeAndWait(tabs.get(tab)!);
      inRoom.delete(tab);
      await check(`close ${tab}`);
    };

    await doJoin('0a');
    await doJoin('1a');
    await doJoin('0b');
    await doJoin('2a');
    await doJoin('2b');
    await doLeave('0a');
    await doClose('0b');
    await doJoin('1b');
    await doClose('1a');
    await doLeave('2a');
    await doClose('2b');
    await open('0c', users[0]!);
    await doJoin('0c');
    // A second observer arriving mid-way must agree from its snapshot on.
    observers.push(await observerUser.connect());
    await joined(observers[1]!, room);
    await check('second observer joined');
    await doLeave('1b');
    await doJoin('2a');
    await doJoin('1b');
    await doClose('0c');
    await doClose('2a');

    for (const [tab, ws] of tabs) expect(presenceAboutSelf(ws, member(tabUser.get(tab)!)), tab).toEqual([]);
    for (const o of observers) expect(presenceAboutSelf(o, member(observerUser))).toEqual([]);
    for (const ws of [...tabs.values(), ...observers]) ws.close();
  });

  it('stays consistent when joins, leaves and closes race an observer joining', async () => {
    const room = 'presence-race';
    const users = await Promise.all(['dan3', 'eve3', 'fay3'].map((n) => signup(n)));
    const watcher = await signup('obs3');
    const first = await watcher.connect();
    await joined(first, room);
    const tabs = await Promise.all(users.flatMap((u) => [u.connect(), u.connect()]));
    const late = await watcher.connect();
    const quitter = await signup('quit3');
    const gone = await quitter.connect();

    // Everyone joins at once while a second observer joins and another tab closes right
    // after asking to join; then half the tabs leave or close at once. Only the end state
    // is known; the diffs must add up to it.
    gone.send({ t: 'join', room });
    gone.close();
    await Promise.all([...tabs.map((t) => joined(t, room)), joined(late, room), gone.whenClosed()]);
    await Promise.all([tabs[0]!.request({ t: 'leave', room }), closeAndWait(tabs[1]!), closeAndWait(tabs[2]!), tabs[4]!.request({ t: 'leave', room })]);
    // dan3: both tabs gone; eve3: tab 3 still in; fay3: tab 5 still in.
    await Promise.all([barrier(first), barrier(late)]);
    const http = await httpMembers(watcher.http, room);
    expect(http).toEqual(sortByName([member(users[1]!), member(users[2]!), member(watcher)]));
    for (const o of [first, late]) {
      const held = heldMembers(o, room);
      expect(held.anomalies).toEqual([]);
      expect(held.members).toEqual(http);
    }
    for (const ws of [...tabs, first, late]) ws.close();
  });

  it('GET /api/users online flips when the last socket closes; GET /api/rooms counts members, not tabs', async () => {
    const room = 'presence-online';
    const gus = await signup('gus4');
    const hal = await signup('hal4');
    const onlineOf = async (u: User) => {
      const r = await hal.http.get('/api/users');
      expect(r.status).toBe(200);
      return r.body.users.find((x: { id: number }) => x.id === u.user.id).online as boolean;
    };
    const roomOnline = async () => {
      const r = await hal.http.get('/api/rooms');
      expect(r.status).toBe(200);
      return r.body.rooms.find((x: { name: string }) => x.name === room).online as number;
    };

    expect(await onlineOf(gus)).toBe(false);
    const g1 = await gus.connect();
    const g2 = await gus.connect();
    const h1 = await hal.connect();
    expect(await onlineOf(gus)).toBe(true);
    await joined(g1, room);
    await joined(g2, room);
    expect(await roomOnline()).toBe(1);
    await joined(h1, room);
    expect(await roomOnline()).toBe(2);

    await closeAndWait(g1);
    expect(await onlineOf(gus)).toBe(true);
    expect(await roomOnline()).toBe(2);
    await closeAndWait(g2);
    expect(await onlineOf(gus)).toBe(false);
    expect(await roomOnline()).toBe(1);
    expect(await onlineOf(hal)).toBe(true);
    await closeAndWait(h1);
    expect(await onlineOf(hal)).toBe(false);
    expect(await roomOnline()).toBe(0);
  });
});

describe('catching up with since', () => {
  it('a client back after a disconnect gets exactly the messages it missed', async () => {
    const room = 'recover-small';
    const alice = await signup('alice5');
    const bob = await signup('bob5');
    const a = await alice.connect();
    await joined(a, room);
    let b = await bob.connect();
    await joined(b, room);

    for (let i = 1; i <= 5; i++) await send(a, room, `before-${i}`);
    const held = await msgsUntil(b, room, 5);
    expect(seqs(held)).toEqual([1, 2, 3, 4, 5]);
    await closeAndWait(b);

    const acks: Frame[] = [];
    for (let i = 1; i <= 7; i++) acks.push(await send(a, room, `missed-${i}`, `missed message ${i}`));
    expect(seqs(acks)).toEqual(range(6, 12));

    b = await bob.connect();
    const back = await joined(b, room, 5);
    expect(back.seq).toBe(12);
    expect(back.truncated).toBe(false);
    expect(back.members).toEqual([member(alice), member(bob)]);
    expect(back.messages).toEqual(
      acks.map((ack, i) => ({ room, id: ack.id, seq: ack.seq, at: ack.at, user: member(alice), body: `missed message ${i + 1}`, cid: `missed-${i + 1}` })),
    );
    // Nothing of the backlog comes again as a live msg.
    await send(a, room, 'after');
    expect(seqs(await msgsUntil(b, room, 1))).toEqual([13]);
    await barrier(b);
    expect(b.all('msg', room)).toHaveLength(1);
    a.close();
    b.close();
  });

  it('more than 500 missed: the latest 500 and truncated; exactly 500: all and not truncated; no since: the latest 50', async () => {
    const room = 'recover-many';
    const alice = await signup('alice6');
    const a = await alice.connect();
    await joined(a, room);
    for (let i = 1; i <= 610; i++) fire(a, room, `m${i}`, `message ${i}`);
    const acks = await acksFor(a, room, 610);
    expect(seqs([...acks.values()]).sort((x, y) => x - y)).toEqual(range(1, 610));
    const history = await msgsUntil(a, room, 610);
    expect(seqs(history)).toEqual(range(1, 610));

    const c = await alice.connect();
    const over = await joined(c, room, 10);
    expect(over.seq).toBe(610);
    expect(over.truncated).toBe(true);
    expect(over.messages).toEqual(history.slice(110).map(asMessage));

    const e = await alice.connect();
    const exact = await joined(e, room, 110);
    expect(exact.truncated).toBe(false);
    expect(exact.messages).toEqual(history.slice(110).map(asMessage));

    const l = await alice.connect();
    const latest = await joined(l, room);
    expect(latest.seq).toBe(610);
    expect(latest.truncated).toBe(false);
    expect(latest.messages).toEqual(history.slice(560).map(asMessage));

    const d = await alice.connect();
    const upToDate = await joined(d, room, 610);
    expect(upToDate).toMatchObject({ seq: 610, messages: [], truncated: false });
    for (const ws of [a, c, d, e, l]) ws.close();
  });
});

describe('idempotent cid', () => {
  it('a resent cid is answered with the original ack and delivered once', async () => {
    const room = 'cid-once';
    const other = 'cid-other';
    const alice = await signup('alice7');
    const bob = await signup('bob7');
    const a = await alice.connect();
    const b = await bob.connect();
    await joined(a, room);
    await joined(a, other);
    await joined(b, room);

    const first = await send(a, room, 'x1', 'hello');
    const again = await send(a, room, 'x1', 'hello, edited');
    expect({ ...again, ref: undefined }).toEqual({ ...first, ref: undefined });
    expect(first).toMatchObject({ seq: 1, id: expect.any(Number), at: expect.any(Number) });

    // Two copies queued together behind a commit in flight go in one batch: still one message.
    a.send({ t: 'send', room, cid: 'lead', body: 'keeps the writer busy', ref: 'l' });
    a.send({ t: 'send', room, cid: 'x2', body: 'twice', ref: 'p' });
    a.send({ t: 'send', room, cid: 'x2', body: 'twice', ref: 'q' });
    const p = await a.next((f) => f.ref === 'p');
    const q = await a.next((f) => f.ref === 'q');
    expect({ ...q, ref: 'p' }).toEqual(p);
    expect(p).toMatchObject({ t: 'ack', seq: 3 });

    // The same cid over HTTP by the same user is the same message too.
    const post = await alice.http.post(`/api/rooms/${room}/messages`, { body: 'via http', cid: 'x1' });
    expect(post.status).toBe(201);
    expect(post.body).toEqual({ id: first.id, seq: first.seq, at: first.at });

    // Another user's x1, and Alice's x1 in another room, are new messages.
    const bobs = await send(b, room, 'x1', 'bob says hello');
    expect(bobs.seq).toBe(4);
    expect(bobs.id).not.toBe(first.id);
    const elsewhere = await send(a, other, 'x1', 'hello over there');
    expect(elsewhere.seq).toBe(1);
    expect(elsewhere.id).not.toBe(first.id);

    await Promise.all([barrier(a), barrier(b)]);
    for (const ws of [a, b]) {
      expect(ws.all('msg', room).map((m) => [m.seq, m.cid, m.body, m.user.name])).toEqual([
        [1, 'x1', 'hello', 'alice7'],
        [2, 'lead', 'keeps the writer busy', 'alice7'],
        [3, 'x2', 'twice', 'alice7'],
        [4, 'x1', 'bob says hello', 'bob7'],
      ]);
    }
    const hist = await bob.http.get(`/api/rooms/${room}/messages`);
    expect(hist.body.messages.map((m: Frame) => [m.seq, m.cid, m.body])).toEqual([
      [1, 'x1', 'hello'],
      [2, 'lead', 'keeps the writer busy'],
      [3, 'x2', 'twice'],
      [4, 'x1', 'bob says hello'],
    ]);
    expect(hist.body.messages[0]).toEqual(asMessage(a.all('msg', room)[0]!));
    a.close();
    b.close();
  });

  it('a cid sent before a restart is still the same message after it', async () => {
    const dataDir = newDataDir('parley-restart-');
    let s: TestServer | undefined;
    try {
      s = await startTestServer({}, { dataDir });
      const alice = await newUser(s, 'alice8');
      let a = await alice.connect();
      await joined(a, 'restart');
      const before = await send(a, 'restart', 'kept', 'said before the restart');
      expect(before.seq).toBe(1);
      await s.stop();
      expect((await a.whenClosed()).code).toBe(1001);

      s = await startTestServer({}, { dataDir });
      const http = new Client(s.url);
      expect((await http.post('/api/auth/login', { username: 'alice8', password: 'correct horse battery' })).status).toBe(200);
      a = await WsClient.connect(s.url, http.cookie);
      const back = await joined(a, 'restart', 0);
      expect(back.messages.map((m: Frame) => [m.seq, m.cid])).toEqual([[1, 'kept']]);
      const after = await send(a, 'restart', 'kept', 'said again after it');
      expect({ ...after, ref: undefined }).toEqual({ ...before, ref: undefined });
      expect((await send(a, 'restart', 'new')).seq).toBe(2);

      const hist = await http.get('/api/rooms/restart/messages');
      expect(hist.body.messages.map((m: Frame) => [m.seq, m.cid, m.body])).toEqual([
        [1, 'kept', 'said before the restart'],
        [2, 'new', 'body of new'],
      ]);
      a.close();
    } finally {
      await s?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('ordering', () => {
  it('concurrent senders: every observer sees seq 1..100 once each, in order, matching acks and history', async () => {
    const room = 'order-burst';
    const senders = await Promise.all(['sam9', 'sue9', 'sid9', 'sky9'].map((n) => signup(n)));
    const watcher = await signup('obs9');
    const sockets = await Promise.all(senders.map((u) => u.connect()));
    const observers = await Promise.all([watcher.connect(), watcher.connect(), senders[0]!.connect()]);
    await Promise.all([...sockets, ...observers].map((ws) => joined(ws, room)));

    for (let i = 0; i < 25; i++) {
      for (const [k, ws] of sockets.entries()) fire(ws, room, `s${k}-${i}`);
    }
    const acks = new Map<string, Frame>();
    for (const ws of sockets) for (const [cid, ack] of await acksFor(ws, room, 25)) acks.set(cid, ack);
    expect(acks.size).toBe(100);

    const seen: Frame[][] = [];
    for (const ws of [...observers, ...sockets]) {
      await msgsUntil(ws, room, 100);
      await barrier(ws);
      const msgs = ws.all('msg', room);
      expect(seqs(msgs)).toEqual(range(1, 100));
      seen.push(msgs);
    }
    for (const msgs of seen) expect(msgs).toEqual(seen[0]);
    for (const m of seen[0]!) {
      const ack = acks.get(m.cid)!;
      expect({ id: m.id, seq: m.seq, at: m.at }).toEqual({ id: ack.id, seq: ack.seq, at: ack.at });
    }
    // One connection's sends keep their order.
    for (const k of senders.keys()) {
      const own = seen[0]!.filter((m) => m.cid.startsWith(`s${k}-`)).map((m) => m.cid);
      expect(own).toEqual(range(0, 24).map((i) => `s${k}-${i}`));
    }

    const hist = await watcher.http.get(`/api/rooms/${room}/messages?limit=100`);
    expect(hist.body).toEqual({ messages: seen[0]!.map(asMessage), more: false });
    const listed = (await watcher.http.get('/api/rooms')).body.rooms.find((r: { name: string }) => r.name === room);
    expect(listed.lastSeq).toBe(100);
    for (const ws of [...sockets, ...observers]) ws.close();
  });
});

describe('ordering across rooms', () => {
  it('sends to two rooms interleaved in the same batches count each room from 1 without gaps', async () => {
    const rooms = ['multi-a', 'multi-b'];
    const senders = await Promise.all(['ray11', 'rex11'].map((n) => signup(n)));
    const sockets = await Promise.all(senders.map((u) => u.connect()));
    for (const ws of sockets) for (const room of rooms) await joined(ws, room);

    for (let i = 0; i < 30; i++) {
      for (const [k, ws] of sockets.entries()) for (const room of rooms) fire(ws, room, `${room}-${k}-${i}`);
    }
    for (const room of rooms) {
      const acks = new Map<string, Frame>();
      for (const ws of sockets) for (const [cid, ack] of await acksFor(ws, room, 30)) acks.set(cid, ack);
      const msgs = await msgsUntil(sockets[0]!, room, 60);
      expect(seqs(msgs), room).toEqual(range(1, 60));
      for (const m of msgs) {
        expect(m.room).toBe(room);
        expect(m.body).toBe(`body of ${m.cid}`);
        expect(acks.get(m.cid)).toMatchObject({ room, id: m.id, seq: m.seq, at: m.at });
      }
      await barrier(sockets[1]!);
      expect(sockets[1]!.all('msg', room)).toEqual(msgs);
    }
    for (const ws of sockets) ws.close();
  });

  it('a post over HTTP reaches WebSocket members as a msg with the seq it was answered with', async () => {
    const room = 'http-post';
    const poster = await signup('pia12');
    const reader = await signup('rod12');
    const r = await reader.connect();
    await joined(r, room);
    await send(r, room, 'first');
    const post = await poster.http.post(`/api/rooms/${room}/messages`, { body: 'from a form', cid: 'form-1' });
    expect(post.status).toBe(201);
    expect(post.body).toEqual({ id: expect.any(Number), seq: 2, at: expect.any(Number) });
    const msg = await r.next((f) => f.t === 'msg' && f.seq === 2);
    expect(msg).toEqual({ t: 'msg', room, ...post.body, user: member(poster), body: 'from a form', cid: 'form-1' });
    r.close();
  });
});

describe('a join racing a burst', () => {
  const TOTAL = 300;

  /**
   * One user sends TOTAL messages without waiting for acks, a few at a time, while fresh
   * connections join at points along the stream, with and without `since`. Each joiner's
   * joined.messages followed by its msg frames must be exactly the stream from where its
   * snapshot starts to the end.
   */
  async function round(room: string, sender: User, joiner: User): Promise<void> {
    const s = await sender.connect();
    await joined(s, room);
    const joinAt = [0, 0, 3, 20, 60, 110, 170, 230, 290, TOTAL - 1];
    const conns = await Promise.all(joinAt.map(() => joiner.connect()));
    const sinceOf: Array<number | undefined> = [];

    for (let i = 0; i < TOTAL; i++) {
      joinAt.forEach((at, k) => {
        if (at !== i) return;
        // Half claim to hold what the sender has seen so far, half join without since.
        const since = k % 2 === 1 ? s.all('msg', room).length : undefined;
        sinceOf[k] = since;
        conns[k]!.send(since === undefined ? { t: 'join', room, ref: 'j' } : { t: 'join', room, since, ref: 'j' });
      });
      fire(s, room, `c${i}`, `burst ${i}`);
      if (i % 4 === 3) await new Promise((r) => setTimeout(r, 1));
    }
    await acksFor(s, room, TOTAL);
    const stream = (await msgsUntil(s, room, TOTAL)).map(asMessage);
    expect(stream.map((m) => m.seq)).toEqual(range(1, TOTAL));

    for (const [k, ws] of conns.entries()) {
      const j = await ws.next((f) => f.ref === 'j', 15_000);
      expect(j.t, JSON.stringify(j)).toBe('joined');
      await msgsUntil(ws, room, TOTAL - j.seq);
      await barrier(ws);
      const roomFrames = ws.frames.filter((f) => f.room === room && (f.t === 'msg' || f.t === 'joined'));
      expect(roomFrames[0]!.t, `joiner ${k}: the first frame of the room is joined`).toBe('joined');
      const live = ws.all('msg', room).map(asMessage);
      const since = sinceOf[k];
      const from = since === undefined ? Math.max(0, j.seq - 50) : Math.min(since, j.seq);
      const where = `joiner ${k} (since ${since}, joined.seq ${j.seq})`;
      expect(j.messages.map((m: Frame) => m.seq), where).toEqual(range(from + 1, j.seq));
      expect(live.map((m) => m.seq), where).toEqual(range(j.seq + 1, TOTAL));
      expect([...j.messages, ...live], where).toEqual(stream.slice(from));
    }
    await Promise.all([s, ...conns].map(closeAndWait));
  }

  it('each joiner gets the stream exactly once from its snapshot on, over several rounds', async () => {
    const sender = await signup('pat10');
    const joiner = await signup('joy10');
    for (let r = 1; r <= 3; r++) await round(`burst-${r}`, sender, joiner);
  });
});
