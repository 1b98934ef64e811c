/**
 * The servers under test, each started as its own process on the server core: Parley as
 * shipped (`server/main.ts`, embedded PostgreSQL in a throwaway DATA_DIR), Parley at an
 * older commit (the same, run from a worktree of it: `--before`), the bare uWebSockets.js
 * ceiling and the Socket.IO rooms server from bench/servers/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onAllCores, onCore, SERVER_CORE, type Pinning } from './cpu-pinning.js';
import { descendants } from './proc-stats.js';
import type { ServerKind } from './load-messages.js';
import { buildWebClient } from './web-client.js';
import { clientIsStale } from '../server/web-build.js';
import { freePort } from '../server/store/embedded-db.js';

/** The nodes of 'parley-cluster' (npm run cluster's default): one per core of the 2-core machines the README's figures come from. */
const CLUSTER_NODES = 2;

/** The checkout the bench runs from. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Labels; 'parley-before' is labelled with its commit by serverLabel. */
export const SERVER_LABELS: Record<ServerKind, string> = {
  parley: 'Parley',
  'parley-before': 'Parley before',
  'parley-cluster': 'Parley ×2 (cluster)',
  uws: 'bare uWS',
  socketio: 'Socket.IO',
};

/** Parley at either commit: the servers Parley's settings, users and checks apply to. */
export const isParley = (kind: ServerKind): boolean => kind === 'parley' || kind === 'parley-before' || kind === 'parley-cluster';

/**
 * Parley's settings in the benchmark, on top of its defaults: the per-user send rate limit
 * lifted so one publisher user can post at load-test rates, more connections per user, and
 * the signup, room-creation and join limits lifted for a few users opening 1,000 rooms.
 */
export const PARLEY_ENV = {
  SEND_RATE: '100000',
  SEND_BURST: '1000000',
  CONNECTIONS_PER_USER: '100',
  LIMIT_SIGNUP_ADDRESS: '1000000/1',
  LIMIT_ROOM_CREATE: '1000000/1',
  LIMIT_JOIN: '1000000/1',
};

/** The older commit `--before` names, resolved. */
export interface BeforeCommit {
  ref: string;
  commit: string;
  short: string;
}

export function serverLabel(kind: ServerKind, before: BeforeCommit | undefined): string {
  return kind === 'parley-before' && before ? `${SERVER_LABELS[kind]} (${before.short})` : SERVER_LABELS[kind];
}

/** Relative to the checkout the server runs from (StartOptions.cwd). */
const SCRIPTS: Record<ServerKind, string> = {
  parley: 'server/main.ts',
  'parley-before': 'server/main.ts',
  'parley-cluster': 'server/cluster/run-cluster.ts',
  uws: 'bench/servers/bare-uws.ts',
  socketio: 'bench/servers/socketio.ts',
};

export interface ServerUnderTest {
  kind: ServerKind;
  url: string;
  pid: number;
  /** The server's last few log lines at warn or error (pino level >= 40), shortened, oldest first. */
  recentProblems(): string[];
  /** What Parley said it runs on before listening: its uWebSockets.js build and allocator (not the baselines). */
  runtime: ServerRuntime;
  /** Stops the server (SIGTERM, then SIGKILL) and anything it left running; removes its data. */
  stop(): Promise<void>;
  /** The bearer token of GET /metrics (one Parley process; an older commit may not have it). */
  metricsToken?: string;
}

export interface StartOptions {
  /** Parley's settings on top of its defaults (the caller reports them). */
  parleyEnv?: Record<string, string>;
  /** A command prefix such as prlimit. */
  wrap?: string[];
  /** Run the server under `node --cpu-prof`, writing its profile here when it stops. */
  profileDir?: string;
  /** More flags for node (after --cpu-prof's), e.g. --perf-basic-prof. */
  nodeFlags?: string[];
  /** The checkout to run the server from: this one by default, the worktree for 'parley-before'. */
  cwd?: string;
}

export interface ServerRuntime {
  /** e.g. "uws-current (@btc-vision/uwebsockets.js@20.57.0)". */
  uws?: string;
  /** 'jemalloc' or 'system'. */
  allocator?: string;
  /** The C library the server runs on, e.g. "2.36". */
  glibc?: string;
}

