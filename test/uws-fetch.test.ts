/**
 * The Fetch-on-uWS bridge (server/uws-fetch/) against real sockets: a uWS app on an
 * ephemeral port serving a small Hono app of its own (no database), probed with fetch,
 * node:http and raw node:net sockets where framing, pipelining or aborts matter.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uws-current';
import { LightResponse, serveFetch, type BridgeEnv, type ErrorBody } from '../server/uws-fetch/index.js';
import { loadUws, type Uws } from '../server/uws/load-uws.js';
import { chunk, parseResponse, rawExchange } from './raw-http.js';

const MAX_BODY = 1024;

// ---- the large streamed response: 8 MiB in 64 KiB chunks, every chunk distinct ----
const CHUNK = 64 * 1024;
const CHUNKS = 128;
const BIG_TOTAL = CHUNK * CHUNKS;

function chunkBytes(i: number): Uint8Array {
  const b = new Uint8Array(CHUNK);
  const seed = (i * 131) & 0xff;
  for (let j = 0; j < CHUNK; j++) b[j] = (seed + j) & 0xff;
  return b;
}

const BIG_SHA256 = (() => {
  const h = createHash('sha256');
  for (let i = 0; i < CHUNKS; i++) h.update(chunkBytes(i));
  return h.digest('hex');
})();

// ---- small helpers ----
interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms).unref()),
  ]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * HEAD then GET of one path, pipelined on one raw connection: fetch hides body bytes on HEAD,
 * and the GET shows the connection survived the HEAD. Returns the HEAD's head (lower-cased) and the GET.
 */
