/**
 * `npm run reliability`: faults and attacks against Parley run as an operator runs it (a
 * child process on a throwaway DATA_DIR, loopback only), one scenario after another, each
 * bounded in inputs and time. Prints a results table and writes
 * bench/results/reliability-latest.md (and .json beside it).
 *
 * Options: `--only 1,3,5` runs those scenarios alone (their report then goes beside the server
 * logs in a temporary directory, and bench/results keeps the last full run).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureClientBuilt } from '../../server/web-build.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { killParley } from './kill-parley.js';
import { killPostmaster } from './kill-postmaster.js';
import { freezePostgres } from './freeze-postgres.js';
import { stopPostgres } from './stop-postgres.js';
import { loginGuessing } from './login-guessing.js';
import { roomBloat } from './room-bloat.js';
import { signupBurst } from './signup-burst.js';
import { slowloris } from './slowloris.js';
import { crossOrigin } from './cross-origin.js';
import { markdownReport, resultsTable } from './report.js';
import { ParleyProcess } from './parley-process.js';

const SCENARIOS: Scenario[] = [killParley, killPostmaster, freezePostgres, stopPostgres, loginGuessing, roomBloat, signupBurst, slowloris, crossOrigin];
const RESULTS_DIR = fileURLToPath(new URL('../results', import.meta.url));

function selected(argv: string[]): Scenario[] {
  const i = argv.indexOf('--only');
  if (i < 0) return SCENARIOS;
  const ids = new Set((argv[i + 1] ?? '').split(',').map(Number));
  const chosen = SCENARIOS.filter((s) => ids.has(s.id));
  if (chosen.length === 0) throw new Error(`--only takes scenario numbers 1..${SCENARIOS.length}, e.g. --only 1,3`);
  return chosen;
}

/** The commit under test, and whether the server's files differ from it ("abc1234", "abc1234 + uncommitted server changes"). */
function treeUnderTest(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'server', 'migrations').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted server changes' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  const scenarios = selected(process.argv.slice(2));
  const partial = scenarios.length < SCENARIOS.length;
  const runStart = performance.now();
  const logDir = mkdtempSync(join(tmpdir(), 'parley-reliability-logs-'));
  const progress = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  // Built once here, so that no server start below includes a client build.
  await ensureClientBuilt(progress);
  const template = await ParleyProcess.template(logDir);
  progress(`template DATA_DIR made: first start (initdb, migrations) ${(template.firstStartMs / 1000).toFixed(1)} s`);
  const ctx = { logDir, templateDir: template.dir, progress };
  const started = new Date();
  const loadAtStart = loadavg()[0]!;
  const tree = treeUnderTest();
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    progress(`${s.id}. ${s.title}`);
    const t0 = performance.now();
    let r: Omit<ScenarioResult, 'id' | 'title' | 'ms'>;
    try {
      r = await s.run(ctx);
    } catch (err) {
      r = { tried: '', figures: [], findings: [`the scenario threw: ${(err as Error).stack ?? String(err)}`], notes: [] };
    }
    const result = { id: s.id, title: s.title, ms: performance.now() - t0, ...r };
    results.push(result);
    progress(`${s.id}. ${result.findings.length ? `${result.findings.length} finding(s)` : 'held'} in ${(result.ms / 1000).toFixed(1)} s`);
  }
  rmSync(template.dir, { recursive: true, force: true });
  const totalMs = performance.now() - runStart;
  console.log(resultsTable(results));
  for (const r of results) for (const f of r.findings) console.log(`FINDING ${r.id}: ${f}`);
  // A partial run (--only) leaves bench/results to the last full one and writes beside the logs.
  const outDir = partial ? logDir : RESULTS_DIR;
  mkdirSync(outDir, { recursive: true });
  const md = markdownReport(results, { started, totalMs, argv: process.argv.slice(2), loadAtStart, tree, templateStartMs: template.firstStartMs });
  writeFileSync(join(outDir, 'reliability-latest.md'), md);
  writeFileSync(join(outDir, 'reliability-latest.json'), JSON.stringify({ started, totalMs, loadAtStart, tree, templateStartMs: template.firstStartMs, results }, null, 2));
  console.log(`\nwrote ${join(outDir, 'reliability-latest.md')} and .json; server logs in ${logDir}; ${(totalMs / 1000).toFixed(0)} s in all`);
  // Exit status 1 when anything did not hold; exit explicitly, as pooled sockets may linger.
  process.exit(results.some((r) => r.findings.length) ? 1 : 0);
}

await main();
