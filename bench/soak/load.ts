/**
 * The soak's load, a child process of run-soak.ts (see messages.ts for what it is told and
 * answers), so that the server's process holds nothing but the server. It opens every
 * connection (SoakConnection), runs the workload until told to stop, reports each sampling
 * window, lets everything in flight settle at the end and checks the rooms' history.
 */
import { seededRandom } from '../../test/seeded-random.js';
import { forEachConcurrently } from '../concurrency.js';
import { runQueueWaitUs } from './machine.js';
import { latencyFigures } from './stats.js';
import { checkHistory } from './history-check.js';
import type { FromLoad, LoadFinal, LoadWindow, ToLoad, Workload } from './messages.js';
import { SoakConnection } from './soak-connection.js';
import { newTally, type Tally } from './tally.js';

/** How long the start may take to open and join everything, and the end to settle. */
const OPEN_TIMEOUT_MS = 120_000;
const SETTLE_TIMEOUT_MS = 60_000;
const POLL_MS = 50;

function reply(m: FromLoad): void {
  if (process.connected) process.send!(m);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countsSince(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

class LoadRun {
  private readonly tally: Tally = newTally();
  private connections: SoakConnection[] = [];
  /** Totals at the last sample, for the window's differences. */
  private last = { sends: 0, acks: 0, reconnects: 0, retries: 0, joins: 0, leaves: 0, delivered: 0, backlog: 0, errors: {} as Record<string, number>, closed: {} as Record<string, number> };
  private cpuAtLast = process.cpuUsage();
  private runQueueAtLast = runQueueWaitUs('self');

  constructor(private readonly workload: Workload) {}

  async start(): Promise<FromLoad> {
    const w = this.workload;
    const started = Date.now();
    const cidPrefix = `s${w.seed.toString(36)}`;
    const count = w.cookies.length * w.connectionsPerUser;
    this.connections = Array.from(
      { length: count },
      // One source per connection, from the run's seed and its index: the same seed, the same schedules.
      (_, i) => new SoakConnection(i, w.cookies[Math.floor(i / w.connectionsPerUser)]!, w, cidPrefix, this.tally, seededRandom(w.seed * 7919 + i)),
    );
    const failures: string[] = [];
    await forEachConcurrently(count, w.openConcurrency, async (i) => {
      const conn = this.connections[i]!;
      conn.connect();
      const deadline = Date.now() + OPEN_TIMEOUT_MS;
      while (!conn.settled()) {
        if (Date.now() > deadline) {
          failures.push(`connection ${i}: not open and joined after ${OPEN_TIMEOUT_MS} ms (${conn.lastFailure ?? 'no failure seen'})`);
          return;
        }
        await sleep(POLL_MS);
      }
    });
    for (const conn of this.connections) conn.run();
    this.resetWindow();
    return { type: 'ready', ms: Date.now() - started, open: this.openCount(), joined: this.tally.joins, failures: failures.slice(0, 10) };
  }

  private openCount(): number {
    return this.connections.filter((c) => c.open).length;
  }

  private resetWindow(): void {
    const t = this.tally;
    this.last = { sends: t.sends, acks: t.acks, reconnects: t.reconnects, retries: t.retries, joins: t.joins, leaves: t.leaves, delivered: t.delivered, backlog: t.backlog, errors: { ...t.errors }, closed: { ...t.closedByServer } };
    t.latenciesMs = [];
    this.cpuAtLast = process.cpuUsage();
    this.runQueueAtLast = runQueueWaitUs('self');
  }

  sample(): LoadWindow {
    const t = this.tally;
    const cpu = process.cpuUsage(this.cpuAtLast);
    const runQueue = runQueueWaitUs('self');
    const window: LoadWindow = {
      sends: t.sends - this.last.sends,
      acks: t.acks - this.last.acks,
      ackLatency: latencyFigures(t.latenciesMs),
      errors: countsSince(t.errors, this.last.errors),
      open: this.openCount(),
      reconnects: t.reconnects - this.last.reconnects,
      retries: t.retries - this.last.retries,
      joins: t.joins - this.last.joins,
      leaves: t.leaves - this.last.leaves,
      delivered: t.delivered - this.last.delivered,
      backlog: t.backlog - this.last.backlog,
      closedByServer: countsSince(t.closedByServer, this.last.closed),
      cpuUs: cpu.user + cpu.system,
      runQueueUs: runQueue === undefined || this.runQueueAtLast === undefined ? undefined : runQueue - this.runQueueAtLast,
      rssBytes: process.memoryUsage.rss(),
    };
    this.resetWindow();
    return window;
  }

  /** Stops the workload and waits until every connection is open, joined and answered (or the timeout). */
  async stop(): Promise<LoadFinal> {
    const started = Date.now();
    for (const conn of this.connections) conn.stop();
    while (Date.now() - started < SETTLE_TIMEOUT_MS && !this.connections.every((c) => c.settled())) await sleep(POLL_MS);
    const t = this.tally;
    return {
      connections: this.connections.length,
      open: this.openCount(),
      unsettled: this.unsettled(),
      unanswered: this.connections.reduce((n, c) => n + c.unanswered, 0),
      closedUnanswered: t.unanswered.size,
      refused: t.refused.size,
      sent: t.sends,
      acked: t.acks,
      errors: { ...t.errors },
      reconnects: t.reconnects,
      retries: t.retries,
      closedByServer: { ...t.closedByServer },
      stream: { ...t.stream },
      drainMs: Date.now() - started,
    };
  }

  private unsettled(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.connections) {
      const why = c.settled() ? undefined : c.unsettledReason();
      if (why) out[why] = (out[why] ?? 0) + 1;
    }
    return out;
  }

  verify() {
    return checkHistory(this.workload.url, this.workload.cookies[0]!, this.workload.rooms, this.tally);
  }

  close(): void {
    for (const conn of this.connections) conn.close();
  }
}

let run: LoadRun | undefined;

process.on('message', (m: ToLoad) => {
  const fail = (err: unknown) => {
    console.error(`soak load: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  };
  switch (m.type) {
    case 'start':
      run = new LoadRun(m.workload);
      return void run.start().then(reply, fail);
    case 'sample':
      return reply({ type: 'sample', window: run!.sample() });
    case 'stop':
      return void run!.stop().then((final) => reply({ type: 'stopped', final }), fail);
    case 'verify':
      return void run!.verify().then((history) => reply({ type: 'verified', history }), fail);
    case 'close':
      run?.close();
      return reply({ type: 'closed' });
  }
});
// The orchestrator has gone (or is done with us): nothing left to do.
process.on('disconnect', () => {
  run?.close();
  setTimeout(() => process.exit(0), 200).unref();
});