async function headThenGet(port: number, path: string): Promise<{ headPart: string; get: ReturnType<typeof parseResponse> }> {
  const req = (m: string) => `${m} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  const { received } = await rawExchange(port, [req('HEAD') + req('GET')], (b) => {
    const first = b.indexOf('\r\n\r\n');
    return first >= 0 && parseResponse(b.subarray(first + 4)) !== null;
  });
  const headEnd = received.indexOf('\r\n\r\n') + 4;
  return { headPart: received.subarray(0, headEnd).toString('latin1').toLowerCase(), get: parseResponse(received.subarray(headEnd)) };
}

// ---- server under test ----
let uws: Uws;
let listenSocket: us_listen_socket;
let port: number;
let base: string;

const bridgeErrors: unknown[] = [];
/** How often the bridge registered onWritable and how often uWS fired it (backpressure evidence). */
const writable = { registered: 0, fired: 0 };

/** Per-request observations made inside handlers. */
const bigStreams = new Map<string, { pulled: number; cancelled: Deferred<void> }>();
let uploadStarted = deferred<void>();
let uploadOutcome = deferred<{ ok: true; length: number } | { ok: false; error: unknown; signalAborted: boolean }>();
let rethrowSeen = deferred<unknown>();
/** The last Response Hono made for each path. */
const answers = new Map<string, Response>();
/** Errors Hono's app.onError caught (handlers failing on their own). */
const honoErrors: unknown[] = [];

function buildApp(): Hono<{ Bindings: BridgeEnv }> {
  const app = new Hono<{ Bindings: BridgeEnv }>();
  // Quiet stand-in for Hono's default (console.error + text 500), recording what failed.
  app.onError((err, c) => {
    honoErrors.push(err);
    return c.json({ error: { code: 'handler_failed' } }, 500);
  });

  // The answers Hono made, to see which way the bridge wrote them.
  app.use(async (c, next) => {
    await next();
    answers.set(c.req.path, c.res);
  });
  app.post('/echo', async (c) => c.json(await c.req.json()));

  // Hono copies the Response when a header is added after it was made: the body must survive.
  app.use('/late/*', async (c, next) => {
    await next();
    c.header('x-late', 'added after');
    if (c.req.query('fail') === '1') throw new Error('failed after the handler answered');
    if (c.req.query('replace') === '1') c.res = c.text('replaced', 202);
  });
  app.get('/late/json', (c) => {
    c.header('set-cookie', 'early=1; Path=/');
    return c.json({ seq: 7, text: 'naïve ☕' }, 201);
  });

  app.get('/hello', (c) => c.text('hello world', 200, { 'x-hello': 'yes' }));

  app.get('/cookies', (c) => {
    c.header('set-cookie', 'a=1; Path=/', { append: true });
    c.header('set-cookie', 'b=2; Path=/; HttpOnly', { append: true });
    return c.text('cookies');
  });

  app.get('/inspect', (c) =>
    c.json({
      method: c.req.method,
      path: c.req.path,
      url: c.req.url,
      a: c.req.query('a'),
      b: c.req.query('b'),
      sp: c.req.query('sp'),
      list: c.req.queries('list'),
      custom: c.req.header('x-custom'),
      multi: c.req.header('x-multi'),
      remoteAddress: c.env.remoteAddress,
    }),
  );

  app.get('/big', (c) => {
    const id = c.req.query('id') ?? 'anon';
    const state = { pulled: 0, cancelled: deferred<void>() };
    bigStreams.set(id, state);
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (state.pulled >= CHUNKS) {
            controller.close();
            return;
          }
          controller.enqueue(chunkBytes(state.pulled++));
        },
        cancel() {
          state.cancelled.resolve();
        },
      },
      { highWaterMark: 0 },
    );
    return c.body(body, 200, { 'content-type': 'application/octet-stream' });
  });

  app.post('/upload', async (c) => {
    uploadStarted.resolve();
    try {
      const text = await c.req.text();
      uploadOutcome.resolve({ ok: true, length: text.length });
    } catch (error) {
      uploadOutcome.resolve({ ok: false, error, signalAborted: c.req.raw.signal.aborted });
    }
    return c.text('done');
  });

  app.get('/ping', (c) => c.text('pong'));

  // Static files declare their length.
  app.get('/sized', () => new Response('sized body', { headers: { 'content-length': '10' } }));

  return app;
}

beforeAll(async () => {
  ({ uws } = loadUws());
  const uwsApp = uws.App();

  // serveFetch only calls app.any; this shim lets the test see onWritable traffic.
  const tapped = {
    any(pattern: string, handler: (res: HttpResponse, req: HttpRequest) => void) {
      uwsApp.any(pattern, (res, req) => {
        const original = res.onWritable;
        res.onWritable = (cb: (offset: number) => boolean) => {
          writable.registered++;
          return original.call(res, (offset: number) => {
            writable.fired++;
            return cb(offset);
          });
        };
        handler(res, req);
      });
      return tapped;
    },
  } as unknown as TemplatedApp;

  // The bridge's own refusals in an app's error shape, as Parley gives them.
  const errorBody: ErrorBody = (code, message) => ({ contentType: 'application/json', text: JSON.stringify({ error: { code, message } }) });
  const opts = { maxBodyBytes: MAX_BODY, onError: (err: unknown) => bridgeErrors.push(err), errorBody };
  // Without an errorBody: the message as plain text.
  serveFetch(tapped, '/plain/*', () => new Response('unreachable'), { maxBodyBytes: MAX_BODY });

  // Raw handlers (not Hono): exercise the bridge's own catch path.
  serveFetch(tapped, '/raw/throw', () => {
    throw new Error('sync boom');
  }, opts);
  serveFetch(tapped, '/raw/reject', async () => {
    await sleep(1);
    throw new Error('async boom');
  }, opts);
  serveFetch(tapped, '/raw/broken-stream', () => {
    let n = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (n++ < 2) controller.enqueue(new Uint8Array(1000).fill(120));
        else controller.error(new Error('stream broke'));
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/plain' } });
  }, opts);
  serveFetch(tapped, '/raw/read-and-rethrow', async (req) => {
    try {
      await req.text();
    } catch (err) {
      rethrowSeen.resolve(err);
      throw err;
    }
    return new Response('read it all');
  }, opts);

  // The rest of the Request API on a buffered body: answered by the stand-in or the real Request it builds.
  serveFetch(tapped, '/raw/request-api', async (req) => {
    const copy = await req.clone().text();
    const signalIsAbortSignal = req.signal instanceof AbortSignal;
    const bytes = new Uint8Array(await req.arrayBuffer());
    let secondRead = 'allowed';
    try {
      await req.text();
    } catch (err) {
      secondRead = (err as Error).name;
    }
    return Response.json({
      copy,
      bytes: [...bytes],
      bodyUsed: req.bodyUsed,
      signalIsAbortSignal,
      repeated: req.headers.get('X-Repeated'),
      names: [...req.headers.keys()].filter((k) => k.startsWith('x-')),
      secondRead,
    });
  }, opts);

  const app = buildApp();
  serveFetch(tapped, '/*', (req, env) => app.fetch(req, env), opts);

  const ls = await new Promise<us_listen_socket | false>((resolve) => uwsApp.listen('127.0.0.1', 0, resolve));
  if (!ls) throw new Error('uWS failed to listen');
  listenSocket = ls;
  port = uws.us_socket_local_port(listenSocket);
  base = `http://127.0.0.1:${port}`;
});

