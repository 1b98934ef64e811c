/**
 * GET /metrics on the real server: only with METRICS_TOKEN, only for its bearer, in
 * Prometheus text format, and the figures move with what happened: connections, rooms,
 * online users, commits and their batch and latency histograms, acks, deliveries, error
 * frames and rate-limited frames by code, HTTP requests by route and status, the database
 * up, and the event-loop delay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, newUser, startTestServer, type TestServer } from './harness.js';
import { compareScrapes, histogramQuantile, scrapeMetrics } from '../bench/server-metrics.js';

const TOKEN = 'metrics-token-for-the-test-0001';

let server: TestServer;
let plain: TestServer;

beforeAll(async () => {
  [server, plain] = await Promise.all([startTestServer({ METRICS_TOKEN: TOKEN, SEND_RATE: '2', SEND_BURST: '3' }), startTestServer()]);
});

afterAll(async () => {
  await Promise.all([server?.cleanup(), plain?.cleanup()]);
});

/** One sample's value: `name{labels} value`, labels given in any order; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

const scrape = async () => {
  const r = await new Client(server.url).request('GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toContain('text/plain');
  return r.body as string;
};

describe('GET /metrics', () => {
  it('does not exist without METRICS_TOKEN, and refuses anyone without the token', async () => {
    // Without it there is no such route: the path is the web app's, like any unknown page.
    const none = await new Client(plain.url).get('/metrics');
    expect(none.headers.get('content-type')).toContain('text/html');
    expect(String(none.body)).not.toContain('parley_');
    expect((await new Client(server.url).get('/metrics')).status).toBe(401);
    expect((await new Client(server.url).request('GET', '/metrics', undefined, { authorization: 'Bearer wrong-token-of-some-length' })).status).toBe(401);
  });

  it('counts what happened', async () => {
    const before = await scrape();
    const ann = await newUser(server, 'm_ann');
    const ben = await newUser(server, 'm_ben');
    const a = await ann.connect();
    const b = await ben.connect();
    await a.join('m-room');
    await b.join('m-room');
    await a.join('m-other');
    for (let i = 0; i < 3; i++) expect((await a.request({ t: 'send', room: 'm-room', body: `hi ${i}`, cid: `c${i}` })).t).toBe('ack');
    // The burst of 3 is spent: the next send is rate limited, and a bad frame is an error.
    expect(await a.request({ t: 'send', room: 'm-room', body: 'one too many', cid: 'c9' })).toMatchObject({ code: 'rate_limited' });
    expect(await a.request({ t: 'leave' })).toMatchObject({ code: 'bad_frame' });
    await ann.http.get('/api/rooms/m-room/messages');

    const text = await scrape();
    expect(sample(text, 'parley_connections_open')).toBe(2);
    expect(sample(text, 'parley_rooms_joined')).toBe(3);
    expect(sample(text, 'parley_users_online')).toBe(2);
    expect(sample(text, 'parley_messages_committed_total') - sample(before, 'parley_messages_committed_total')).toBe(3);
    expect(sample(text, 'parley_commit_batch_size_count')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'parley_commit_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'parley_ack_seconds_count')).toBe(3);
    // Each message reached both sockets in the room.
    expect(sample(text, 'parley_deliveries_total') - sample(before, 'parley_deliveries_total')).toBeGreaterThanOrEqual(6);
    expect(sample(text, 'parley_errors_total', { code: 'rate_limited' })).toBe(1);
    expect(sample(text, 'parley_errors_total', { code: 'bad_frame' })).toBe(1);
    expect(sample(text, 'parley_rate_limited_total', { via: 'ws' })).toBe(1);
    expect(sample(text, 'parley_http_requests_total', { method: 'GET', route: '/api/rooms/:name/messages', status: '200' })).toBe(1);
    expect(sample(text, 'parley_http_requests_total', { method: 'POST', route: '/api/auth/signup', status: '201' })).toBe(2);
    expect(sample(text, 'parley_database_up')).toBe(1);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \S+$/m);

    b.close();
    await b.whenClosed();
    expect(sample(await scrape(), 'parley_connections_open')).toBe(1);
  });
});

describe("the bench's reading of /metrics (bench/server-metrics.ts)", () => {
  it('counts a pass as Parley did: posts committed, statements, deliveries, answers and CPU', async () => {
    const poster = await newUser(server, 'bench_poster');
    const watcher = await newUser(server, 'bench_watcher');
    expect((await poster.http.post('/api/rooms', { name: 'bench-room' })).status).toBe(201);
    const ws = await watcher.connect();
    expect((await ws.join('bench-room')).t).toBe('joined');

    const before = await scrapeMetrics(server.url, TOKEN);
    expect(before).toBeDefined();
    for (let i = 0; i < 3; i++) {
      expect((await poster.http.post('/api/rooms/bench-room/messages', { body: `post ${i}`, cid: `bench-${i}` })).status).toBe(201);
    }
    await ws.until((f) => f.filter((x) => x.t === 'msg' && x.room === 'bench-room').length === 3);
    const after = await scrapeMetrics(server.url, TOKEN);
    const view = compareScrapes(before!, after!);
    expect(view.committed).toBe(3);
    expect(view.commitStatements).toBeGreaterThanOrEqual(1);
    expect(view.commitStatements).toBeLessThanOrEqual(3);
    expect(view.meanBatch! * view.commitStatements).toBeCloseTo(3);
    expect(view.commitP99Ms).toBeGreaterThan(0);
    expect(view.deliveries).toBeGreaterThanOrEqual(3);
    expect(view.http2xx).toBeGreaterThanOrEqual(3);
    expect(view.processCpuUs).toBeGreaterThan(0);
    expect(histogramQuantile(after!, after!, 'parley_commit_seconds', 0.99)).toBeUndefined();
    ws.close();
  });

  it('reads nothing from a Parley without METRICS_TOKEN, or with the wrong token', async () => {
    expect(await scrapeMetrics(plain.url, TOKEN)).toBeUndefined();
    expect(await scrapeMetrics(server.url, 'not-the-token-at-all-0000')).toBeUndefined();
  });
});
