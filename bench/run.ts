/**
 * `npm run bench`: the fan-out benchmark. The same workload, driven by the same load tool in
 * the same run, against Parley (as shipped, persistence on), a bare uWebSockets.js pub/sub
 * server (the ceiling) and a Socket.IO 4 rooms server; then the connection-scale test.
 * `--before <ref>` adds Parley at that commit (run from a throwaway git worktree) right
 * before Parley as checked out: before and after from the same run. Each scenario is
 * measured publishing over HTTP (publisher.ts) and over the publishers' own WebSockets
 * (ws-publisher.ts); `--publish-via http` keeps to the first.
 * See bench/README.md for the method and what each number means.
 *
 *   npm run bench [-- --quick] [--scenarios 1x1000,10x100,100x10] [--servers parley,uws,socketio]
 *                 [--before REF] [--seconds 10] [--warmup 3] [--rate 1000] [--publish-connections 32]
 *                 [--sample-every 20] [--connections 10000] [--out bench/results] [--profile DIR]
 *                 [--publish-via http,ws]
 */
import { readFileSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signUpUsers } from './accounts.js';
import { addWorktree, resolveBefore, type Worktree } from './before-worktree.js';
import { runConnectionScale, type Stoppable } from './connection-scale.js';
import { detectPinning, LOAD_CORE, pinSelf } from './cpu-pinning.js';
import { parseScenarios, runScenario, type Scenario } from './fan-out.js';
import type { ConnectionScaleResult, FanOutSettings, PassResult, Progress, PublishVia, ScenarioOpening } from './results-model.js';
import { LoadProcess } from './load-process.js';
import type { FromPublisher, FromSubscribers, ServerKind, ToPublisher, ToSubscribers } from './load-messages.js';
import { markdownReport, writeResults, type BenchRun } from './report.js';
import { isParley, PARLEY_ENV, SERVER_LABELS, serverLabel, startServer, type BeforeCommit, type ServerUnderTest } from './server-process.js';

interface Options {
  quick: boolean;
  settings: FanOutSettings;
  scenarios: Scenario[];
  servers: ServerKind[];
  scaleConnections: number;
  out: string;
  /** Run the servers under `node --cpu-prof`, profiles into this directory. */
  profileDir: string | undefined;
  /** `--before`: the older commit 'parley-before' runs. */
  before: BeforeCommit | undefined;
}

