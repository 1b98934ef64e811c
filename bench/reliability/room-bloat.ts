/**
 * 6. Room bloat: one user tries to create as many rooms as possible for 30 s, by joining new
 * names over WebSockets (a join of a room that does not exist creates it) and by POST
 * /api/rooms, while another user chats. Then the room list is read 20 at a time. For
 * comparison, a second server with the room limits lifted shows what the same user makes
 * in 10 s and that the list stays one bounded page.
 */
import { forEachConcurrently } from '../concurrency.js';
import { listRooms } from '../room-reads.js';
import { Client } from '../../test/harness.js';
import { WsClient, type Frame } from '../../test/ws-client.js';
import { withParley, type ParleyProcess } from './parley-process.js';
import { Report, Tally, answerKey, jsonPost, mb, ms, spread, timedFetch, type Scenario } from './scenario.js';
import { sleep } from './storm.js';

const ATTACK_MS = 30_000;
const LIFTED_ATTACK_MS = 10_000;
/** Sockets joining new names one after another (CONNECTIONS_PER_USER is 20). */
const WS_LOOPS = 10;
const HTTP_LOOPS = 8;
const LIST_REQUESTS = 200;
const LIST_CONCURRENCY = 20;

interface Bloat {
  ws: Tally;
  http: Tally;
  created: number;
  rssBefore?: number;
  rssAfter?: number;
}

/** One user making rooms as fast as the server answers, for `durationMs`. */
async function bloat(parley: ParleyProcess, attacker: Client, durationMs: number, useWs: boolean): Promise<Bloat> {
  const ws = new Tally();
  const http = new Tally();
  const rssBefore = parley.rssBytes();
  const sockets = useWs ? await Promise.all(Array.from({ length: WS_LOOPS }, () => WsClient.connect(parley.url, attacker.cookie))) : [];
  const until = performance.now() + durationMs;
  let n = 0;
  await Promise.all([
    ...sockets.map(async (s, i) => {
      while (performance.now() < until) {
        const f = await s.request({ t: 'join', room: `bloat-w${i}-${n++}` }, 15_000).catch((e: Error): Frame => ({ t: `no answer (${e.message.slice(0, 40)})` }));
        ws.add(f.t === 'error' ? String(f.code) : String(f.t));
        // Leave at once, so that ROOMS_PER_CONNECTION does not stop the joins: the limits under test are per user.
        if (f.t === 'joined') s.send({ t: 'leave', room: f.room });
      }
    }),
    ...Array.from({ length: HTTP_LOOPS }, async () => {
      while (performance.now() < until) {
        const r = await jsonPost(`${parley.url}/api/rooms`, { name: `bloat-h${n++}` }, { cookie: attacker.cookie! });
        http.add(answerKey(r));
      }
    }),
  ]);
  for (const s of sockets) s.close();
  const created = (await listRooms(parley.url, attacker.cookie!)).filter((r) => r.name.startsWith('bloat-')).length;
  return { ws, http, created, rssBefore, rssAfter: parley.rssBytes() };
}

/** GET /api/rooms (first page), `LIST_REQUESTS` times, `LIST_CONCURRENCY` at once. */
async function listLoad(url: string, cookie: string): Promise<{ latencies: number[]; answers: Tally; rooms: number; bytes: number }> {
  const latencies: number[] = [];
  const answers = new Tally();
  let rooms = 0;
  let bytes = 0;
  await forEachConcurrently(LIST_REQUESTS, LIST_CONCURRENCY, async () => {
    const r = await timedFetch(`${url}/api/rooms`, { headers: { cookie } });
    latencies.push(r.ms);
    answers.add(answerKey(r));
    rooms = r.body?.rooms?.length ?? 0;
    bytes = JSON.stringify(r.body).length;
  });
  return { latencies, answers, rooms, bytes };
}

