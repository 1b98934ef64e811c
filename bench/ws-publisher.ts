/**
 * The publisher side of the fan-out benchmark over WebSocket, a child process of run.ts that
 * speaks publisher.ts's messages (load-messages.ts: PublishRun in, PublishResult out), so the
 * orchestrator can use either. Publishers send on their own WebSocket connections and wait
 * for the acknowledgement: `ws` speaking Parley's protocol to Parley and the bare uWS server
 * ({t:'send', room, body, cid} -> `ack`, or an `error` frame), socket.io-client to Socket.IO
 * (a `send` event with an ack callback).
 *
 * Sockets: `connections` of them, opened and joined to their rooms when a run begins, before
 * its clock starts, and kept for later runs to the same rooms until `close`. Rooms are
 * partitioned: socket i joins and publishes to rooms i, i+N, i+2N…; with fewer rooms than
 * sockets, socket i takes room i % R, so sockets share rooms. Parley's sockets take the
 * publisher users' cookies in turn.
 *
 * closed: each socket keeps one send in flight and sends its next, to its next room, as soon
 *         as the last is answered.
 * rate:   one scheduler sends post k at t0 + k/pps, to room k % R, on that room's sockets in
 *         turn, without waiting for answers.
 *
 * Each body is stamped `<send time ms>:<sequence>` just before it is sent, as publisher.ts
 * does. After `seconds` nothing more is sent or counted: posts not answered by then are in
 * flight (sent minus answered, per room). `error` frames are counted by code and sockets
 * closed during a run as `closed <code>`, where publisher.ts counts non-2xx statuses. Every
 * server sends a socket the `msg` of each post to a room it joined, its own posts included:
 * those copies are counted apart (`copies`), never as deliveries.
 */
import { forEachConcurrently } from './concurrency.js';
import { openProtocolLink, openSocketIoLink, Refusal, type Link, type LinkEvents } from './publisher-links.js';
import type { FromPublisher, PublishResult, PublishRun, RoomPublishes, ToPublisher } from './load-messages.js';

/** Tries of an opening that failed on the way (not by the server's answer), and the pause between. */
const OPEN_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 150;
/** Sockets being opened at once. */
const OPEN_CONCURRENCY = 8;

/** Epoch milliseconds with sub-millisecond resolution, as publisher.ts and the subscribers read them. */
const nowMs = () => performance.timeOrigin + performance.now();

function reply(m: FromPublisher): void {
  // After the orchestrator has gone, there is no one to tell.
  if (process.connected) process.send!(m);
}

interface PublisherSocket {
  /** The rooms it joined and publishes to. */
  rooms: string[];
  /** Its next room in the closed loop, as an index into `rooms` (modulo). */
  cursor: number;
  /** Posts of the current run not answered yet: cid -> room, oldest first. */
  pending: Map<string, string>;
  open: boolean;
  link?: Link;
}

/** What one run counts; `counting` turns false at the stop, and nothing is counted after. */
interface Tally {
  closedLoop: boolean;
  counting: boolean;
  perRoom: Record<string, RoomPublishes>;
  non2xx: Record<string, number>;
  sent: number;
  acked: number;
  errors: number;
}

let sockets: PublisherSocket[] = [];
/** Sockets of each room, in the order of the run's rooms. */
let socketsOfRoom: PublisherSocket[][] = [];
/** The run the sockets were opened for (kind, url, rooms, cookies, count). */
let openedFor = '';
let tally: Tally | undefined;
/** `msg` frames received by the sockets since the last run began. */
let copies = 0;
/** cids are never reused: Parley answers a repeated cid (same user and room) with the first ack. */
let nextCid = 1;

/** Socket i's rooms of R among N sockets: i, i+N, i+2N…; with fewer rooms than sockets, room i % R. */
function roomsOfSocket(i: number, sockets: number, rooms: string[]): string[] {
  if (rooms.length < sockets) return [rooms[i % rooms.length]!];
  return rooms.filter((_, r) => r % sockets === i);
}

function post(s: PublisherSocket, room: string): void {
  const t = tally!;
  t.sent++;
  t.perRoom[room]!.sent++;
  const cid = `w${nextCid++}`;
  s.pending.set(cid, room);
  s.link!.send(room, `${nowMs().toFixed(3)}:${t.sent}`, cid);
}

function postNext(s: PublisherSocket): void {
  if (s.open) post(s, s.rooms[s.cursor++ % s.rooms.length]!);
}

/** An answer to one of this run's posts on socket s (late answers to an earlier run's are not in `pending`). */
function answered(s: PublisherSocket, cid: string, refusal: string | undefined): void {
  const t = tally;
  const room = s.pending.get(cid);
  if (!t?.counting || room === undefined) return;
  s.pending.delete(cid);
  const r = t.perRoom[room]!;
  r.answered++;
  if (refusal === undefined) {
    r.acked++;
    t.acked++;
  } else {
    t.non2xx[refusal] = (t.non2xx[refusal] ?? 0) + 1;
  }
  if (t.closedLoop) postNext(s);
}

