/**
 * Abuse limits against the real server: failed logins per account and address, sign-ups per
 * address, room creation and joins per user, paginated room lists, and the password gate
 * under a flood of sign-ups. TRUST_PROXY lets each test speak from addresses of its own
 * (X-Forwarded-For), as a server behind a proxy sees its clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startTestServer, type TestServer } from './harness.js';
import { WsClient } from './ws-client.js';

const PASSWORD = 'correct horse battery';

/** A browser-like client that says it is at `address` (TRUST_PROXY takes X-Forwarded-For). */
class From extends Client {
  constructor(
    base: string,
    readonly address: string,
  ) {
    super(base);
  }
  override request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    return super.request<T>(method, path, body, { 'x-forwarded-for': `203.0.113.77, ${this.address}`, ...headers });
  }
  login(username: string, password: string) {
    return this.post('/api/auth/login', { username, password });
  }
}

describe('abuse limits', () => {
  let server: TestServer;
  let addressSeq = 0;
  /** A fresh client address for each use, so tests do not share limits by accident. */
  const from = () => new From(server.url, `198.51.100.${++addressSeq}`);
  const signedUp = async (name: string) => {
    const c = from();
    const r = await c.post('/api/auth/signup', { username: name, password: PASSWORD });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return c;
  };

  beforeAll(async () => {
    server = await startTestServer({
      TRUST_PROXY: '1',
      LIMIT_LOGIN_PAIR: '3/300',
      LIMIT_LOGIN_ADDRESS: '6/300',
      LIMIT_LOGIN_ACCOUNT: '10/300',
      LIMIT_SIGNUP_ADDRESS: '3/3600',
      LIMIT_ROOM_CREATE: '3/3600',
      LIMIT_JOIN: '8/60',
    });
  });
  afterAll(() => server?.cleanup());

  it('wrong passwords from one address for one account: 429 rate_limited with Retry-After after the pair limit', async () => {
    await signedUp('victim1');
    const attacker = from();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attacker.login('victim1', `wrong ${i} password`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const refused = await attacker.login('victim1', PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    // 3 per 300 s: the next attempt is 100 s after the first failure (each login takes a moment).
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(80);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(100);
    // The owner, from their own address, is not locked out by it.
    expect((await from().login('victim1', PASSWORD)).status).toBe(200);
  });

  it('300 concurrent wrong passwords from one address: at most the limit are even checked', async () => {
    await signedUp('victim2');
    const attacker = from();
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => attacker.login('victim2', `guess number ${i}`)));
    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 401: 3, 429: 297 });
    expect(answers.every((a) => a.status !== 429 || a.headers.get('retry-after'))).toBe(true);
  });

  it('one address spraying many accounts is stopped at the address limit; successful logins do not count', async () => {
    const sprayer = from();
    for (let i = 0; i < 3; i++) await signedUp(`spray${i}`);
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) statuses.push((await sprayer.login(`spray${i}`, 'not the password')).status);
    }
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429, 429]);

    const owner = from();
    for (let i = 0; i < 20; i++) expect((await owner.login('spray0', PASSWORD)).status).toBe(200);
  });

  it('guesses at one account spread over many addresses stop at the account limit', async () => {
    await signedUp('victim3');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await from().login('victim3', 'not the password')).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('sign-ups from one address: 429 with Retry-After past the limit; other addresses still sign up', async () => {
    const one = from();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await new From(server.url, one.address).post('/api/auth/signup', { username: `burst${i}`, password: PASSWORD })).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    const refused = await one.post('/api/auth/signup', { username: 'burst9', password: PASSWORD });
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    await signedUp('elsewhere1');
  });

  it('room creation is limited per user over HTTP, direct rooms and WebSocket joins alike; joining existing rooms is not', async () => {
    const maker = await signedUp('maker1');
    await signedUp('friend1');
    expect((await maker.post('/api/rooms', { name: 'made-1' })).status).toBe(201);
    expect((await maker.post('/api/dms', { user: 'friend1' })).status).toBe(201);
    // Opening the same direct room again creates nothing and is not counted.
    expect((await maker.post('/api/dms', { user: 'friend1' })).status).toBe(200);
    const ws = await WsClient.connect(server.url, maker.cookie, { 'x-forwarded-for': maker.address });
    try {
      expect((await ws.request({ t: 'join', room: 'made-by-join' })).t).toBe('joined');
      const refused = await ws.request({ t: 'join', room: 'one-too-many' });
      expect(refused).toMatchObject({ t: 'error', code: 'rate_limited', room: 'one-too-many' });
      expect(refused.retry_after).toBeGreaterThan(1_000_000); // 3 an hour: the next in 20 minutes
      const http = await maker.post('/api/rooms', { name: 'made-2' });
      expect(http.status).toBe(429);
      expect(http.headers.get('retry-after')).toBeTruthy();
      // Rooms that exist can still be joined.
      expect((await ws.request({ t: 'join', room: 'made-1' })).t).toBe('joined');
      // The refused room was not created.
      expect((await maker.get('/api/rooms/one-too-many')).status).toBe(404);
    } finally {
      ws.close();
    }
  });

  it('joins are limited per user across connections, with retry_after', async () => {
    const joiner = await signedUp('joiner1');
    await joiner.post('/api/rooms', { name: 'join-target' });
    const a = await WsClient.connect(server.url, joiner.cookie);
    const b = await WsClient.connect(server.url, joiner.cookie);
    try {
      const answers: string[] = [];
      for (let i = 0; i < 5; i++) {
        answers.push((await a.request({ t: 'join', room: 'join-target' })).t);
        answers.push((await b.request({ t: 'join', room: 'join-target' })).t);
      }
      expect(answers.filter((t) => t === 'joined')).toHaveLength(8);
      const refused = await a.request({ t: 'join', room: 'join-target' });
      expect(refused).toMatchObject({ t: 'error', code: 'rate_limited' });
      expect(refused.retry_after).toBeGreaterThan(0);
      expect(refused.retry_after).toBeLessThanOrEqual(7500);
      // The socket stays usable.
      expect((await a.request({ t: 'leave', room: 'join-target' })).t).toBe('left');
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('room list pages', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.cleanup());

  it('GET /api/rooms answers pages of at most `limit` rooms in name order with a `next` cursor, direct rooms included', async () => {
    const me = new Client(server.url);
    await me.signup('pager');
    const other = new Client(server.url);
    await other.signup('pagee');
    const stranger = new Client(server.url);
    await stranger.signup('stranger');
    const names = Array.from({ length: 230 }, (_, i) => `room-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(names.slice(i, i + 20).map((name) => me.post('/api/rooms', { name })));
    }
    // Names that collations order differently from bytes: the cursor must not skip or repeat them.
    for (const name of ['a-b', 'a_b', 'ab', 'a0', 'z-', 'z_']) expect((await me.post('/api/rooms', { name })).status).toBe(201);
    const dm = (await me.post('/api/dms', { user: 'pagee' })).body.room.name as string;
    // Someone else's direct room is never listed.
    const foreign = (await stranger.post('/api/dms', { user: 'pagee' })).body.room.name as string;

    const first = await me.get('/api/rooms');
    expect(first.status).toBe(200);
    expect(first.body.rooms).toHaveLength(100);
    expect(first.body.next).toBe(first.body.rooms[99].name);

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: any = await me.get(`/api/rooms?limit=50${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.rooms.length).toBeLessThanOrEqual(50);
      seen.push(...page.body.rooms.map((r: { name: string }) => r.name));
      after = page.body.next;
      pages++;
    } while (after);
    const expected = [...names, 'a-b', 'a_b', 'ab', 'a0', 'z-', 'z_', dm].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    expect(seen).toEqual(expected);
    expect(seen).not.toContain(foreign);
    expect(pages).toBe(Math.ceil(expected.length / 50));
    const dmEntry = (await me.get(`/api/rooms?after=${encodeURIComponent('dm-')}&limit=1`)).body.rooms[0];
    expect(dmEntry).toMatchObject({ name: dm, kind: 'direct', with: { name: 'pagee' } });

    expect((await me.get('/api/rooms?limit=0')).status).toBe(400);
    expect((await me.get('/api/rooms?limit=501')).status).toBe(400);
    expect((await me.get(`/api/rooms?after=${'x'.repeat(65)}`)).status).toBe(400);
  });
});

describe('password gate under a flood of sign-ups', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PASSWORD_QUEUE: '16' });
  });
  afterAll(() => server?.cleanup());

  it('1,000 concurrent sign-ups: each is 201 or 503 unavailable with Retry-After, none 500, and every 201 can sign in', async () => {
    const attempts = Array.from({ length: 1000 }, (_, i) => {
      const c = new Client(server.url);
      return c.post('/api/auth/signup', { username: `flood${i}`, password: PASSWORD }).then((r) => ({ i, r }));
    });
    const health = new Client(server.url).get('/healthz');
    const answers = await Promise.all(attempts);
    expect((await health).status).toBe(200);
    const byStatus = new Map<number, number>();
    for (const { r } of answers) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect([...byStatus.keys()].sort()).toEqual([201, 503]);
    for (const { r } of answers) {
      if (r.status === 503) {
        expect(r.body.error.code).toBe('unavailable');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    // How many get through depends on how fast the two hashers run meanwhile; some always do.
    const created = answers.filter(({ r }) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(2);
    for (const { i } of created.slice(0, 5)) {
      expect((await new Client(server.url).post('/api/auth/login', { username: `flood${i}`, password: PASSWORD })).status).toBe(200);
    }
    // Those the gate refused (not those answered at the request deadline, which may still
    // have gone through on a loaded machine) simply try again later.
    const retry = answers.find(({ r }) => r.status === 503 && /too many sign-ins at once/.test(r.body.error.message))!;
    expect((await new Client(server.url).post('/api/auth/signup', { username: `flood${retry.i}`, password: PASSWORD })).status).toBe(201);
  });
});

describe('a sign-up answered at its deadline', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ REQUEST_DEADLINE_MS: '300', PASSWORD_QUEUE: '1000' });
  });
  afterAll(() => server?.cleanup());

  it('is not created after all: a retry signs up (201), never taken (409)', async () => {
    // Two hashes at a time: the later ones of 40 wait past 300 ms and are answered 503 first.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => new Client(server.url).post('/api/auth/signup', { username: `late${i}`, password: PASSWORD }).then((r) => ({ i, r }))),
    );
    const late = answers.filter(({ r }) => r.status === 503);
    expect(late.length).toBeGreaterThan(0);
    expect(answers.every(({ r }) => r.status === 201 || r.status === 503)).toBe(true);
    // A retry is 503 again while the hashes still running after their answers fill the line;
    // it is retried until the line has room (what a client does with Retry-After), never slept.
    for (const { i } of late) {
      let status = 503;
      for (let attempt = 0; attempt < 200 && status === 503; attempt++) {
        status = (await new Client(server.url).post('/api/auth/signup', { username: `late${i}`, password: PASSWORD })).status;
      }
      expect(status, `late${i}`).toBe(201);
    }
  });
});
