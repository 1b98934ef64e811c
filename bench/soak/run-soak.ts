/**
 * The soak: thousands of connections joining, leaving, sending and reconnecting against one
 * Parley for a long time, sampled every few seconds, to show whether anything drifts
 * upward: the server's memory, its event-loop delay, the ack latency at the clients.
 *
 * Processes: Parley runs alone in its process (with its embedded PostgreSQL in a throwaway
 * DATA_DIR), started with eld-probe.mjs preloaded through NODE_OPTIONS, which writes its
 * event-loop delay to a file; the connections run in a load process of their own
 * (load.ts); this one only signs the users up, samples and checks. With pinning, the server
 * has core 0 and the load and this process core 1 (bench/cpu-pinning.ts).
 *
 * At the end the workload stops, everything in flight settles (every connection open again
 * and joined, every send answered), and the load reads every room's history back to check
 * that each acknowledged message is stored exactly once.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, getPriority, release, setPriority, tmpdir, type as osType } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signUpUsers } from '../accounts.js';
import { detectPinning, LOAD_CORE, pinSelf, SERVER_CORE, type Pinning } from '../cpu-pinning.js';
import { LoadProcess } from '../load-process.js';
import { startServer, type ServerUnderTest } from '../server-process.js';
import { driftReport } from './drift.js';
import { EldReader } from './eld.js';
import { machineWindow, processAlive, procPoint } from './machine.js';
import { rssBytes } from '../proc-stats.js';
import { sampleHeader, sampleLine } from './format.js';
import type { FromLoad, HistoryCheck, LoadFinal, ToLoad, Workload } from './messages.js';
import type { HeapSnapshot, SoakResult, SoakSample, SoakSettings } from './results.js';

export interface SoakOptions {
  seconds: number;
  connections: number;
  /** Connections per user (Parley allows 20 by default: CONNECTIONS_PER_USER). */
  connectionsPerUser?: number;
  rooms?: number;
  sampleSeconds?: number;
  seed?: number;
  /** Share of the run left out of the drift fit at its start. */
  warmupShare?: number;
  /** Pin the server and the load to cores of their own (needs 2 cores and taskset). */
  pin?: boolean;
  /**
   * Scheduling priority of the server (and its PostgreSQL), the load and this process: a
   * negative value (root only) keeps other work on a shared machine from starving them.
   * 0 (the default) leaves them as they are.
   */
  nice?: number;
  /** Target an already running server instead of starting one. */
  url?: string;
  /** With url: the server's pid, for its RSS and CPU. */
  pid?: number;
  /** With url: the file its eld-probe.mjs writes (SOAK_ELD_FILE), for its event-loop delay. */
  eldFile?: string;
  /** One line per sample and per step; console.log by default. */
  log?: (line: string) => void;
  /** Told of each sample as it is taken. */
  onSample?: (sample: SoakSample) => void;
  /**
   * Seconds into the workload at which the server writes a heap snapshot (a started server
   * only; Node's --heapsnapshot-signal), plus one after the workload has stopped and settled.
   * Each forces a full garbage collection and stalls the server for seconds: for hunting a
   * leak, not for figures. They go to a directory in the temp dir, named in the log and the result.
   */
  heapSnapshots?: number[];
  /** Aborting ends the run at once (Ctrl-C): the load and the server are stopped, nothing is reported. */
  signal?: AbortSignal;
}

/**
 * Parley's settings for the soak, on top of its defaults. The abuse limits are raised
 * because the soak measures drift, not the limits: 200 signups from one address in seconds
 * and thousands of joins would otherwise be refused. (Read by Parley once its per-address
 * and per-user limits land; until then they are ignored.)
 */
export const SOAK_SERVER_ENV: Record<string, string> = {
  LIMIT_SIGNUP_ADDRESS: '100000/1',
  LIMIT_LOGIN_ADDRESS: '100000/1',
  LIMIT_JOIN: '100000/1',
  LIMIT_ROOM_CREATE: '100000/1',
};

/** The workload's rhythm, per connection; see messages.ts. */
export const WORKLOAD_DEFAULTS = {
  connectionsPerUser: 10,
  rooms: 100,
  roomsPerConnection: [1, 3] as [number, number],
  /** 5-10 s between sends: about 270 sends a second from 2,000 connections, far below the 10/s per connection limit. */
  sendEvery: [5, 10] as [number, number],
  typingShare: 0.3,
  /** A room change every minute on average. */
  churnEvery: [20, 100] as [number, number],
  /** A reconnection every 3 minutes on average; the first comes at a random point of the first 330 s. */
  reconnectEvery: [30, 330] as [number, number],
  sampleSeconds: 10,
  seed: 1,
  warmupShare: 0.2,
};

const OPEN_CONCURRENCY = 50;
const PROBE = new URL('./eld-probe.mjs', import.meta.url).href;