afterAll(() => {
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
});

describe('Fetch-on-uWS bridge', () => {
  it('echoes a small JSON body with status and content-type', async () => {
    const payload = { hello: 'wörld', n: 42, list: [1, 2, 3] };
    const res = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(payload);
  });

  it("writes Hono's answers from the light Response, without building undici's", async () => {
    for (const path of ['/echo', '/hello', '/cookies']) {
      const res = await fetch(`${base}${path}`, path === '/echo' ? { method: 'POST', body: '{"a":1}' } : {});
      expect(res.status, path).toBe(200);
      await res.arrayBuffer();
      const answer = answers.get(path)!;
      expect(answer, path).toBeInstanceOf(Response);
      expect(LightResponse.holds(answer), path).toBe(true);
      // Taken by the bridge: its body is used, and it cannot be written twice.
      expect(answer.bodyUsed, path).toBe(true);
      expect(LightResponse.take(answer), path).toBeUndefined();
    }
  });

  it('refuses in plain text when the app gave no error body', async () => {
    const res = await fetch(`${base}/plain/x`, { method: 'POST', body: 'x'.repeat(MAX_BODY + 1) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('request body too large');
  });

  it('accepts a body of exactly maxBodyBytes', async () => {
    const prefix = '{"s":"';
    const body = prefix + 'x'.repeat(MAX_BODY - prefix.length - 2) + '"}';
    expect(Buffer.byteLength(body)).toBe(MAX_BODY);
    const res = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { s: string }).s.length).toBe(MAX_BODY - prefix.length - 2);
  });

  it('answers 413 too_large when Content-Length exceeds the limit', async () => {
    const res = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ s: 'x'.repeat(MAX_BODY + 10) }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const json = (await res.json()) as { error: { code: string } };
    expect(json.error.code).toBe('too_large');

    // Decided from the header alone: the 413 comes before a single body byte is sent.
    const { received } = await rawExchange(
      port,
      [`POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n`],
      (b) => parseResponse(b) !== null,
    );
    const r = parseResponse(received);
    expect(r?.status).toBe(413);
    expect(JSON.parse(r!.body.toString()).error.code).toBe('too_large');
  });

  it('accepts a chunked body under the limit (control for the next test)', async () => {
    const head = `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const { received } = await rawExchange(
      port,
      [head, chunk('{"part":'), chunk('"one-two"}'), '0\r\n\r\n'],
      (b) => parseResponse(b) !== null,
      20,
    );
    const r = parseResponse(received)!;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ part: 'one-two' });
  });

  it('answers 413 when a chunked body streams past the limit, before the body ends', async () => {
    const head = `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const piece = chunk('y'.repeat(400));
    const honoErrorsBefore = honoErrors.length;
    // 4 x 400 bytes crosses 1024 on the third chunk; the terminating 0-chunk is never sent.
    const { received } = await rawExchange(port, [head, piece, piece, piece, piece], (b) => parseResponse(b) !== null, 30);
    const r = parseResponse(received);
    expect(r, received.toString('latin1')).not.toBeNull();
    expect(r!.status).toBe(413);
    expect(r!.headers.get('content-type')?.[0]).toMatch(/^application\/json/);
    expect(JSON.parse(r!.body.toString()).error.code).toBe('too_large');
    // the handler's c.req.json() failed on the capped stream (its 500 was dropped: 413 went first)
    await sleep(20);
    expect(honoErrors.slice(honoErrorsBefore).map(String)).toEqual(['Error: body too large']);
    // and the server is fine afterwards
    expect(await (await fetch(`${base}/ping`)).text()).toBe('pong');
  });

  it('keeps the 413 and survives when a raw handler rethrows the too-large body error', async () => {
    rethrowSeen = deferred<unknown>();
    const errorsBefore = bridgeErrors.length;
    const head = `POST /raw/read-and-rethrow HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const piece = chunk('z'.repeat(600));
    const { received } = await rawExchange(port, [head, piece, piece, piece], (b) => parseResponse(b) !== null, 20);
    expect(parseResponse(received)?.status).toBe(413);
    const err = await within(rethrowSeen.promise, 2000, 'handler saw the body error');
    expect(String(err)).toMatch(/too large/);
    await sleep(50); // let the bridge's catch path run (it used to call res.close() on the finished response)
    // The 413 already answered the request: the handler's expected failure is not a bridge error.
    expect(bridgeErrors.length).toBe(errorsBefore);
    expect(await (await fetch(`${base}/ping`)).text()).toBe('pong');
  });

  it('sends several Set-Cookie headers separately', async () => {
    const res = await fetch(`${base}/cookies`);
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    expect(await res.text()).toBe('cookies');
  });

  it('answers HEAD on a GET route with headers and no body', async () => {
    const res = await fetch(`${base}/hello`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hello')).toBe('yes');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('');

    const { headPart, get } = await headThenGet(port, '/hello');
    expect(headPart).toMatch(/^http\/1\.1 200/);
    expect(headPart).toContain('x-hello: yes');
    // HEAD must not claim a length different from GET's (0 would be a lie for an 11-byte body)
    const headLen = /content-length: *(\d+)/i.exec(headPart)?.[1];
    if (headLen !== undefined) expect(Number(headLen)).toBe('hello world'.length);
    expect(get?.status).toBe(200);
    expect(get?.body.toString()).toBe('hello world');
  });

  it('answers HEAD with a declared length and keeps the connection for the next request', async () => {
    const { headPart, get } = await headThenGet(port, '/sized');
    expect(headPart).toMatch(/^http\/1\.1 200/);
    expect(headPart).toMatch(/content-length: *10\r\n/);
    expect(get?.status).toBe(200);
    expect(get?.body.toString()).toBe('sized body');
  });

  it("passes Hono's default 404 through for an unknown route", async () => {
    const res = await fetch(`${base}/no/such/route`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('404 Not Found');
  });

  it('delivers an 8 MiB streamed response byte-exact to a slow reader (backpressure)', async () => {
    const writableBefore = { ...writable };
    const result = await new Promise<{ status: number; length: number; sha: string }>((resolve, reject) => {
      const req = http.get(`${base}/big?id=slow`, { agent: false }, (res) => {
        const hash = createHash('sha256');
        let length = 0;
        let nextPause = 512 * 1024;
        res.on('data', (d: Buffer) => {
          hash.update(d);
          length += d.length;
          if (length >= nextPause) {
            nextPause += 512 * 1024;
            res.pause();
            setTimeout(() => res.resume(), 15);
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, length, sha: hash.digest('hex') }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    expect(result.status).toBe(200);
    expect(result.length).toBe(BIG_TOTAL);
    expect(result.sha).toBe(BIG_SHA256);
    expect(bigStreams.get('slow')?.pulled).toBe(CHUNKS);
    // The point of the test: the bridge had to wait for uWS to drain, and uWS told it when.
    expect(writable.registered).toBeGreaterThan(writableBefore.registered);
    expect(writable.fired).toBeGreaterThan(writableBefore.fired);
  });

  it('never runs the handler for a sized body the client abandons, and stays up', async () => {
    uploadStarted = deferred<void>();
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise<void>((r) => sock.once('connect', () => r()));
    // A Content-Length body is read whole before the handler runs.
    sock.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 800\r\n\r\n`);
    sock.write('q'.repeat(100));
    await sleep(100);
    sock.destroy();
    const started = await Promise.race([uploadStarted.promise.then(() => true), sleep(300).then(() => false)]);
    expect(started).toBe(false);
    const res = await fetch(`${base}/ping`);
    expect(await res.text()).toBe('pong');
  });

  it('rejects the handler body read of a chunked upload the client aborts mid-body, and stays up', async () => {
    uploadStarted = deferred<void>();
    uploadOutcome = deferred();
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise<void>((r) => sock.once('connect', () => r()));
    // Without a length the body streams, so the handler starts before it is complete.
    sock.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n${'q'.repeat(100)}\r\n`);
    await within(uploadStarted.promise, 2000, 'upload handler started');
    await sleep(30);
    sock.destroy();

    const outcome = await within(uploadOutcome.promise, 2000, 'upload handler body read settled');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(String((outcome.error as Error)?.message ?? outcome.error)).toMatch(/client aborted/);
    const res = await fetch(`${base}/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('pong');
  });

  it('cancels the response stream and keeps serving when the client aborts mid-response', async () => {
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    const firstBytes = await new Promise<Buffer>((resolve, reject) => {
      sock.once('data', resolve);
      sock.once('error', reject);
      sock.on('connect', () => sock.write(`GET /big?id=abort HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    });
    sock.destroy();
    expect(firstBytes.toString('latin1')).toMatch(/^HTTP\/1\.1 200/);

    const state = bigStreams.get('abort');
    expect(state).toBeDefined();
    await within(state!.cancelled.promise, 3000, 'bridge cancelled the response body stream');
    expect(state!.pulled).toBeLessThan(CHUNKS);

    const res = await fetch(`${base}/ping`);
    expect(await res.text()).toBe('pong');
    // and a full large response still works after the abort
    const big = Buffer.from(await (await fetch(`${base}/big?id=after`)).arrayBuffer());
    expect(big.length).toBe(BIG_TOTAL);
    expect(createHash('sha256').update(big).digest('hex')).toBe(BIG_SHA256);
  });

  it('answers 500 internal JSON when a raw handler throws synchronously', async () => {
    const before = bridgeErrors.length;
    const res = await fetch(`${base}/raw/throw`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('internal');
    expect(bridgeErrors.length).toBe(before + 1);
    expect((bridgeErrors.at(-1) as Error).message).toBe('sync boom');
  });

  it('answers 500 internal JSON when a raw handler rejects', async () => {
    const before = bridgeErrors.length;
    const res = await fetch(`${base}/raw/reject`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('internal');
    expect((bridgeErrors.at(-1) as Error).message).toBe('async boom');
    expect(bridgeErrors.length).toBe(before + 1);
  });

  it('cuts the connection when the response stream fails after the head was sent', async () => {
    const before = bridgeErrors.length;
    // The close may overtake the head (a reset drops unread bytes), so the client may fail
    // at fetch() or while reading the body; what it must never see is a complete response.
    const outcome = await fetch(`${base}/raw/broken-stream`)
      .then((res) => res.arrayBuffer())
      .then(
        (buf) => `complete (${buf.byteLength} bytes)`,
        () => 'cut',
      );
    expect(outcome).toBe('cut');
    expect((bridgeErrors.at(-1) as Error).message).toBe('stream broke');
    expect(bridgeErrors.length).toBe(before + 1);
    expect(await (await fetch(`${base}/ping`)).text()).toBe('pong');
  });

  it('copies query strings and header values exactly', async () => {
    const res = await fetch(`${base}/inspect?a=1&b=two&sp=x%20y%26z&list=p&list=q`, {
      headers: { 'x-custom': 'Hello, World; v=1 "quoted" /path?x=1', 'x-multi': 'first' },
    });
    expect(res.status).toBe(200);
    const j = (await res.json()) as Record<string, unknown>;
    expect(j.method).toBe('GET');
    expect(j.path).toBe('/inspect');
    expect(j.url).toBe(`${base}/inspect?a=1&b=two&sp=x%20y%26z&list=p&list=q`);
    expect(j.a).toBe('1');
    expect(j.b).toBe('two');
    expect(j.sp).toBe('x y&z');
    expect(j.list).toEqual(['p', 'q']);
    expect(j.custom).toBe('Hello, World; v=1 "quoted" /path?x=1');
    expect(j.multi).toBe('first');
    expect(String(j.remoteAddress)).toMatch(/127\.0\.0\.1|7f00:1/);
  });

  it('serves the whole Request API for a buffered body: clone, signal, bytes, one read only, joined repeated headers', async () => {
    const body = 'héllo, body';
    const head =
      `POST /raw/request-api HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      'X-Repeated: one\r\nX-Zeta: z\r\nX-Repeated: two\r\nX-Alpha: a\r\n\r\n';
    const { received } = await rawExchange(port, [head + body], (b) => parseResponse(b) !== null);
    const r = parseResponse(received)!;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({
      copy: body,
      bytes: [...Buffer.from(body)],
      bodyUsed: true,
      signalIsAbortSignal: true,
      repeated: 'one, two',
      names: ['x-alpha', 'x-repeated', 'x-zeta'],
      secondRead: 'TypeError',
    });
  });

  it('answers 400 to a Host header that cannot be a URL authority, and keeps serving', async () => {
    for (const host of ['a b', 'evil/path', 'x?y', '']) {
      const { received } = await rawExchange(port, [`GET /ping HTTP/1.1\r\nHost: ${host}\r\n\r\n`], (b) => parseResponse(b) !== null);
      expect(parseResponse(received)!.status, `Host: ${JSON.stringify(host)}`).toBe(400);
    }
    const { received } = await rawExchange(port, ['GET /ping HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n'], (b) => parseResponse(b) !== null);
    expect(parseResponse(received)!.status).toBe(200);
    expect((await fetch(`${base}/ping`)).status).toBe(200);
  });

  it('answers c.json() with its body, status, earlier cookies and late headers', async () => {
    const res = await fetch(`${base}/late/json`);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-late')).toBe('added after');
    expect(res.headers.getSetCookie()).toEqual(['early=1; Path=/']);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ seq: 7, text: 'naïve ☕' });
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  });

  it("answers with the error handler's body when a middleware fails after the handler answered", async () => {
    const before = honoErrors.length;
    const res = await fetch(`${base}/late/json?fail=1`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'handler_failed' } });
    expect(honoErrors.length).toBe(before + 1);
  });

  it('answers with a body a middleware put in place of a JSON answer', async () => {
    const res = await fetch(`${base}/late/json?replace=1`);
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('replaced');
  });

  it('answers HEAD on a JSON route with the length of the GET body and no body, then the pipelined GET', async () => {
    const { headPart, get } = await headThenGet(port, '/late/json');
    expect(headPart).toMatch(/^http\/1\.1 201/);
    expect(get?.status).toBe(201);
    expect(Number(/content-length: *(\d+)/.exec(headPart)?.[1])).toBe(get?.body.byteLength);
    expect(JSON.parse(get!.body.toString())).toEqual({ seq: 7, text: 'naïve ☕' });
  });

  it('reported no unexpected bridge errors and the server still answers', async () => {
    // Every error pushed so far was asserted by the tests that caused it: the 3 failing raw handlers.
    expect(bridgeErrors.length).toBe(3);
    expect((await fetch(`${base}/ping`)).status).toBe(200);
  });
});
