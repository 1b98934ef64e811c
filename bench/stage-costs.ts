/**
 * Where Parley's CPU goes per message: `npm run bench:stages`.
 *
 * One Parley (as the fan-out bench runs it) with R x S subscribers joined, measured in three
 * windows: idle (nothing posted), a low rate (each post its own commit) and a closed loop (32
 * posters). For each window it reads, from /proc, the CPU of the server's main thread, of its
 * other threads, and of its PostgreSQL; and `perf record` samples
 * the server (node runs with --perf-basic-prof), whose samples split the main thread's CPU
 * into the stages a post passes (perf-stages.ts).
 *
 *   node --import tsx bench/stage-costs.ts [--scenario 100x10] [--idle 20] [--low-rate 20]
 *        [--seconds 10] [--before REF] [--out bench/results] [--keep DIR (the perf data of each window)]
 *
 * --before REF measures Parley at that commit first (from a throwaway git worktree, as the
 * fan-out bench does), then this checkout, and puts the two side by side.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signUpUsers } from './accounts.js';
import { detectPinning, LOAD_CORE, pinSelf } from './cpu-pinning.js';
import { parseScenarios } from './fan-out.js';
import { LoadProcess } from './load-process.js';
import type { FromPublisher, FromSubscribers, PublishResult, SubscriberSpec, ToPublisher, ToSubscribers } from './load-messages.js';
import { cpuSample, threadRunTimes } from './proc-stats.js';
import { OUTSIDE, perfAvailable, recordPerf, type PerfStages } from './perf-stages.js';
import { addWorktree, resolveBefore } from './before-worktree.js';
import { compareScrapes, scrapeMetrics, type ServerMetricsView } from './server-metrics.js';
import { PARLEY_ENV, startServer } from './server-process.js';

interface ThreadCpu {
  /** The main thread's time on a CPU, µs. */
  main: number;
  /** Every other thread of the server process (GC helpers, libuv's pool), µs. */
  others: number;
  /** The same by thread name. */
  byName: Map<string, number>;
  postgres: number;
}

function readThreadCpu(pid: number): ThreadCpu {
  const byName = new Map<string, number>();
  let main = 0;
  let others = 0;
  for (const [tid, us] of threadRunTimes(pid)) {
    if (tid === pid) {
      main = us;
      continue;
    }
    let comm = '?';
    try {
      comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      /* the thread ended meanwhile */
    }
    others += us;
    byName.set(comm, (byName.get(comm) ?? 0) + us);
  }
  return { main, others, byName, postgres: cpuSample(pid)!.childrenUs };
}

function minus(a: ThreadCpu, b: ThreadCpu): ThreadCpu {
  const byName = new Map([...a.byName].map(([k, v]) => [k, v - (b.byName.get(k) ?? 0)]));
  return { main: a.main - b.main, others: a.others - b.others, byName, postgres: a.postgres - b.postgres };
}

interface Window {
  name: string;
  /** How long the window lasted, µs. */
  spanUs: number;
  cpu: ThreadCpu;
  posts: number;
  metrics: ServerMetricsView | undefined;
  perf: PerfStages;
}

interface Settings {
  /** Leave node's perf map (/tmp/perf-<pid>.map) behind, so that kept perf data can be read later. */
  keepMaps: boolean;
  rooms: number;
  subscribersPerRoom: number;
  idleSeconds: number;
  lowRate: number;
  seconds: number;
}