/** Starts a server and waits until it says where it listens. */
export async function startServer(kind: ServerKind, pinning: Pinning, options: StartOptions = {}): Promise<ServerUnderTest> {
  const { parleyEnv = {}, wrap = [], profileDir, nodeFlags = [], cwd = ROOT } = options;
  if (kind === 'parley-before' && cwd === ROOT) throw new Error('parley-before runs from the worktree of the older commit: pass its cwd');
  // The worktree's client is built when it is checked out; this checkout's may be missing or stale.
  if ((kind === 'parley' || kind === 'parley-cluster') && clientIsStale()) buildWebClient(ROOT);
  // Port 0: each server takes a free port and says which once it listens.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1' };
  let dataDir: string | undefined;
  if (isParley(kind)) {
    for (const k of ['DATABASE_URL', 'PUBLIC_URL', 'ALLOWED_ORIGINS', 'REDIS_URL', 'NODE_ID', 'REUSE_PORT']) delete env[k];
    dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
    // LOG_LEVEL=info (the default) for the "Parley is listening" line the URL is read from.
    Object.assign(env, { DATA_DIR: dataDir, SESSION_SECRET: randomBytes(32).toString('base64url'), LOG_LEVEL: 'info', ...parleyEnv });
  }
  // One process answers /metrics for itself; a cluster's nodes share the port, so a scrape
  // would reach one of them at random: only a single Parley is scraped.
  const metricsToken = kind === 'parley' || kind === 'parley-before' ? randomBytes(24).toString('base64url') : undefined;
  if (metricsToken) env.METRICS_TOKEN = metricsToken;
  // Every server starts through Parley's launcher, on this node (or the one BENCH_NODE names:
  // not NODE, which npm sets for its scripts) and on the allocator it picks (jemalloc where
  // the machine has it): the comparison is of servers, not mallocs.
  env.NODE = process.env.BENCH_NODE || process.execPath;
  const flags = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), ...nodeFlags];
  if (flags.length) env.NODE_FLAGS = flags.join(' ');
  // The cluster's nodes share one port and may run on every core: one per core is the point
  // of it (on two cores, one of them beside the load processes). Started plainly they would
  // inherit the orchestrator's pinning to the load's core, and all share that one core.
  const cluster = kind === 'parley-cluster';
  if (cluster) env.PORT = String(await freePort());
  const argv = [...wrap, 'sh', join(ROOT, 'server/start.sh'), SCRIPTS[kind]];
  const [cmd, ...args] = cluster ? onAllCores(pinning, argv) : onCore(pinning, SERVER_CORE, argv);
  const child = spawn(cmd!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopProcess(child, dataDir));
  try {
    const { url, recentProblems, runtime } = await listeningUrl(child, cluster ? CLUSTER_NODES : 1);
    return { kind, url, pid: child.pid!, recentProblems, runtime, stop, metricsToken };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The start of the line server/uws/load-uws.ts logs once an addon loads. */
const UWS_LOADED = 'uWebSockets.js loaded: ';

/** Warnings and errors kept for recentProblems(), and how much of each. */
const PROBLEMS_KEPT = 5;
const PROBLEM_CHARS = 300;

/**
 * Reads the server's output until it says where it listens: {"port": N} from the baselines,
 * Parley's "Parley is listening" log line with its url. The output is read to the end
 * (a full pipe would stall the server); its tail goes into errors, and its last warnings and
 * errors (pino JSON, level >= 40) into recentProblems().
 */
function listeningUrl(
  child: ChildProcess,
  listeners: number,
  timeoutMs = 60_000,
): Promise<{ url: string; recentProblems(): string[]; runtime: ServerRuntime }> {
  return new Promise((resolve, reject) => {
    let tail = '';
    let pending = '';
    const problems: string[] = [];
    const runtime: ServerRuntime = {};
    let done = false;
    let listening = 0;
    const finish = (err: Error | undefined, url?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve({ url: url!, recentProblems: () => [...problems], runtime });
    };
    const timer = setTimeout(() => finish(new Error(`server not listening after ${timeoutMs} ms:\n${tail}`)), timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        let said: { port?: unknown; url?: unknown; msg?: unknown; level?: unknown; allocator?: unknown; glibc?: unknown } | null;
        try {
          said = JSON.parse(line) as typeof said;
        } catch {
          continue;
        }
        if (typeof said?.level === 'number' && said.level >= 40) {
          problems.push(line.length > PROBLEM_CHARS ? `${line.slice(0, PROBLEM_CHARS - 1)}…` : line);
          if (problems.length > PROBLEMS_KEPT) problems.shift();
        }
        if (typeof said?.msg === 'string' && said.msg.startsWith(UWS_LOADED)) runtime.uws = said.msg.slice(UWS_LOADED.length).split(' from ')[0];
        if (typeof said?.allocator === 'string') runtime.allocator = said.allocator;
        if (typeof said?.glibc === 'string') runtime.glibc = said.glibc;
        if (typeof said?.port === 'number' && said.msg === undefined) finish(undefined, `http://127.0.0.1:${said.port}`);
        else if (said?.msg === 'Parley is listening' && typeof said.url === 'string' && ++listening >= listeners) finish(undefined, said.url);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (tail = (tail + chunk).slice(-4000)));
    child.once('exit', (code, signal) => finish(new Error(`server exited (${code ?? signal}) before listening:\n${tail}`)));
  });
}

async function stopProcess(child: ChildProcess, dataDir: string | undefined): Promise<void> {
  const pid = child.pid!;
  const started = descendants(pid);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  // Parley stops its PostgreSQL itself; after a SIGKILL it could not have. Only processes
  // still running PostgreSQL are killed: a pid that exited may since belong to another.
  for (const p of started) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes('postgres')) continue;
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
