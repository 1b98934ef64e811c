/**
 * What every answer tells the browser (no framing, own scripts only, no referrer, no
 * sniffing), HEAD on the page, and text that is not UTF-8 in a JSON body or a frame.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, newUser, startTestServer, type TestServer } from './harness.js';

describe('security headers, HEAD and UTF-8', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.cleanup());

  it('the page may not be framed, runs only its own scripts and sends no referrer', async () => {
    for (const path of ['/', '/r/general']) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      // Plain http: no HSTS (it would mean nothing, and pin nothing).
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('JSON answers, errors included, carry nosniff and frame protection', async () => {
    for (const res of [await fetch(`${server.url}/api/me`), await fetch(`${server.url}/healthz`), await fetch(`${server.url}/api/nothing`)]) {
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('HEAD / answers like GET / without a body', async () => {
    const get = await fetch(server.url + '/');
    const body = await get.arrayBuffer();
    const head = await fetch(server.url + '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(head.headers.get('content-length')).toBe(String(body.byteLength));
    expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    expect((await fetch(server.url + '/r/general', { method: 'HEAD' })).status).toBe(200);
  });

  it('a JSON body that is not UTF-8 is 400 bad_json; two different bad cids are not taken for one', async () => {
    const { http } = await newUser(server, 'utf8poster');
    await http.post('/api/rooms', { name: 'utf8' });
    const post = (cidBytes: number[]) => {
      const body = Buffer.concat([Buffer.from('{"body":"hi","cid":"'), Buffer.from(cidBytes), Buffer.from('"}')]);
      return fetch(`${server.url}/api/rooms/utf8/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: http.cookie! },
        body,
      });
    };
    for (const bytes of [[0xff], [0xfe], [0xc3]]) {
      const res = await post(bytes);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('bad_json');
    }
    expect((await http.get('/api/rooms/utf8/messages')).body.messages).toEqual([]);
  });

  it('a cid with a lone surrogate (JSON "\\ud800") is 400 invalid; a post beside it is stored and answered 201', async () => {
    const { http } = await newUser(server, 'surrogates');
    await http.post('/api/rooms', { name: 'surrogates' });
    const [lone, fine] = await Promise.all([
      http.post('/api/rooms/surrogates/messages', '{"body":"hello","cid":"\\ud800"}'),
      http.post('/api/rooms/surrogates/messages', { body: 'beside it', cid: 'fine' }),
    ]);
    expect(lone.status).toBe(400);
    expect(lone.body.error.code).toBe('invalid');
    expect(fine.status).toBe(201);
    const stored = (await http.get('/api/rooms/surrogates/messages')).body.messages;
    expect(stored.map((m: { cid: string }) => m.cid)).toEqual(['fine']);
  });

  it('a frame whose cid is not UTF-8 is bad_frame and nothing is stored', async () => {
    const alice = await newUser(server, 'utf8sender');
    const ws = await alice.connect();
    try {
      await ws.request({ t: 'join', room: 'utf8ws' });
      for (const b of [0xff, 0xfe]) {
        // {t:'send', room:'utf8ws', body:'x', cid:<one bad byte>, ref:'bad'}
        const frame = Buffer.concat([
          Buffer.from([0x85, 0xa1]), Buffer.from('t'), Buffer.from([0xa4]), Buffer.from('send'),
          Buffer.from([0xa4]), Buffer.from('room'), Buffer.from([0xa6]), Buffer.from('utf8ws'),
          Buffer.from([0xa4]), Buffer.from('body'), Buffer.from([0xa1]), Buffer.from('x'),
          Buffer.from([0xa3]), Buffer.from('cid'), Buffer.from([0xa1, b]),
          Buffer.from([0xa3]), Buffer.from('ref'), Buffer.from([0xa3]), Buffer.from('bad'),
        ]);
        ws.ws.send(frame, { binary: true });
        const reply = await ws.next((f) => f.t === 'error');
        expect(reply.code).toBe('bad_frame');
      }
      expect((await ws.request({ t: 'send', room: 'utf8ws', body: 'fine', cid: 'ok' })).t).toBe('ack');
      const stored = (await alice.http.get('/api/rooms/utf8ws/messages')).body.messages;
      expect(stored.map((m: { cid: string }) => m.cid)).toEqual(['ok']);
    } finally {
      ws.close();
    }
  });

  it('an https PUBLIC_URL adds HSTS', async () => {
    const secure = await startTestServer({ PUBLIC_URL: 'https://chat.example.com' });
    try {
      const res = await new Client(secure.url).get('/healthz');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    } finally {
      await secure.cleanup();
    }
  });
});