async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const d = WORKLOAD_DEFAULTS;
  const perUser = options.connectionsPerUser ?? d.connectionsPerUser;
  const users = Math.ceil(options.connections / perUser);
  const settings: SoakSettings = {
    seconds: options.seconds,
    connections: users * perUser,
    users,
    connectionsPerUser: perUser,
    rooms: options.rooms ?? d.rooms,
    roomsPerConnection: d.roomsPerConnection,
    sampleSeconds: options.sampleSeconds ?? d.sampleSeconds,
    seed: options.seed ?? d.seed,
    sendEvery: d.sendEvery,
    typingShare: d.typingShare,
    churnEvery: d.churnEvery,
    reconnectEvery: d.reconnectEvery,
    warmupShare: options.warmupShare ?? d.warmupShare,
  };
  const detected: Pinning = options.pin ? detectPinning() : { enabled: false, description: 'not pinned' };
  const pinning: Pinning = detected.enabled
    ? { enabled: true, description: `server and its PostgreSQL pinned to core ${SERVER_CORE}, load and orchestrator to core ${LOAD_CORE} (taskset)` }
    : detected;
  // Read before pinning: availableParallelism() counts only the cores this process may use.
  const cores = cpus().length;
  pinSelf(pinning, LOAD_CORE);
  // Set on this process before anything starts: the server, its PostgreSQL and the load inherit it.
  const nice = options.nice ?? 0;
  if (nice) {
    try {
      setPriority(nice);
    } catch {
      /* not permitted: priorityText says what the server ran at */
    }
  }
  const startedAt = new Date();
  const started = performance.now();
  const scratch = mkdtempSync(join(tmpdir(), 'parley-soak-'));
  let server: ServerUnderTest | undefined;
  let load: LoadProcess<ToLoad, FromLoad> | undefined;
  try {
    let url = options.url;
    let pid = options.pid;
    let eldFile = options.eldFile;
    let snapshotDir: string | undefined;
    const snapshots: HeapSnapshot[] = [];
    const snapshot = async (t: number | 'end') => {
      if (!snapshotDir || pid === undefined) return;
      const file = await writeHeapSnapshot(pid, snapshotDir, snapshots.length);
      snapshots.push({ t, file, rssAfterBytes: rssBytes(pid) });
      log(`heap snapshot at ${t === 'end' ? 'the end' : `${t} s`}: ${file}`);
    };
    if (!url) {
      eldFile = join(scratch, 'eld.jsonl');
      if (options.heapSnapshots?.length) snapshotDir = mkdtempSync(join(tmpdir(), 'parley-soak-heap-'));
      const snapshotFlags = snapshotDir ? ` --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}` : '';
      const probeEnv = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${PROBE}${snapshotFlags}`.trim(), SOAK_ELD_FILE: eldFile };
      log(`starting Parley (${Object.entries(SOAK_SERVER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})`);
      server = await startServer('parley', pinning, { parleyEnv: { ...SOAK_SERVER_ENV, ...probeEnv } });
      url = server.url;
      pid = server.pid;
    }
    const eld = eldFile ? new EldReader(eldFile) : undefined;
    // Names unique to this run, so a server already running (--url) can be soaked again.
    const tag = Math.floor(Math.random() * 36 ** 5).toString(36).padStart(5, '0');
    const rooms = Array.from({ length: settings.rooms }, (_, i) => `soak-${tag}-${i}`);

    let t0 = performance.now();
    log(`${url}: signing up ${users} users`);
    const cookies = await signUpUsers(url, `soak${tag}`, users);
    const signupMs = performance.now() - t0;

    load = LoadProcess.start<ToLoad, FromLoad>('bench/soak/load.ts', pinning);
    const workload: Workload = {
      url,
      cookies,
      connectionsPerUser: perUser,
      rooms,
      roomsPerConnection: settings.roomsPerConnection,
      seed: settings.seed,
      sendEvery: settings.sendEvery,
      typingShare: settings.typingShare,
      churnEvery: settings.churnEvery,
      reconnectEvery: settings.reconnectEvery,
      openConcurrency: OPEN_CONCURRENCY,
    };
    t0 = performance.now();
    log(`opening ${settings.connections} connections (${users} users x ${perUser}), each joining ${settings.roomsPerConnection.join('-')} of ${rooms.length} rooms`);
    const ready = await load.request({ type: 'start', workload }, 'ready', 300_000);
    const openMs = performance.now() - t0;
    options.signal?.throwIfAborted();
    log(`${ready.open} open, ${ready.joined} joins, in ${(ready.ms / 1000).toFixed(1)} s${ready.failures.length ? `; failures: ${ready.failures.join('; ')}` : ''}`);

    eld?.skipToEnd();
    const samples: SoakSample[] = [];
    const runStart = performance.now();
    let prev = procPoint(pid);
    log(sampleHeader());
    for (let k = 1; ; k++) {
      const t = Math.min(k * settings.sampleSeconds, settings.seconds);
      await sleep(Math.max(0, runStart + t * 1000 - performance.now()), undefined, { signal: options.signal });
      const { ackLatency, cpuUs, runQueueUs, rssBytes: loadRssBytes, ...counts } = (await load.request({ type: 'sample' }, 'sample', 30_000)).window;
      const now = procPoint(pid);
      const machine = machineWindow(prev, now);
      const seconds = machine.windowSeconds;
      const eldWindow = eld?.window();
      const sample: SoakSample = {
        t,
        ...machine,
        serverHeapUsedBytes: eldWindow?.heapUsedBytes,
        serverExternalBytes: eldWindow?.externalBytes,
        eld: eldWindow?.delay,
        ackLatency,
        acksPerSecond: counts.acks / seconds,
        ...counts,
        loadRunQueuePercent: runQueueUs === undefined ? undefined : runQueueUs / 1e4 / seconds,
        loadCpuPercent: cpuUs / 1e4 / seconds,
        loadRssBytes,
      };
      prev = now;
      samples.push(sample);
      options.onSample?.(sample);
      log(sampleLine(sample));
      if (!sample.serverUp) {
        log('the server process has gone: stopping the soak');
        break;
      }
      // Due when its time falls in this window (times need not be multiples of the window).
      if (options.heapSnapshots?.some((at) => at > t - settings.sampleSeconds && at <= t)) await snapshot(t);
      if (t >= settings.seconds) break;
    }

    log('stopping the workload; waiting for every connection to settle');
    const final: LoadFinal = (await load.request({ type: 'stop' }, 'stopped', 120_000)).final;
    log(`settled in ${(final.drainMs / 1000).toFixed(1)} s: ${final.open}/${final.connections} open, ${final.unanswered} sends unanswered`);
    await snapshot('end');
    const serverUpAtEnd = processAlive(pid) && (await healthy(url));
    log('reading every room\'s history back');
    let history: HistoryCheck;
    try {
      history = (await load.request({ type: 'verify' }, 'verified', 900_000)).history;
    } catch (err) {
      history = failedHistory(rooms.length, (err as Error).message);
    }
    log(
      `history: ${history.stored} stored, ${history.acked} acked, ${history.storedOnce} stored once, ${history.lost} lost, ${history.doubled} doubled, ` +
        `${history.mismatched} mismatched, ${history.refusedStored} refused but stored, ${history.unansweredStored} closed unanswered but stored, ${history.foreign} foreign, ${history.roomsWithSeqGaps} rooms with seq gaps (${(history.ms / 1000).toFixed(1)} s)`,
    );
    await load.request({ type: 'close' }, 'closed', 30_000).catch(() => undefined);

    return {
      startedAt: startedAt.toISOString(),
      wallSeconds: (performance.now() - started) / 1000,
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores, node: process.version, os: `${osType()} ${release()}` },
      pinning: pinning.description,
      priority: priorityText(nice, pid),
      target: options.url ? options.url : 'started',
      settings,
      serverEnv: options.url ? {} : SOAK_SERVER_ENV,
      serverRuntime: server?.runtime,
      setup: { signupMs, openMs, failures: ready.failures },
      samples,
      final,
      history,
      serverUpAtEnd,
      serverProblems: server?.recentProblems() ?? [],
      heapSnapshots: snapshots,
      drift: driftReport(samples, settings.seconds * settings.warmupShare),
    };
  } finally {
    await load?.stop();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Signals the server to write a heap snapshot and waits until the file is complete (its size holds for a second). */
async function writeHeapSnapshot(pid: number, dir: string, before: number): Promise<string> {
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 300_000;
  let last = -1;
  for (;;) {
    await sleep(1000);
    const files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).sort();
    const file = files[before];
    const size = file ? statSync(join(dir, file)).size : -1;
    if (file && size > 0 && size === last) return join(dir, file);
    if (Date.now() > deadline) throw new Error(`no heap snapshot in ${dir} after 300 s`);
    last = size;
  }
}

/** What the run's priority came to: lowering a niceness needs the privilege, and without it everything runs as it was. */
function priorityText(nice: number, serverPid: number | undefined): string {
  if (!nice) return 'default priority';
  let server: number | undefined;
  try {
    server = serverPid === undefined ? undefined : getPriority(serverPid);
  } catch {
    server = undefined;
  }
  return server === nice ? `server, PostgreSQL, load and orchestrator at nice ${nice}` : `nice ${nice} asked, the server ran at ${server ?? 'an unknown priority'}`;
}

function failedHistory(rooms: number, why: string): HistoryCheck {
  return { rooms, stored: 0, acked: 0, storedOnce: 0, lost: 0, doubled: 0, mismatched: 0, refusedStored: 0, unansweredStored: 0, foreign: 0, roomsWithSeqGaps: 0, examples: [`history check failed: ${why}`], ms: 0 };
}
