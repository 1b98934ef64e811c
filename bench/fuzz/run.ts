/**
 * The fuzz run: raw HTTP requests (http-fuzz.ts) and WebSocket frames (ws-fuzz.ts), side by
 * side, against a Parley this runner starts in a child process (fuzz-server.ts) or one at
 * --url. It then checks that the server is still up and that its RSS stayed bounded, and
 * prints a summary: requests sent, statuses by class, closes, hangs, crashes, RSS, findings.
 *
 *   npm run fuzz -- [--http N] [--ws N] [--seed S] [--url U] [--concurrency C] [--sockets K]
 *                   [--http-case I] [--ws-frame I]
 *
 * Defaults: 100,000 requests and 100,000 frames, seed 1, 1,000 HTTP connections at once,
 * 64 WebSockets over 8 users. --http-case / --ws-frame replay one case of a seed (the report
 * names them); with --url the server's RSS and exit cannot be watched.
 */
import { fileURLToPath } from 'node:url';
import { Findings, type Finding } from './findings.js';
import { RssSampler, startFuzzServer, type FuzzServer, type ServerExit } from './fuzz-server.js';
import { runHttpFuzz, type HttpFuzzSummary } from './http-fuzz.js';
import { runWsFuzz, type WsFuzzSummary } from './ws-fuzz.js';
import { FUZZ_ROOMS } from './ws-frames.js';

export interface FuzzOptions {
  http: number;
  ws: number;
  seed: number;
  url?: string;
  /** HTTP connections at once. */
  concurrency?: number;
  /** Silence (both ways) after which an open HTTP connection counts as hung (default 20 s). */
  hangAfterMs?: number;
  /** WebSockets at once, and the users they belong to. */
  sockets?: number;
  users?: number;
  /** Replay: start at this case or frame. */
  httpFirst?: number;
  wsFirst?: number;
  /** RSS growth (peak over the first sample) reported as a finding. */
  rssGrowthLimitBytes?: number;
  /** The server's frame limit (WS_MAX_FRAME_BYTES; the default 64 KiB unless said). */
  maxFrameBytes?: number;
  /** How often to log progress (with `log`). */
  progressEveryMs?: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  seed: number;
  url: string;
  /** The child process, when the runner started the server. */
  pid: number | undefined;
  ms: number;
  http: HttpFuzzSummary | undefined;
  ws: WsFuzzSummary | undefined;
  rss: { first: number; peak: number; last: number } | undefined;
  crash: (ServerExit & { stderr: string }) | undefined;
  /** /healthz after the run. */
  healthAfter: number | string;
  /** The server's distinct warnings and errors. */
  problems: string[];
  findings: Finding[];
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => {});
  const started = Date.now();
  const server: FuzzServer | undefined = o.url ? undefined : await startFuzzServer();
  const url = o.url ?? server!.url;
  log(`server ${url}${server ? ` (pid ${server.pid}, started by the runner)` : ''}`);
  const findings = new Findings();
  let rss: RssSampler | undefined;
  try {
    const tag = `${o.seed.toString(36)}${Date.now().toString(36).slice(-4)}`;
    const httpUser = await signup(url, `fzh_${tag}`);
    const wsUsers = await Promise.all(Array.from({ length: o.users ?? 8 }, (_, i) => signup(url, `fzw${i}_${tag}`)));
    for (let i = 0; i < 5; i++) await fetch(`${url}/api/rooms`, { method: 'POST', headers: { cookie: httpUser.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: `fz-${i}` }) });
    if (server) rss = new RssSampler(server.pid);
    const { hostname, port, host } = new URL(url);
    const alive = () => !server?.exit;
    log(`fuzzing: ${o.http} HTTP requests, ${o.ws} WebSocket frames, seed ${o.seed}`);
    const done = { http: 0, ws: 0 };
    const progress = setInterval(() => {
      const mem = rss?.last !== undefined ? `, server RSS ${mib(rss.last)}` : '';
      log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${done.http}/${o.http} HTTP, ${done.ws}/${o.ws} frames${mem}, findings ${findings.total}`);
    }, o.progressEveryMs ?? 30_000);
    progress.unref();
    const [http, ws] = await Promise.all([
      o.http > 0
        ? runHttpFuzz({
            host: hostname, port: Number(port), seed: o.seed, cases: o.http, first: o.httpFirst, concurrency: o.concurrency ?? 1000, hangAfterMs: o.hangAfterMs, findings, keepGoing: alive,
            onCase: () => done.http++,
            target: { host, cookie: httpUser.cookie, rooms: ['fz-0', 'fz-1', 'fz-2', 'fz-3', 'fz-4', ...FUZZ_ROOMS.slice(0, 2)], users: [httpUser.name, ...wsUsers.map((u) => u.name)] },
          })
        : undefined,
      o.ws > 0
        ? runWsFuzz({
            url, cookies: wsUsers.map((u) => u.cookie), sockets: o.sockets ?? 64, frames: o.ws, first: o.wsFirst, seed: o.seed,
            maxFrameBytes: o.maxFrameBytes ?? 64 * 1024, findings, keepGoing: alive, onFrame: () => done.ws++,
          })
        : undefined,
    ]);
    clearInterval(progress);
    rss?.stop();
    const healthAfter = await fetch(`${url}/healthz`).then((r) => r.status, (err: Error) => err.message);
    if (healthAfter !== 200) findings.add('server', 'not answering after the run', `GET /healthz: ${healthAfter}`, '', `--seed ${o.seed}`);
    const crash = server?.exit ? { ...server.exit, stderr: server.stderrTail() } : undefined;
    if (crash) findings.add('server', 'crash', `exited (${crash.code ?? crash.signal})`, crash.stderr.slice(-1500), `--seed ${o.seed}`);
    const rssFigures = rss?.first !== undefined ? { first: rss.first, peak: rss.peak, last: rss.last ?? rss.peak } : undefined;
    const limit = o.rssGrowthLimitBytes ?? 768 * 1024 * 1024;
    if (rssFigures && rssFigures.peak - rssFigures.first > limit) {
      findings.add('server', 'RSS grew', `peak ${mib(rssFigures.peak)} from ${mib(rssFigures.first)} (limit +${mib(limit)})`, '', `--seed ${o.seed}`);
    }
    return {
      seed: o.seed, url, pid: server?.pid, ms: Date.now() - started, http, ws, rss: rssFigures, crash, healthAfter,
      problems: server?.problems() ?? [], findings: findings.list(),
    };
  } finally {
    rss?.stop();
    await server?.stop();
  }
}

async function signup(url: string, name: string): Promise<{ name: string; cookie: string }> {
  const res = await fetch(`${url}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: name, password: 'fuzz password 1' }),
  });
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0];
  if (res.status !== 201 || !cookie) throw new Error(`signup ${name}: ${res.status} ${await res.text()}`);
  return { name, cookie };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const counts = (r: Record<string, number>) =>
  Object.entries(r)
    .sort(([, a], [, b]) => b - a)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