/** One server, its subscribers joined, the three windows measured. */
async function measuredRun(settings: Settings, perfDir: string, before?: { dir: string }): Promise<Window[]> {
  const { rooms: roomCount, subscribersPerRoom, idleSeconds, lowRate, seconds } = settings;
  const pinning = detectPinning();
  pinSelf(pinning, LOAD_CORE);
  // --interpreted-frames-native-stack: functions not yet compiled get named frames too.
  const nodeFlags = ['--perf-basic-prof', '--interpreted-frames-native-stack'];
  const server = await startServer(before ? 'parley-before' : 'parley', pinning, { parleyEnv: PARLEY_ENV, nodeFlags, cwd: before?.dir });
  const publisher = LoadProcess.start<ToPublisher, FromPublisher>('bench/publisher.ts', pinning);
  const subscribers = LoadProcess.start<ToSubscribers, FromSubscribers>('bench/subscribers.ts', pinning);
  const windows: Window[] = [];
  try {
    const subscriberCookies = await signUpUsers(server.url, 'sub', Math.ceil((roomCount * subscribersPerRoom) / 50));
    const publisherCookies = await signUpUsers(server.url, 'pub', 4);
    const rooms = Array.from({ length: roomCount }, (_, i) => `s-${i}`);
    const specs: SubscriberSpec[] = [];
    for (const room of rooms) for (let j = 0; j < subscribersPerRoom; j++) specs.push({ room, cookie: subscriberCookies[specs.length % subscriberCookies.length] });
    const opened = await subscribers.request({ type: 'open', kind: 'parley', url: server.url, connections: specs, sampleEvery: 20, concurrency: 50 }, 'opened', 180_000);
    if (opened.opened < specs.length) throw new Error(`only ${opened.opened} of ${specs.length} subscribers joined: ${opened.failures.join('; ')}`);
    console.log(`${specs.length} subscribers joined ${rooms.length} rooms`);

    const publish = (mode: 'closed' | 'rate', secs: number, pps: number): Promise<PublishResult> =>
      publisher
        .request({ type: 'run', run: { url: server.url, rooms, cookies: publisherCookies, seconds: secs, mode, connections: 32, publishesPerSecond: pps } }, 'done', (secs + 60) * 1000)
        .then((m) => m.result);
    const measure = async (name: string, work: () => Promise<number>) => {
      const metrics0 = await scrapeMetrics(server.url, server.metricsToken!);
      const recording = recordPerf(server.pid, join(perfDir, `${before ? 'before-' : ''}${windows.length}.data`));
      const cpu0 = readThreadCpu(server.pid);
      const started = performance.now();
      const posts = await work();
      const spanUs = (performance.now() - started) * 1000;
      const cpu = minus(readThreadCpu(server.pid), cpu0);
      const perf = await recording.stop();
      const metrics1 = await scrapeMetrics(server.url, server.metricsToken!);
      windows.push({ name, spanUs, cpu, posts, perf, metrics: metrics0 && metrics1 && compareScrapes(metrics0, metrics1) });
      console.log(`  ${name}: ${posts} posts in ${(spanUs / 1e6).toFixed(1)} s`);
    };
    const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

    // The joins' presence frames and the membership writes are over before the idle window.
    await publish('closed', 2, 0);
    await settle(5000);
    await measure(`idle, ${specs.length} joined connections`, async () => {
      await settle(idleSeconds * 1000);
      return 0;
    });
    // The window ends 300 ms after the last post is answered: its frames are out by then.
    await measure(`${lowRate} posts/s`, async () => {
      const r = await publish('rate', seconds, lowRate);
      await settle(300);
      return r.acked;
    });
    await settle(2000);
    await measure('closed loop, 32 posters', async () => {
      const r = await publish('closed', seconds, 0);
      await settle(300);
      return r.acked;
    });
  } finally {
    await Promise.all([publisher.stop(), subscribers.stop()]);
    await server.stop();
    // node --perf-basic-prof's symbol map, read by perf script above (and by a later one, with --keep).
    if (!settings.keepMaps) rmSync(`/tmp/perf-${server.pid}.map`, { force: true });
  }
  return windows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: '100x10' },
      idle: { type: 'string', default: '20' },
      'low-rate': { type: 'string', default: '20' },
      seconds: { type: 'string', default: '10' },
      out: { type: 'string', default: fileURLToPath(new URL('results', import.meta.url)) },
      keep: { type: 'string' },
      before: { type: 'string' },
    },
  });
  const before = values.before === undefined ? undefined : resolveBefore(values.before);
  const scenario = parseScenarios(values.scenario!)[0]!;
  const settings: Settings = {
    keepMaps: values.keep !== undefined,
    rooms: scenario.rooms,
    subscribersPerRoom: scenario.subscribersPerRoom,
    idleSeconds: Number(values.idle),
    lowRate: Number(values['low-rate']),
    seconds: Number(values.seconds),
  };
  if (!perfAvailable()) throw new Error('perf record is not available here (install linux-perf, and run as root or lower kernel.perf_event_paranoid)');
  const perfDir = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'parley-stages-'));
  mkdirSync(perfDir, { recursive: true });
  let windows: Window[];
  let beforeWindows: Window[] | undefined;
  const worktree = before && addWorktree(before.commit);
  try {
    // The older commit first, as the fan-out bench does, then this checkout.
    if (worktree) beforeWindows = await measuredRun(settings, perfDir, worktree);
    windows = await measuredRun(settings, perfDir);
  } finally {
    worktree?.remove();
    if (!values.keep) rmSync(perfDir, { recursive: true, force: true });
  }
  if (values.keep) console.log(`perf data kept in ${perfDir} (N.data: window N, before-N.data: the older commit's), and node's symbol maps in /tmp/perf-<pid>.map; read with perf report -i FILE`);
  const label = `${scenario.label}, ${new Date().toISOString().slice(0, 10)}`;
  let report = renderReport(windows, `Parley ${label}`, scenario.subscribersPerRoom);
  if (before && beforeWindows) {
    report = [
      renderComparison(beforeWindows, windows, before.short, scenario.subscribersPerRoom),
      renderReport(beforeWindows, `Parley before (${before.short}) ${label}`, scenario.subscribersPerRoom),
      report,
    ].join('\n');
  }
  console.log(`\n${report}`);
  const out = resolve(values.out!, `stage-costs-${scenario.label}.md`);
  writeFileSync(out, report);
  console.log(`written: ${out}`);
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');