function eventsOf(s: PublisherSocket): LinkEvents {
  return {
    acked: (cid) => answered(s, cid, undefined),
    refused: (code, room) => {
      // Error frames carry no cid: the oldest post still waiting to that room (or any) gets it.
      for (const [cid, r] of s.pending) if (room === undefined || r === room) return answered(s, cid, code);
    },
    copy: () => copies++,
    closed: (why) => {
      s.open = false;
      if (tally?.counting) tally.non2xx[`closed ${why}`] = (tally.non2xx[`closed ${why}`] ?? 0) + 1;
    },
  };
}

async function openLink(run: PublishRun, i: number, s: PublisherSocket): Promise<Link> {
  const cookie = run.cookies.length ? run.cookies[i % run.cookies.length] : undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await (run.kind === 'socketio' ? openSocketIoLink(run.url, s.rooms, eventsOf(s)) : openProtocolLink(run.url, cookie, s.rooms, eventsOf(s)));
    } catch (err) {
      if (err instanceof Refusal || attempt === OPEN_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
    }
  }
}

async function closeSockets(): Promise<void> {
  const closing = sockets.map((s) => s.link?.close());
  sockets = [];
  socketsOfRoom = [];
  openedFor = '';
  await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 5000))]);
}

/** Opens and joins the run's sockets, unless those of the last run fit it and are all open. */
async function ensureSockets(run: PublishRun): Promise<void> {
  const key = JSON.stringify([run.kind, run.url, run.rooms, run.cookies, run.connections]);
  if (key === openedFor && sockets.every((s) => s.open)) return;
  await closeSockets();
  const n = Math.max(1, run.connections);
  const opened: PublisherSocket[] = Array.from({ length: n }, (_, i) => ({ rooms: roomsOfSocket(i, n, run.rooms), cursor: 0, pending: new Map(), open: false }));
  const failures: string[] = [];
  await forEachConcurrently(n, OPEN_CONCURRENCY, async (i) => {
    const s = opened[i]!;
    try {
      s.link = await openLink(run, i, s);
      s.open = true;
    } catch (err) {
      failures.push((err as Error).message);
    }
  });
  sockets = opened;
  if (failures.length) {
    await closeSockets();
    const distinct = [...new Set(failures)].slice(0, 3).join('; ');
    throw new Error(`${failures.length} of ${n} publisher sockets did not open and join: ${distinct}`);
  }
  const index = new Map(run.rooms.map((room, r) => [room, r]));
  socketsOfRoom = run.rooms.map(() => []);
  for (const s of sockets) for (const room of s.rooms) socketsOfRoom[index.get(room)!]!.push(s);
  openedFor = key;
}

function emptyPerRoom(rooms: string[]): Record<string, RoomPublishes> {
  return Object.fromEntries(rooms.map((room) => [room, { sent: 0, acked: 0, answered: 0 }]));
}

async function publish(run: PublishRun): Promise<PublishResult> {
  await ensureSockets(run);
  const t: Tally = { closedLoop: run.mode === 'closed', counting: true, perRoom: emptyPerRoom(run.rooms), non2xx: {}, sent: 0, acked: 0, errors: 0 };
  for (const s of sockets) s.pending.clear();
  tally = t;
  copies = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ticker = setInterval(() => reply({ type: 'tick', acked: t.acked }), 1000);
  let schedule: NodeJS.Timeout | undefined;
  if (run.seconds > 0 && run.mode === 'closed') {
    for (const s of sockets) postNext(s);
  } else if (run.seconds > 0) {
    const intervalMs = 1000 / Math.max(1, Math.round(run.publishesPerSecond));
    const rooms = run.rooms.length;
    let k = 0;
    // Timers fire late by a millisecond or more: every post already due goes out at each wake-up.
    const sendDue = () => {
      for (const now = performance.now(); t.counting && t0 + k * intervalMs <= now; k++) {
        const onRoom = socketsOfRoom[k % rooms]!;
        const s = onRoom[Math.floor(k / rooms) % onRoom.length]!;
        if (s.open) post(s, run.rooms[k % rooms]!);
        else t.errors++;
      }
      if (t.counting) schedule = setTimeout(sendDue, Math.max(0, t0 + k * intervalMs - performance.now()));
    };
    sendDue();
  }
  await new Promise((r) => setTimeout(r, run.seconds * 1000));
  t.counting = false;
  clearTimeout(schedule);
  clearInterval(ticker);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, sent: t.sent, acked: t.acked, non2xx: t.non2xx, errors: t.errors, timeouts: 0, perRoom: t.perRoom, cpuUs: cpu.user + cpu.system };
}

process.on('message', (m: ToPublisher) => {
  switch (m.type) {
    case 'exit':
      return process.exit(0);
    case 'run':
      publish(m.run).then(
        (result) => reply({ type: 'done', result }),
        (err) => {
          const run = m.run;
          const result = { seconds: 0, sent: 0, acked: 0, non2xx: {}, errors: 0, timeouts: 0, perRoom: emptyPerRoom(run.rooms), cpuUs: 0 };
          reply({ type: 'done', result, error: (err as Error).message });
        },
      );
      break;
    case 'copies':
      reply({ type: 'copies', received: copies });
      break;
    case 'close':
      void closeSockets().then(() => reply({ type: 'closed' }));
      break;
  }
});
// The orchestrator is gone (or done with us): leave.
process.on('disconnect', () => process.exit(0));