export function formatReport(r: FuzzReport): string {
  const out: string[] = [`Parley fuzz, seed ${r.seed}, against ${r.url}${r.pid ? ` (pid ${r.pid})` : ''}: ${(r.ms / 1000).toFixed(1)} s in all`];
  if (r.http) {
    const h = r.http;
    out.push(
      '',
      `HTTP: ${h.cases} connections, ${h.requests} requests, in ${(h.ms / 1000).toFixed(1)} s`,
      `  statuses by class: 1xx ${h.classes['1xx']} (101 switching), 2xx ${h.classes['2xx']}, 3xx ${h.classes['3xx']}, 4xx ${h.classes['4xx']}, 5xx ${h.classes['5xx']}; interim 100 Continue ${h.interim100}`,
      `  statuses: ${counts(Object.fromEntries(Object.entries(h.statuses)))}`,
      `  5xx: ${counts(h.serverErrors)}`,
      `  connections: answered ${h.ends.answered}, closed by the server before an answer ${h.ends.closed}, closed at its idle timeout ${h.ends.idleClosed}, hangs ${h.ends.hang}, not connected ${h.ends.noConnection}`,
      ...Object.entries(h.byKind).map(([k, e]) => `    ${k.padEnd(9)} answered ${e.answered}, closed ${e.closed}, idle-closed ${e.idleClosed}, hangs ${e.hang}`),
    );
  }
  if (r.ws) {
    const w = r.ws;
    out.push(
      '',
      `WebSocket: ${w.frames} frames in ${(w.ms / 1000).toFixed(1)} s, ${w.reconnects} reconnects; upgrades refused for load and retried: ${counts(w.refusedUpgrades)}`,
      `  frames sent: ${counts(w.kinds)}`,
      `  direct replies: ${counts(w.replies)}; late ${w.late}; slower than 5 s ${w.slow} (slowest ${(w.slowestMs / 1000).toFixed(1)} s)`,
      `  broadcasts received: ${counts(w.broadcasts)}`,
      `  closes: ${counts(w.closes)}`,
    );
  }
  out.push(
    '',
    `Server: ${r.crash ? `CRASHED (${r.crash.code ?? r.crash.signal})` : 'no crash'}; GET /healthz after the run: ${r.healthAfter}`,
    r.rss ? `  RSS: start ${mib(r.rss.first)}, peak ${mib(r.rss.peak)}, end ${mib(r.rss.last)}` : '  RSS: not watched (external server)',
    `  distinct warnings and errors it logged: ${r.problems.length}`,
    ...r.problems.slice(0, 10).map((p) => `    ${p.slice(0, 300)}`),
    '',
    `Findings: ${r.findings.length ? r.findings.reduce((n, f) => n + f.count, 0) : 0} (${r.findings.length} distinct)`,
    ...r.findings.map((f) => `  [${f.area}] ${f.kind}: ${f.detail} (x${f.count})\n      first: ${f.example}\n      replay: ${f.replay}`),
  );
  return out.join('\n');
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const num = (name: string, fallback: number) => {
    const v = flag(args, name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v)) throw new Error(`--${name} takes a whole number, got ${v}`);
    return Number(v);
  };
  const httpCase = flag(args, 'http-case');
  const wsFrame = flag(args, 'ws-frame');
  const replay = httpCase !== undefined || wsFrame !== undefined;
  const report = await runFuzz({
    http: httpCase !== undefined ? 1 : replay ? 0 : num('http', 100_000),
    ws: wsFrame !== undefined ? 1 : replay ? 0 : num('ws', 100_000),
    httpFirst: httpCase !== undefined ? Number(httpCase) : undefined,
    wsFirst: wsFrame !== undefined ? Number(wsFrame) : undefined,
    seed: num('seed', 1),
    url: flag(args, 'url'),
    concurrency: num('concurrency', 1000),
    sockets: num('sockets', 64),
    log: (line) => console.log(line),
  });
  console.log(`\n${formatReport(report)}`);
  process.exitCode = report.findings.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(2);
  });
}
