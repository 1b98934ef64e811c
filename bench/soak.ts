/**
 * `npm run soak`: thousands of connections joining, leaving, sending and reconnecting for
 * half an hour against one Parley, sampled every 10 s, and whether anything drifts upward.
 * The method is in bench/README.md ("Soak"); the work is in bench/soak/.
 *
 *   npm run soak                                  # 30 minutes, 2,000 connections
 *   npm run soak -- --seconds 60                  # the CI variant's length
 *   npm run soak -- --url http://127.0.0.1:3000   # an already running server
 *   npm run soak -- --render bench/results/soak-<timestamp>.json   # rewrite the report of a run
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runSoak, WORKLOAD_DEFAULTS } from './soak/run-soak.js';
import { summaryLines, writeSoakResults } from './soak/report.js';
import type { SoakResult } from './soak/results.js';
import { driftReport } from './soak/drift.js';

const USAGE = `npm run soak -- [options]
  --minutes N        length of the workload (default 30)
  --seconds N        length in seconds instead
  --connections N    WebSocket connections (default 2000)
  --per-user N       connections per user (default ${WORKLOAD_DEFAULTS.connectionsPerUser}; Parley allows 20)
  --rooms N          rooms (default ${WORKLOAD_DEFAULTS.rooms})
  --sample-every S   sampling window, seconds (default ${WORKLOAD_DEFAULTS.sampleSeconds})
  --seed N           seed of the connections' schedules (default ${WORKLOAD_DEFAULTS.seed})
  --nice N           priority of the server, its PostgreSQL and the load (default -10: other work
                     on a shared machine would starve them; 0 leaves it; below 0 needs root)
  --url URL          soak an already running server instead of starting one
  --pid N            with --url: the server's pid, for its RSS and CPU
  --eld-file PATH    with --url: the file the server's eld-probe.mjs writes (SOAK_ELD_FILE)
  --heap-snapshots S,S,...  the server writes a heap snapshot at these seconds and at the end
                     (a leak hunt: each stalls the server; summarise with bench/soak/heap-summary.ts)
  --out DIR          where results go (default bench/results)
  --render FILE      only rewrite the Markdown and SVG of an earlier run from its JSON`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      'per-user': { type: 'string' },
      rooms: { type: 'string' },
      'sample-every': { type: 'string' },
      seed: { type: 'string' },
      nice: { type: 'string' },
      'heap-snapshots': { type: 'string' },
      url: { type: 'string' },
      pid: { type: 'string' },
      'eld-file': { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return console.log(USAGE);
  const out = values.out ?? new URL('./results', import.meta.url).pathname;
  if (values.render) {
    const result = JSON.parse(readFileSync(values.render, 'utf8')) as SoakResult;
    // Recomputed by today's code, so an older run gains figures added since (same rule, same verdict).
    result.drift = driftReport(result.samples, result.drift.warmupSeconds);
    const files = writeSoakResults(result, out, { json: false });
    return console.log(`wrote ${files.md} and ${files.svg}`);
  }
  // Ctrl-C: stop the load and the server (and PostgreSQL, and the throwaway data) before leaving.
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort(new Error(`${signal}: stopped`)));
  const seconds = values.seconds !== undefined ? positive('seconds', values.seconds, 0) : positive('minutes', values.minutes, 30) * 60;
  const result = await runSoak({
    seconds,
    connections: Math.round(positive('connections', values.connections, 2000)),
    connectionsPerUser: Math.round(positive('per-user', values['per-user'], WORKLOAD_DEFAULTS.connectionsPerUser)),
    rooms: Math.round(positive('rooms', values.rooms, WORKLOAD_DEFAULTS.rooms)),
    sampleSeconds: positive('sample-every', values['sample-every'], WORKLOAD_DEFAULTS.sampleSeconds),
    seed: Math.round(positive('seed', values.seed, WORKLOAD_DEFAULTS.seed)),
    url: values.url,
    pid: values.pid === undefined ? undefined : Math.round(positive('pid', values.pid, 0)),
    eldFile: values['eld-file'],
    pin: true,
    nice: values.nice === undefined ? -10 : Number(values.nice),
    signal: abort.signal,
    heapSnapshots: values['heap-snapshots']?.split(',').map((v) => positive('heap-snapshots', v.trim(), 0)),
  });
  console.log('');
  for (const line of summaryLines(result)) console.log(line);
  const files = writeSoakResults(result, out, { json: true });
  console.log(`\nwrote ${files.json}, ${files.md} and ${files.svg}`);
  process.exitCode = result.drift.upward || result.history.lost + result.history.doubled > 0 || !result.serverUpAtEnd ? 1 : 0;
}

main().catch((err) => {
  console.error(`soak: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
