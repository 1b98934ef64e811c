/**
 * 8. Slowloris: 500 connections each sending a request's headers one byte a second, never
 * finishing them, for 30 s (each one the server closes is replaced at once, so 500 stay open), while a normal user keeps chatting over a WebSocket and posting
 * over HTTP. Does the normal user keep working, and what does uWS do with the slow ones?
 */
import net from 'node:net';
import { Client } from '../../test/harness.js';
import { WsClient, type Frame } from '../../test/ws-client.js';
import { withParley } from './parley-process.js';
import { Report, Tally, answerKey, jsonPost, mb, ms, quantile, spread, timedFetch, type Scenario } from './scenario.js';
import { sleep } from './storm.js';

const SLOW = 500;
const ATTACK_MS = 30_000;
const BASELINE_MS = 3000;
/** Headers longer than the attack lasts in bytes, so they are never complete. */
const SLOW_REQUEST = `GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Padding: ${'a'.repeat(200)}\r\n\r\n`;

interface SlowConnection {
  socket: net.Socket;
  openedAt: number;
  closedAt?: number;
  sent: number;
  /** The first line of anything the server sent back. */
  answer?: string;
}

function openSlow(port: number): SlowConnection {
  const c: SlowConnection = { socket: net.connect(port, '127.0.0.1'), openedAt: performance.now(), sent: 0 };
  c.socket.on('data', (d: Buffer) => (c.answer ??= d.toString('latin1').split('\r\n')[0]));
  c.socket.on('error', () => {});
  c.socket.on('close', () => (c.closedAt ??= performance.now()));
  return c;
}

/** A normal user: one WS send and one HTTP post every 200 ms, each timed, until stopped. */
function normalTraffic(url: string, ws: WsClient, cookie: string) {
  const samples: { at: number; kind: 'ws' | 'http'; ms: number; ok: boolean; answer: string }[] = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      const t0 = performance.now();
      const [w, h] = await Promise.all([
        ws.request({ t: 'send', room: 'calm', body: `ws ${i}`, cid: `ws-${i}` }, 15_000).catch((): Frame => ({ t: 'no answer' })),
        jsonPost(`${url}/api/rooms/calm/messages`, { body: `http ${i}`, cid: `http-${i}` }, { cookie }),
      ]);
      samples.push({ at: t0, kind: 'ws', ms: performance.now() - t0, ok: w.t === 'ack', answer: String(w.t === 'error' ? w.code : w.t) });
      samples.push({ at: t0, kind: 'http', ms: h.ms, ok: h.status === 201, answer: answerKey(h) });
      await sleep(200);
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

export const slowloris: Scenario = {
  id: 8,
  title: 'slowloris: 500 connections sending headers at 1 byte/s for 30 s',
  async run(ctx) {
    const report = new Report();
    await withParley(report, 'slowloris', {}, ctx, async (parley) => {
      const slow: SlowConnection[] = [];
      let drip: NodeJS.Timeout | undefined;
      try {
        const port = Number(new URL(parley.url).port);
        const user = new Client(parley.url);
        await user.signup('calm_user');
        const ws = await WsClient.connect(parley.url, user.cookie);
        await ws.request({ t: 'join', room: 'calm' });
        const traffic = normalTraffic(parley.url, ws, user.cookie!);
        await sleep(BASELINE_MS);

        const rssBefore = parley.rssBytes();
        const attackFrom = performance.now();
        for (let i = 0; i < SLOW; i++) slow.push(openSlow(port));
        drip = setInterval(() => {
          // Replace those the server closed, as a real slowloris does.
          const open = slow.filter((c) => c.closedAt === undefined).length;
          for (let i = open; i < SLOW; i++) slow.push(openSlow(port));
          for (const c of slow) {
            if (c.closedAt !== undefined || c.socket.destroyed || c.sent >= SLOW_REQUEST.length) continue;
            c.socket.write(SLOW_REQUEST[c.sent++]!);
          }
        }, 1000);
        // Halfway, a newcomer: a fresh connection's answer and a new WebSocket's opening.
        await sleep(ATTACK_MS / 2);
        const [fresh, wsOpen] = await Promise.all([
          timedFetch(`${parley.url}/healthz`, { timeoutMs: 10_000 }),
          (async () => {
            const t0 = performance.now();
            const s = await WsClient.connect(parley.url, user.cookie).catch(() => undefined);
            s?.close();
            return s ? performance.now() - t0 : undefined;
          })(),
        ]);
        await sleep(ATTACK_MS / 2);
        clearInterval(drip);
        const attackTo = performance.now();
        const rssDuring = parley.rssBytes();
        await traffic.stop();
        ws.close();

        const closed = slow.filter((c) => c.closedAt !== undefined && c.closedAt <= attackTo);
        const lifetimes = closed.map((c) => c.closedAt! - c.openedAt);
        const answers = new Tally();
        for (const c of slow) answers.add(c.answer ?? (c.closedAt !== undefined ? 'closed without an answer' : 'still open, no answer'));
        report.figure('slow connections opened in all (closed ones replaced each second)', slow.length);
        report.figure(`closed by the server within ${ATTACK_MS / 1000} s`, `${closed.length}; after ${closed.length ? spread(lifetimes) : 'n/a'}`);
        report.figure(`open when the ${ATTACK_MS / 1000} s ended`, slow.filter((c) => c.closedAt === undefined).length);
        report.figure('what they got back', answers.toString());
        report.figure('bytes each had sent when closed', closed.length ? `median ${quantile(closed.map((c) => c.sent), 0.5)}` : 'n/a');
        report.figure('server RSS before / during', `${mb(rssBefore)} / ${mb(rssDuring)}`);

        for (const kind of ['ws', 'http'] as const) {
          const before = traffic.samples.filter((s) => s.kind === kind && s.at < attackFrom);
          const during = traffic.samples.filter((s) => s.kind === kind && s.at >= attackFrom && s.at < attackTo);
          const label = kind === 'ws' ? 'normal user, WS send to ack' : 'normal user, HTTP post to 201';
          report.figure(`${label}, before`, spread(before.map((s) => s.ms)));
          report.figure(`${label}, during`, `${spread(during.map((s) => s.ms))}; failed ${during.filter((s) => !s.ok).length}`);
          report.check(during.length > 0 && during.every((s) => s.ok), `${label} during the attack: ${during.filter((s) => !s.ok).length} of ${during.length} failed`);
        }
        report.figure('a fresh connection mid-attack: GET /healthz', `${answerKey(fresh)} in ${ms(fresh.ms)}`);
        report.figure('a new WebSocket mid-attack: opened in', ms(wsOpen));
        report.check(fresh.status === 200 && wsOpen !== undefined, `a newcomer mid-attack was not served (healthz ${answerKey(fresh)}, WebSocket ${wsOpen === undefined ? 'refused' : 'opened'})`);
      } finally {
        clearInterval(drip);
        for (const c of slow) c.socket.destroy();
      }
    }).catch((err) => report.aborted(err));
    return report.result(
      `${SLOW} TCP connections (each one closed replaced within 1 s) each writing a ${SLOW_REQUEST.length}-byte request head one byte a second for ${ATTACK_MS / 1000} s (never complete), ` +
        `while one user sends a WS message and an HTTP post every 200 ms (from ${BASELINE_MS / 1000} s before); a fresh HTTP request and a new WebSocket halfway`,
    );
  },
};
