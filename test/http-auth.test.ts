/** Auth and rooms over real HTTP against the real server and PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

const client = () => new Client(server.url);

describe('signup, login, me, logout', () => {
  it('signs up, sets a hardened session cookie and knows the user', async () => {
    const c = client();
    const r = await c.post('/api/auth/signup', { username: 'Alice', password: 'correct horse' });
    expect(r.status).toBe(201);
    expect(r.body.user).toEqual({ id: expect.any(Number), name: 'alice' });
    const cookie = r.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^parley_session=Fe26\.2\*/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure');
    const me = await c.get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body.user.name).toBe('alice');
  });

  it('treats names case-insensitively: a second Alice is taken', async () => {
    const r = await client().post('/api/auth/signup', { username: 'ALICE', password: 'another password' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('taken');
  });

  it('logs in with any case of the name; unknown user and wrong password look the same', async () => {
    const ok = await client().post('/api/auth/login', { username: 'aLiCe', password: 'correct horse' });
    expect(ok.status).toBe(200);
    expect(ok.body.user.name).toBe('alice');
    const wrong = await client().post('/api/auth/login', { username: 'alice', password: 'wrong password' });
    const unknown = await client().post('/api/auth/login', { username: 'nobody_here', password: 'wrong password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('bad_credentials');
  });

  it('logout revokes the session: the old cookie replayed is 401', async () => {
    const c = client();
    await c.signup('bob');
    const stolen = c.cookie!;
    const out = await c.post('/api/auth/logout');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(/^parley_session=;.*Max-Age=0/);
    const replay = new Client(server.url);
    replay.cookie = stolen;
    const me = await replay.get('/api/me');
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('unauthorized');
  });

  it('a tampered cookie is 401', async () => {
    const c = client();
    await c.signup('mallory');
    c.cookie = c.cookie!.slice(0, -4) + 'AAAA';
    expect((await c.get('/api/me')).status).toBe(401);
  });

  it('password change keeps this session, revokes the others, and checks the current password', async () => {
    const a = client();
    await a.signup('dana', 'first password');
    const b = client();
    expect((await b.post('/api/auth/login', { username: 'dana', password: 'first password' })).status).toBe(200);
    const bad = await a.post('/api/auth/password', { current: 'not it at all', next: 'second password' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('bad_credentials');
    const ok = await a.post('/api/auth/password', { current: 'first password', next: 'second password' });
    expect(ok.status).toBe(204);
    expect((await a.get('/api/me')).status).toBe(200);
    expect((await b.get('/api/me')).status).toBe(401);
    expect((await client().post('/api/auth/login', { username: 'dana', password: 'first password' })).status).toBe(401);
    expect((await client().post('/api/auth/login', { username: 'dana', password: 'second password' })).status).toBe(200);
  });
});

describe('bad input', () => {
  const cases: Array<[string, string, unknown, number, string, Record<string, string>?]> = [
    ['signup: malformed JSON', '/api/auth/signup', '{"username": "x",', 400, 'bad_json'],
    ['signup: not an object', '/api/auth/signup', '[1,2]', 400, 'invalid'],
    ['signup: no fields', '/api/auth/signup', {}, 400, 'invalid'],
    ['signup: short name', '/api/auth/signup', { username: 'ab', password: 'long enough' }, 400, 'invalid'],
    ['signup: long name', '/api/auth/signup', { username: 'a'.repeat(33), password: 'long enough' }, 400, 'invalid'],
    ['signup: bad characters', '/api/auth/signup', { username: 'al ice', password: 'long enough' }, 400, 'invalid'],
    ['signup: name not a string', '/api/auth/signup', { username: 42, password: 'long enough' }, 400, 'invalid'],
    ['signup: short password', '/api/auth/signup', { username: 'shorty', password: 'seven77' }, 400, 'invalid'],
    ['signup: long password', '/api/auth/signup', { username: 'longpw', password: 'x'.repeat(257) }, 400, 'invalid'],
    ['signup: wrong content type', '/api/auth/signup', 'username=a', 415, 'unsupported_media_type', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['login: malformed JSON', '/api/auth/login', '{', 400, 'bad_json'],
    ['login: missing password', '/api/auth/login', { username: 'alice' }, 400, 'invalid'],
    ['password: signed out', '/api/auth/password', { current: 'a', next: 'bbbbbbbb' }, 401, 'unauthorized'],
    ['rooms: signed out', '/api/rooms', { name: 'general' }, 401, 'unauthorized'],
  ];
  it.each(cases)('%s', async (_name, path, body, status, code, headers) => {
    const r = await client().post(path, body, headers);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(typeof r.body.error.message).toBe('string');
  });

  it('rejects state changes from a foreign Origin with 403, accepts the same origin', async () => {
    const foreign = await client().post('/api/auth/signup', { username: 'eve', password: 'long enough' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('forbidden');
    const same = await client().post('/api/auth/signup', { username: 'eve', password: 'long enough' }, { origin: server.url });
    expect(same.status).toBe(201);
  });

  it('unknown API routes answer JSON 404', async () => {
    const r = await client().get('/api/nothing/here');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });
});

describe('rooms', () => {
  it('creates, lists and reads rooms; names are validated and unique', async () => {
    const c = client();
    await c.signup('roomer');
    const made = await c.post('/api/rooms', { name: 'general', topic: 'anything goes' });
    expect(made.status).toBe(201);
    expect(made.body.room).toMatchObject({ name: 'general', kind: 'public', topic: 'anything goes', lastSeq: 0, online: 0 });
    expect((await c.post('/api/rooms', { name: 'general' })).body.error.code).toBe('taken');
    for (const name of ['General', '-x', 'a'.repeat(65), 'sp ace', '']) {
      const bad = await c.post('/api/rooms', { name });
      expect(bad.status, name).toBe(400);
      expect(bad.body.error.code).toBe('invalid');
    }
    const list = await c.get('/api/rooms');
    expect(list.status).toBe(200);
    expect(list.body.rooms.map((r: { name: string }) => r.name)).toContain('general');
    const one = await c.get('/api/rooms/general');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ room: { name: 'general' }, members: [] });
    expect((await c.get('/api/rooms/missing-room')).status).toBe(404);
    expect((await c.get('/api/rooms/BAD!')).status).toBe(400);
  });
});

describe('contacts', () => {
  it('GET /api/users?q= is a literal, case-insensitive name prefix, in name order', async () => {
    const c = client();
    for (const name of ['lk_two', 'lkxone', 'lk_one']) await client().signup(name);
    await c.signup('lk_viewer');
    const names = async (q: string) => (await c.get(`/api/users?q=${encodeURIComponent(q)}`)).body.users.map((u: { name: string }) => u.name);
    // `_` is a LIKE wildcard; here it means itself.
    expect(await names('LK_')).toEqual(['lk_one', 'lk_two', 'lk_viewer']);
    // Characters a name cannot hold are dropped, `%` among them.
    expect(await names('lk%')).toEqual(['lk_one', 'lk_two', 'lk_viewer', 'lkxone']);
    expect(await names('lkx')).toEqual(['lkxone']);
  });
});

describe('health', () => {
  it('healthz and readyz are 200 while the database answers', async () => {
    expect((await client().get('/healthz')).status).toBe(200);
    expect((await client().get('/readyz')).status).toBe(200);
  });
});

describe('static web client', () => {
  it('serves index.html at / and deep links, hashed assets immutable, ETag revalidation', async () => {
    const root = await fetch(server.url + '/');
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(root.headers.get('cache-control')).toBe('no-cache');
    const html = await root.text();
    expect(html).toContain('<parley-app>');
    const deep = await fetch(server.url + '/r/general');
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    const etag = root.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(server.url + '/', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)![1]!;
    const js = await fetch(server.url + asset);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(server.url + '/assets/missing.js')).status).toBe(404);
  });
});