/** The command line, checked; throws a one-line message for a bad option. */
function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      servers: { type: 'string', default: 'parley,uws,socketio' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      rate: { type: 'string' },
      'publish-connections': { type: 'string' },
      'sample-every': { type: 'string' },
      connections: { type: 'string' },
      out: { type: 'string', default: fileURLToPath(new URL('results', import.meta.url)) },
      profile: { type: 'string' },
      before: { type: 'string' },
      'publish-via': { type: 'string', default: 'http,ws' },
    },
  });
  const quick = values.quick!;
  const numberOption = (name: keyof typeof values, fallback: number, min: number): number => {
    const raw = values[name];
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: a number of at least ${min}, got "${String(raw)}"`);
    return n;
  };
  const servers = values
    .servers!.split(',')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'none') as ServerKind[];
  for (const s of servers) if (!(s in SERVER_LABELS)) throw new Error(`--servers: unknown server "${s}" (parley, parley-before, parley-cluster, uws, socketio, none)`);
  const before = values.before === undefined ? undefined : resolveBefore(values.before);
  if (!before && servers.includes('parley-before')) throw new Error('--servers: parley-before needs --before <ref>');
  // Parley at the older commit goes right before Parley (first when Parley is not measured).
  if (before && !servers.includes('parley-before')) servers.splice(Math.max(0, servers.indexOf('parley')), 0, 'parley-before');
  const publishVia = [...new Set(values['publish-via']!.split(',').map((s) => s.trim()).filter(Boolean))] as PublishVia[];
  for (const v of publishVia) if (v !== 'http' && v !== 'ws') throw new Error(`--publish-via: unknown path "${v}" (http, ws)`);
  if (publishVia.length === 0) throw new Error('--publish-via: name at least one of http, ws');
  return {
    quick,
    settings: {
      seconds: numberOption('seconds', quick ? 1.5 : 10, 0.5),
      warmupSeconds: numberOption('warmup', quick ? 0.5 : 3, 0),
      deliveriesPerSecond: numberOption('rate', 1000, 1),
      closedConnections: Math.round(numberOption('publish-connections', 32, 1)),
      publishVia,
      sampleEvery: Math.round(numberOption('sample-every', 20, 1)),
      drainTimeoutSeconds: quick ? 10 : 60,
    },
    scenarios: parseScenarios(values.scenarios ?? (quick ? '1x200,20x10' : '1x1000,10x100,100x10')),
    servers,
    scaleConnections: Math.round(numberOption('connections', quick ? 2000 : 10_000, 0)),
    out: values.out!,
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
    before,
  };
}

/** Subscriber connections per Parley user; CONNECTIONS_PER_USER leaves headroom above it. */
const CONNECTIONS_PER_SUBSCRIBER_USER = 50;
const PUBLISHER_USERS = 4;

function terminalProgress(): Progress {
  const tty = process.stdout.isTTY;
  let transient = false;
  return {
    status(text) {
      if (!tty) return void console.log(text);
      process.stdout.write(`\r\x1b[2K${text.slice(0, (process.stdout.columns || 120) - 1)}`);
      transient = true;
    },
    log(text) {
      if (tty && transient) process.stdout.write('\r\x1b[2K');
      transient = false;
      console.log(text);
    },
  };
}

function machine(): BenchRun['machine'] {
  let os = `${type()} ${release()}`;
  try {
    os = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    /* not Linux */
  }
  return { cpu: cpus()[0]?.model.trim() ?? 'unknown CPU', cores: cpus().length, node: process.version, os };
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = readOptions();
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(2);
  }
  let worktree: Worktree | undefined;
  try {
    worktree = options.before && addWorktree(options.before.commit);
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(1);
  }
  try {
    await runBench(options, worktree?.dir);
  } finally {
    worktree?.remove();
  }
}

/** `beforeDir`: the worktree 'parley-before' runs from. */
async function runBench(options: Options, beforeDir: string | undefined): Promise<void> {
  const { quick, settings, scenarios, servers, scaleConnections, before } = options;
  const labelOf = (kind: ServerKind) => serverLabel(kind, before);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const progress = terminalProgress();
  const pinning = detectPinning();
  pinSelf(pinning, LOAD_CORE);
  progress.log(`fan-out benchmark${quick ? ' (quick)' : ''}: ${servers.map(labelOf).join(', ') || 'no servers'}; scenarios ${scenarios.map((s) => s.label).join(', ')}`);
  progress.log(`pinning: ${pinning.description}`);
  if (before) progress.log(`${labelOf('parley-before')}: ${before.ref} = ${before.commit}, run from a git worktree of it (${beforeDir}) with this checkout's node_modules`);
  if (servers.some(isParley)) {
    progress.log(`Parley runs as shipped except ${Object.entries(PARLEY_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}: the bench lifts the per-user send rate limit (10/s), allows more connections per user, lets all its users sign up from one address, and lifts the room-creation and join limits`);
  }

  // Everything started and not yet stopped. Ctrl-C stops them, which makes whatever is
  // waiting on them fail, and the run ends without starting anything new (a second Ctrl-C
  // kills at once).
  const running = new Set<Stoppable>();
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
    progress.log('interrupted: stopping the servers and load processes');
    for (const p of running) void p.stop().catch(() => {});
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const publisher = LoadProcess.start<ToPublisher, FromPublisher>('bench/publisher.ts', pinning);
  const wsPublisher = settings.publishVia.includes('ws') ? LoadProcess.start<ToPublisher, FromPublisher>('bench/ws-publisher.ts', pinning) : undefined;
  const subscribers = LoadProcess.start<ToSubscribers, FromSubscribers>('bench/subscribers.ts', pinning);
  running.add(publisher).add(subscribers);
  if (wsPublisher) running.add(wsPublisher);

  const passes: PassResult[] = [];
  const openings: ScenarioOpening[] = [];
  const failures: string[] = [];
  const maxConnections = Math.max(...scenarios.map((s) => s.rooms * s.subscribersPerRoom));
  try {
    for (const kind of servers) {
      if (interrupted) break;
      const label = labelOf(kind);
      let server: ServerUnderTest | undefined;
      try {
        progress.status(`${label}: starting`);
        const ts = performance.now();
        const cwd = kind === 'parley-before' ? beforeDir : undefined;
        server = await startServer(kind, pinning, { parleyEnv: isParley(kind) ? PARLEY_ENV : {}, profileDir: options.profileDir, cwd });
        running.add(server);
        let subscriberCookies: string[] = [];
        let publisherCookies: string[] = [];
        if (isParley(kind)) {
          const users = Math.ceil(maxConnections / CONNECTIONS_PER_SUBSCRIBER_USER);
          progress.status(`${label}: signing up ${users} subscriber and ${PUBLISHER_USERS} publisher users`);
          subscriberCookies = await signUpUsers(server.url, 'sub', users);
          publisherCookies = await signUpUsers(server.url, 'pub', PUBLISHER_USERS);
        }
        progress.log(`${label}: ready at ${server.url} in ${((performance.now() - ts) / 1000).toFixed(1)} s`);
        for (const [i, scenario] of scenarios.entries()) {
          if (interrupted) break;
          const ctx = { server, subscribers, publisher, wsPublisher, subscriberCookies, publisherCookies, settings, progress };
          const result = await runScenario(ctx, scenario, `f${i}`);
          openings.push(result.opening);
          passes.push(...result.passes);
        }
      } catch (err) {
        // The server's last warnings and errors may say why, where the load side cannot.
        const why = (err as Error).message;
        const said = server?.recentProblems() ?? [];
        failures.push(`${label}: ${why.split('\n')[0]}${said.length ? `; the server's last warnings and errors: ${said.join(' ')}` : ''}`);
        progress.log(`${label}: FAILED: ${why}${said.map((l) => `\n  the server said: ${l}`).join('')}`);
      } finally {
        if (server) {
          await server.stop();
          running.delete(server);
        }
      }
    }
  } finally {
    await Promise.all([publisher.stop(), subscribers.stop(), wsPublisher?.stop()]);
    running.delete(publisher);
    running.delete(subscribers);
    if (wsPublisher) running.delete(wsPublisher);
  }

  if (interrupted) {
    process.exitCode = 130;
    return;
  }
  let connectionScale: ConnectionScaleResult | undefined;
  if (scaleConnections > 0) {
    try {
      connectionScale = await runConnectionScale(scaleConnections, pinning, progress, running);
    } catch (err) {
      failures.push(`connection scale: ${(err as Error).message.split('\n')[0]}`);
      progress.log(`connection scale: FAILED: ${(err as Error).message}`);
    }
  }

  if (interrupted) {
    process.exitCode = 130;
    return;
  }
  const run: BenchRun = {
    startedAt,
    wallSeconds: (performance.now() - t0) / 1000,
    quick,
    machine: machine(),
    pinning: pinning.description,
    settings: { ...settings, scenarios: scenarios.map((s) => s.label), servers },
    parleyEnv: PARLEY_ENV,
    before,
    passes,
    openings,
    connectionScale,
    failures,
  };
  const files = writeResults(run, options.out);
  progress.log('\n' + markdownReport(run));
  progress.log(`written: ${files.json}, ${files.md}, ${files.svg} (${run.wallSeconds.toFixed(0)} s in all)`);
  if (failures.length) process.exitCode = 1;
}

await main();