export const roomBloat: Scenario = {
  id: 6,
  title: 'room bloat: one user creating rooms for 30 s',
  async run(ctx) {
    const report = new Report();
    try {
      await withParley(report, 'room-bloat', {}, ctx, async (parley) => {
        const attacker = new Client(parley.url);
        await attacker.signup('bloater');
        const bystander = new Client(parley.url);
        await bystander.signup('bystander');
        const chat = await WsClient.connect(parley.url, bystander.cookie);
        await chat.request({ t: 'join', room: 'lobby' });
        let stopChat = false;
        const acks: { at: number; ms: number }[] = [];
        const chatting = (async () => {
          for (let i = 0; !stopChat; i++) {
            const t0 = performance.now();
            const f = await chat.request({ t: 'send', room: 'lobby', body: `still here ${i}`, cid: `calm-${i}` }, 15_000).catch(() => ({ t: 'none' }));
            if (f.t === 'ack') acks.push({ at: t0, ms: performance.now() - t0 });
            await sleep(200);
          }
        })();
        let b: Bloat;
        let attackFrom: number;
        let attackTo: number;
        try {
          await sleep(2000);
          attackFrom = performance.now();
          ctx.progress(`room-bloat: ${ATTACK_MS / 1000} s of room creation`);
          b = await bloat(parley, attacker, ATTACK_MS, true);
          attackTo = performance.now();
        } finally {
          stopChat = true;
          await chatting;
          chat.close();
        }
        report.figure('WS joins of new names, answers', b.ws.toString());
        report.figure('POST /api/rooms, answers', b.http.toString());
        report.figure('rooms actually created', b.created);
        report.check(b.created <= 21, `one user created ${b.created} rooms in ${ATTACK_MS / 1000} s (LIMIT_ROOM_CREATE allows 20 an hour)`);
        report.figure('server RSS before / after', `${mb(b.rssBefore)} / ${mb(b.rssAfter)}`);
        const before = acks.filter((a) => a.at < attackFrom).map((a) => a.ms);
        const during = acks.filter((a) => a.at >= attackFrom && a.at < attackTo).map((a) => a.ms);
        report.figure("another user's ack latency before", spread(before));
        report.figure("another user's ack latency during", spread(during));
        const list = await listLoad(parley.url, attacker.cookie!);
        report.figure(`GET /api/rooms ×${LIST_REQUESTS}, ${LIST_CONCURRENCY} at once`, `${list.answers}; ${spread(list.latencies)}; ${list.rooms} rooms, ${list.bytes} bytes per answer`);
        report.check(!b.http.keys().some((k) => k.startsWith('5')), `room creation answered 5xx: ${b.http}`);
      });

      ctx.progress(`room-bloat: the same with the room limits lifted, ${LIFTED_ATTACK_MS / 1000} s`);
      await withParley(report, 'room-bloat-lifted', { LIMIT_ROOM_CREATE: '1000000/1', LIMIT_JOIN: '1000000/1' }, ctx, async (parley) => {
        const attacker = new Client(parley.url);
        await attacker.signup('bloater');
        const b = await bloat(parley, attacker, LIFTED_ATTACK_MS, false);
        report.figure(`limits lifted: rooms created by POST in ${LIFTED_ATTACK_MS / 1000} s`, `${b.created} (${b.http})`);
        report.figure('limits lifted: server RSS before / after', `${mb(b.rssBefore)} / ${mb(b.rssAfter)}`);
        const list = await listLoad(parley.url, attacker.cookie!);
        report.figure(`limits lifted: GET /api/rooms ×${LIST_REQUESTS}, ${LIST_CONCURRENCY} at once`, `${list.answers}; ${spread(list.latencies)}; ${list.rooms} rooms, ${list.bytes} bytes per answer`);
        report.check(list.rooms <= 100, `with ${b.created} rooms, one page of GET /api/rooms held ${list.rooms} rooms`);
      });
    } catch (err) {
      report.aborted(err);
    }
    return report.result(
      `Defaults: one user joins new room names over ${WS_LOOPS} sockets (one join at a time each, leaving each room as soon as it is joined) and POSTs new rooms ${HTTP_LOOPS} at a time, ` +
        `for ${ATTACK_MS / 1000} s, while another user sends one message every 200 ms; then GET /api/rooms ${LIST_REQUESTS} times, ${LIST_CONCURRENCY} at once. ` +
        `Then, on a server with LIMIT_ROOM_CREATE and LIMIT_JOIN lifted, ${LIFTED_ATTACK_MS / 1000} s of POSTs and the same list load`,
    );
  },
};