const allCpu = (w: Window) => w.cpu.main + w.cpu.others + w.cpu.postgres;
const cell = (w: Window, us: number) => (w.posts > 0 ? f1(us / w.posts) : `${((us / w.spanUs) * 100).toFixed(2)}%`);

/** Before and after, window by window: the server, its PostgreSQL, both. */
function renderComparison(before: Window[], after: Window[], short: string, perRoom: number): string {
  const lines = [`Before (${short}) → after, same run. Busy windows: µs of CPU per post (per delivery: divide by ${perRoom}); idle: % of one core.`, ''];
  lines.push('| window | server before | server after | PostgreSQL before | PostgreSQL after | all before | all after |', '|---|--:|--:|--:|--:|--:|--:|');
  after.forEach((a, i) => {
    const b = before[i]!;
    const server = (w: Window) => allCpu(w) - w.cpu.postgres;
    lines.push(`| ${a.name} | ${cell(b, server(b))} | ${cell(a, server(a))} | ${cell(b, b.cpu.postgres)} | ${cell(a, a.cpu.postgres)} | ${cell(b, allCpu(b))} | **${cell(a, allCpu(a))}** |`);
  });
  return lines.join('\n') + '\n';
}

/** Perf's samples split the main thread's /proc CPU by stage; every other figure is /proc's. */
function renderReport(windows: Window[], title: string, perRoom: number): string {
  const lines: string[] = [];
  lines.push(`${title}. Busy windows: µs of CPU per post (per delivery: divide by ${perRoom}). Idle: % of one core.`, '');
  lines.push(`| | ${windows.map((w) => w.name).join(' | ')} |`, `|---|${windows.map(() => '--:').join('|')}|`);
  const mainCpu = (w: Window) => w.cpu.main;
  const fraction = (w: Window, stage: string) => (w.perf.main.get(stage) ?? 0) / Math.max(1, w.perf.mainSamples);
  const outside = new Set(Object.values(OUTSIDE));
  const stages = new Set<string>();
  for (const w of windows) for (const k of w.perf.main.keys()) stages.add(k);
  const last = windows.at(-1)!;
  const order = [...stages].sort((a, b) => Number(outside.has(a)) - Number(outside.has(b)) || fraction(last, b) - fraction(last, a));
  const fmt = cell;
  const row = (name: string, cell: (w: Window) => string) => lines.push(`| ${name} | ${windows.map(cell).join(' | ')} |`);
  for (const stage of order) row(`main thread: ${stage}`, (w) => fmt(w, mainCpu(w) * fraction(w, stage)));
  row('**main thread** (of it in the kernel, by perf)', (w) => `**${fmt(w, mainCpu(w))}** (${fmt(w, (mainCpu(w) * w.perf.mainKernel) / Math.max(1, w.perf.mainSamples))})`);
  row('other threads of the server', (w) => fmt(w, w.cpu.others));
  row('PostgreSQL (every process)', (w) => fmt(w, w.cpu.postgres));
  row('**all**', (w) => `**${fmt(w, allCpu(w))}**`);
  row('commit statements (mean batch)', (w) => (w.metrics ? `${w.metrics.commitStatements} (${w.metrics.meanBatch === undefined ? '–' : w.metrics.meanBatch.toFixed(1)})` : '–'));
  row('PostgreSQL µs per commit statement', (w) => (w.metrics?.commitStatements ? f1(w.cpu.postgres / w.metrics.commitStatements) : '–'));
  row('perf samples, main thread / others', (w) => `${w.perf.mainSamples} / ${w.perf.otherSamples}`);
  lines.push('');
  const threads = windows.map((w) => [...w.cpu.byName].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${fmt(w, v)}`).join(', '));
  lines.push(`Other threads by name: ${windows.map((w, i) => `${w.name}: ${threads[i] || 'none'}`).join('; ')}.`, '');
  lines.push(
    "CPU is time on a CPU from /proc's schedstat (proc-stats.ts says why not stat's ticks). Main-thread stages: the main thread's, split by the shares of `perf record -e cpu-clock -g` samples (node --perf-basic-prof), each sample given to the innermost JavaScript frame of a known stage on its stack; a sample with none goes to where it ran.",
  );
  return lines.join('\n') + '\n';
}

await main();
