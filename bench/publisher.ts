/**
 * The publisher side of the fan-out benchmark, a child process of run.ts: autocannon POSTing
 * to /api/rooms/:name/messages, rotating rooms (and, for Parley, the publisher users'
 * session cookies), each body stamped `<send time ms>:<sequence>` just before it is written.
 *
 * closed: `connections` closed loops (each sends its next post when the last is answered).
 * rate:   `publishesPerSecond` spread evenly over each second. autocannon's own rate limit
 *         sends a connection's quota for the second back to back when the second starts, so
 *         this runs up to 100 one-connection instances started 1/K s apart, each with a rate
 *         of a few posts per second.
 *
 * Every instance is stopped together after `seconds`; posts not answered by then are
 * "in flight" (sent minus answered), reported per room so that deliveries of posts
 * answered after the stop can be told apart.
 */
import autocannon, { type AutocannonRequest, type Instance } from 'autocannon';
import type { FromPublisher, PublishResult, PublishRun, RoomPublishes, ToPublisher } from './load-messages.js';

const MAX_RATE_INSTANCES = 100;

function reply(m: FromPublisher): void {
  // After the orchestrator has gone, there is no one to tell.
  if (process.connected) process.send!(m);
}

async function publish(run: PublishRun): Promise<PublishResult> {
  const perRoom: Record<string, RoomPublishes> = {};
  for (const room of run.rooms) perRoom[room] = { sent: 0, acked: 0, answered: 0 };
  const non2xx: Record<string, number> = {};
  let sent = 0;
  let acked = 0;
  let errors = 0;
  let timeouts = 0;
  let roomCursor = 0;
  let cookieCursor = 0;
  // Built once: setupRequest runs for every post.
  const paths = run.rooms.map((room) => `/api/rooms/${encodeURIComponent(room)}/messages`);

  const request: AutocannonRequest = {
    method: 'POST',
    setupRequest: (req, context) => {
      const r = roomCursor++ % run.rooms.length;
      const room = run.rooms[r]!;
      context.room = room;
      perRoom[room]!.sent++;
      sent++;
      const headers: Record<string, string> = { ...req.headers, 'content-type': 'application/json' };
      if (run.cookies.length > 0) headers.cookie = run.cookies[cookieCursor++ % run.cookies.length]!;
      const stamp = `${(performance.timeOrigin + performance.now()).toFixed(3)}:${sent}`;
      return { ...req, path: paths[r], headers, body: JSON.stringify({ body: stamp }) };
    },
    onResponse: (status, _body, context) => {
      const r = perRoom[context.room as string]!;
      r.answered++;
      if (status >= 200 && status < 300) {
        r.acked++;
        acked++;
      } else {
        non2xx[status] = (non2xx[status] ?? 0) + 1;
      }
    },
  };

  // Instances: one with N closed loops, or K evenly staggered paced connections.
  const plans: Array<{ delayMs: number; connections: number; rate?: number }> = [];
  if (run.mode === 'closed') {
    plans.push({ delayMs: 0, connections: run.connections });
  } else {
    const pps = Math.max(1, Math.round(run.publishesPerSecond));
    const k = Math.min(pps, MAX_RATE_INSTANCES);
    for (let i = 0; i < k; i++) {
      const rate = Math.floor(pps / k) + (i < pps % k ? 1 : 0);
      plans.push({ delayMs: (i * 1000) / k, connections: 1, rate });
    }
  }

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const instances: Instance[] = [];
  const finished: Array<Promise<void>> = [];
  const timers: NodeJS.Timeout[] = [];
  for (const plan of plans) {
    finished.push(
      new Promise<void>((resolve, reject) => {
        timers.push(
          setTimeout(() => {
            const instance = autocannon(
              {
                url: run.url,
                connections: plan.connections,
                connectionRate: plan.rate,
                // A guard only: every instance is stopped after run.seconds.
                duration: run.seconds + 60,
                sampleInt: 50,
                timeout: 10,
                requests: [request],
              },
              (err, result) => {
                if (err) return reject(err);
                errors += result.errors - result.timeouts;
                timeouts += result.timeouts;
                resolve();
              },
            );
            instances.push(instance);
          }, plan.delayMs),
        );
      }),
    );
  }
  const ticker = setInterval(() => reply({ type: 'tick', acked }), 1000);
  await new Promise((r) => setTimeout(r, run.seconds * 1000));
  for (const t of timers) clearTimeout(t);
  for (const i of instances) i.stop();
  // Instances whose start was still pending when the run ended never ran.
  await Promise.all(finished.slice(0, instances.length));
  clearInterval(ticker);
  const cpu = process.cpuUsage(cpu0);
  return {
    seconds: (performance.now() - t0) / 1000,
    sent,
    acked,
    non2xx,
    errors,
    timeouts,
    perRoom,
    cpuUs: cpu.user + cpu.system,
  };
}

process.on('message', (m: ToPublisher) => {
  if (m.type === 'exit') process.exit(0);
  // Its connections live only as long as a run: nothing to close, no copies received.
  if (m.type === 'close') return reply({ type: 'closed' });
  if (m.type === 'copies') return reply({ type: 'copies', received: 0 });
  publish(m.run).then(
    (result) => reply({ type: 'done', result }),
    (err) => {
      console.error(`publisher: ${(err as Error).message}`);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
