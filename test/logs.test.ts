/**
 * What Parley writes to its log, read from the real process at LOG_LEVEL=debug: a request id
 * on every HTTP request's line (the one sent back in X-Request-Id), a connection id on every
 * socket's open and close (with the close code and reason), and never a password, a session
 * cookie or a message body, whatever the requests carried.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, until } from './harness.js';
import { newDataDir } from './db-template.js';
import { spawnServer, stopIfRunning, waitListening, type Proc } from './spawn-server.js';
import { WsClient } from './ws-client.js';
import { freePort } from '../server/store/embedded-db.js';

const PASSWORD = 'pw-Sesame-4471-do-not-log';
const NEXT_PASSWORD = 'pw-Open-9923-do-not-log';
const BODIES = ['body-over-http-5519', 'body-over-ws-7731', 'body-edited-3318'];

let dataDir: string;
let proc: Proc;
let url: string;

beforeAll(async () => {
  dataDir = newDataDir('parley-logs-');
  const port = await freePort();
  proc = spawnServer({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'debug' });
  await waitListening(proc);
  url = `http://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  if (proc) await stopIfRunning(proc);
  rmSync(dataDir, { recursive: true, force: true });
});

const lines = () =>
  proc
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('logs', () => {
  it('name each request and socket, and carry no password, cookie or message body', async () => {
    const ada = new Client(url);
    const signup = await ada.post('/api/auth/signup', { username: 'log_ada', password: PASSWORD });
    expect(signup.status).toBe(201);
    const cookie = ada.cookie!;
    const wrong = await new Client(url).post('/api/auth/login', { username: 'log_ada', password: `${PASSWORD}-wrong` });
    expect(wrong.status).toBe(401);
    const posted = await ada.post('/api/rooms', { name: 'log-room' });
    expect(posted.status).toBe(201);
    const requestId = posted.headers.get('x-request-id');
    expect(requestId).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    expect((await ada.post('/api/rooms/log-room/messages', { body: BODIES[0] })).status).toBe(201);

    const ws = await WsClient.connect(url, cookie);
    await ws.join('log-room');
    const ack = await ws.request({ t: 'send', room: 'log-room', body: BODIES[1], cid: 'c1' });
    await ws.request({ t: 'edit', room: 'log-room', seq: ack.seq, body: BODIES[2] });
    ws.close();
    await ws.whenClosed();
    // A socket ended by the server: logging out closes the session's other socket with 1008.
    const second = await WsClient.connect(url, cookie);
    expect((await ada.post('/api/auth/password', { current: PASSWORD, next: NEXT_PASSWORD })).status).toBe(204);
    expect((await ada.post('/api/auth/logout')).status).toBe(204);
    expect((await second.whenClosed()).code).toBe(1008);

    await until(() => lines().filter((l) => l.msg === 'socket closed').length >= 2, 5000, 'both closes logged');
    const text = proc.stdout();
    for (const secret of [PASSWORD, NEXT_PASSWORD, cookie.split('=')[1]!, ...BODIES]) expect(text).not.toContain(secret);

    const requests = lines().filter((l) => l.msg === 'request');
    expect(requests.find((l) => l.req === requestId)).toMatchObject({ method: 'POST', route: '/api/rooms', status: 201, ms: expect.any(Number) });
    expect(requests.filter((l) => l.route === '/api/auth/login').map((l) => l.status)).toEqual([401]);
    // Every request line has an id, and no two requests share one.
    const ids = requests.map((l) => l.req);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);

    const opens = lines().filter((l) => l.msg === 'socket open');
    const closes = lines().filter((l) => l.msg === 'socket closed');
    expect(opens).toHaveLength(2);
    expect(closes.map((l) => [l.conn, l.code])).toEqual([
      [opens[0]!.conn, 1000],
      [opens[1]!.conn, 1008],
    ]);
    expect(closes[1]).toMatchObject({ reason: 'session ended', level: 30 });
    expect(closes[0]).toMatchObject({ level: 20, rooms: 1 });
  });

  it('takes a request id from a proxy when it looks like one, and makes its own otherwise', async () => {
    const c = new Client(url);
    expect((await c.request('GET', '/healthz', undefined, { 'x-request-id': 'edge-42.a' })).headers.get('x-request-id')).toBe('edge-42.a');
    const made = (await c.request('GET', '/healthz', undefined, { 'x-request-id': 'bad id; drop table' })).headers.get('x-request-id');
    expect(made).not.toBe('bad id; drop table');
    expect(made).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
