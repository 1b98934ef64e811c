/**
 * Connection scale: N idle authenticated WebSocket connections to a fresh Parley. Reports
 * how long opening them all took and the server's memory per connection (growth of its
 * RSS from before the first to after the last, divided by N).
 *
 * Users are signed up N / CONNECTIONS_PER_USER at a time (100 connections per user here:
 * signup costs an argon2 hash, and the per-user limit is a Parley setting, raised for the
 * test and said so). Both processes need N file descriptors and more: Node raises its soft
 * limit to the hard limit by itself; when the hard limit is too low, the processes are
 * started under `prlimit`, which needs the privilege to raise it.
 *
 *   npm run bench -- --servers none --connections 10000      (from run.ts)
 *   node --import tsx bench/connection-scale.ts [--connections 10000]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signUpUsers } from './accounts.js';
import { detectPinning, LOAD_CORE, pinSelf, type Pinning } from './cpu-pinning.js';
import type { ConnectionScaleResult, Progress } from './results-model.js';
import { LoadProcess } from './load-process.js';
import type { FromSubscribers, OpeningRetries, SubscriberSpec, ToSubscribers } from './load-messages.js';
import { openFilesHardLimit, rssBytes } from './proc-stats.js';
import { retriedOpenings } from './report.js';
import { startServer, type ServerUnderTest } from './server-process.js';

export const CONNECTIONS_PER_USER = 100;
/**
 * The server's RSS once it holds still: two samples SETTLE_STEP_MS apart within 0.5%, or
 * SETTLE_MAX_MS. The sign-ups before the connections hash passwords with argon2, whose
 * memory the allocator hands back over the next seconds (jemalloc's decay is 10 s): taken
 * 1 s after them, the baseline was high enough once (2026-12-03) that 10,000 connections
 * came out at -0.37 KB each.
 */
const SETTLE_STEP_MS = 500;
const SETTLE_MAX_MS = 20_000;

async function settledRss(pid: number): Promise<number | undefined> {
  const started = performance.now();
  let last = rssBytes(pid);
  for (;;) {
    await new Promise((r) => setTimeout(r, SETTLE_STEP_MS));
    const now = rssBytes(pid);
    if (now === undefined || last === undefined) return now;
    if (Math.abs(now - last) <= last * 0.005 || performance.now() - started >= SETTLE_MAX_MS) return now;
    last = now;
  }
}


/** A command prefix that gives a process `need` open files, or none when the hard limit allows. */
function fileLimitPrefix(need: number): { prefix: string[]; note: string } {
  const hard = openFilesHardLimit();
  if (hard === undefined || hard >= need) return { prefix: [], note: `hard limit ${hard ?? 'unknown'} (Node raises its soft limit to it)` };
  const probe = spawnSync('prlimit', [`--nofile=${need}:${need}`, 'true'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`connection scale: ${need} open files needed per process, the hard limit is ${hard} and cannot be raised here (prlimit); raise it (ulimit -Hn) or pass a smaller --connections`);
  }
  return { prefix: ['prlimit', `--nofile=${need}:${need}`], note: `raised to ${need} with prlimit` };
}

/** Something the caller stops if the run is interrupted. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** `running`: the processes started here are in it while they run (for the caller's Ctrl-C). */
export async function runConnectionScale(connections: number, pinning: Pinning, progress: Progress, running = new Set<Stoppable>()): Promise<ConnectionScaleResult> {
  const { prefix, note } = fileLimitPrefix(connections + 1024);
  const users = Math.ceil(connections / CONNECTIONS_PER_USER);
  let server: ServerUnderTest | undefined;
  let subscribers: LoadProcess<ToSubscribers, FromSubscribers> | undefined;
  try {
    progress.status(`connection scale: starting Parley`);
    server = await startServer('parley', pinning, { parleyEnv: { CONNECTIONS_PER_USER: String(CONNECTIONS_PER_USER), LIMIT_SIGNUP_ADDRESS: '1000000/1' }, wrap: prefix });
    running.add(server);
    subscribers = LoadProcess.start<ToSubscribers, FromSubscribers>('bench/subscribers.ts', pinning, {}, prefix);
    running.add(subscribers);
    progress.status(`connection scale: signing up ${users} users`);
    const t0 = performance.now();
    const cookies = await signUpUsers(server.url, 'idle', users);
    const signupSeconds = (performance.now() - t0) / 1000;
    const rssBeforeBytes = await settledRss(server.pid);

    progress.status(`connection scale: opening ${connections.toLocaleString('en-US')} idle connections`);
    const specs: SubscriberSpec[] = Array.from({ length: connections }, (_, i) => ({ cookie: cookies[i % users] }));
    const opened = await subscribers.request({ type: 'open', kind: 'parley', url: server.url, connections: specs, sampleEvery: 1, concurrency: 100 }, 'opened', 600_000);
    const rssAfterBytes = await settledRss(server.pid);
    const result: ConnectionScaleResult = {
      connections,
      opened: opened.opened,
      failures: opened.failures,
      retries: opened.retries,
      users,
      signupSeconds,
      connectSeconds: opened.ms / 1000,
      rssBeforeBytes,
      rssAfterBytes,
      bytesPerConnection: rssBeforeBytes !== undefined && rssAfterBytes !== undefined && opened.opened > 0 ? (rssAfterBytes - rssBeforeBytes) / opened.opened : undefined,
      fileLimit: note,
    };
    progress.log(
      `connection scale: ${opened.opened.toLocaleString('en-US')} of ${connections.toLocaleString('en-US')} idle connections in ${result.connectSeconds.toFixed(1)} s; ` +
        `server RSS ${mb(rssBeforeBytes)} -> ${mb(rssAfterBytes)} MB, ${result.bytesPerConnection === undefined ? '?' : (result.bytesPerConnection / 1024).toFixed(2)} KB per connection` +
        (opened.retries.count ? `; ${retriedOpenings(opened.retries, 'idle connection')}` : ''),
    );
    await subscribers.request({ type: 'close' }, 'closed', 60_000);
    return result;
  } finally {
    await subscribers?.stop();
    await server?.stop();
    if (subscribers) running.delete(subscribers);
    if (server) running.delete(server);
  }
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '?' : (bytes / 1024 / 1024).toFixed(1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { connections: { type: 'string', default: '10000' } } });
  const pinning = detectPinning();
  pinSelf(pinning, LOAD_CORE);
  console.log(pinning.description);
  const progress: Progress = { status: (t) => console.log(t), log: (t) => console.log(t) };
  const result = await runConnectionScale(Number(values.connections), pinning, progress);
  console.log(JSON.stringify(result, null, 2));
}
