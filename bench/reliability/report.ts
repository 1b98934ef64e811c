/** The reliability run as a table (printed) and as markdown (bench/results/reliability-latest.md). */
import { cpus, loadavg } from 'node:os';
import type { ScenarioResult } from './scenario.js';
import { Tally } from './scenario.js';

export function resultsTable(results: ScenarioResult[]): string {
  const rows = [
    '| # | scenario | sends (cids) | acked | found | lost | doubled | stored, not acked: at the end | …before the retry settled it | held | time |',
    '|--:|---|--:|--:|--:|--:|--:|--:|--:|---|--:|',
  ];
  for (const r of results) {
    const t = r.ledger?.totals;
    const a = r.ledger?.audit;
    const cell = (v: number | undefined) => (v === undefined ? '–' : String(v));
    const settled = r.ledger ? Tally.of(r.ledger.storedBeforeRetry).total : undefined;
    rows.push(
      `| ${r.id} | ${r.title} | ${t ? `${t.attempts} (${t.cids})` : '–'} | ${cell(t?.acked)} | ${cell(a?.found)} | ${cell(a?.lost)} | ${cell(a?.doubled)} | ${cell(a?.storedNotAcked)} | ${cell(settled)} | ${r.findings.length ? `no: ${r.findings.length} finding(s)` : 'yes'} | ${(r.ms / 1000).toFixed(0)} s |`,
    );
  }
  return rows.join('\n');
}

export interface RunInfo {
  started: Date;
  totalMs: number;
  argv: string[];
  /** The 1-minute load average when the run started (other work on the machine skews every latency). */
  loadAtStart: number;
  /** The commit the server ran from. */
  tree: string;
  /** The first start that made the template DATA_DIR (initdb, migrations). */
  templateStartMs: number;
}

export function markdownReport(results: ScenarioResult[], run: RunInfo): string {
  const out: string[] = [
    '# Reliability run',
    '',
    `${run.started.toISOString()}, \`npm run reliability${run.argv.length ? ` -- ${run.argv.join(' ')}` : ''}\` on ${run.tree}, ${(run.totalMs / 1000).toFixed(0)} s, ` +
      `Node ${process.version}, ${cpus().length} cores, load average ${run.loadAtStart.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end ` +
      `(the runner and each server share these cores). Each server started on a copy of one DATA_DIR made by a first start ` +
      `(initdb, migrations: ${(run.templateStartMs / 1000).toFixed(1)} s). Method and reading: [docs/reliability.md](../../docs/reliability.md).`,
    '',
    resultsTable(results),
    '',
  ];
  for (const r of results) {
    out.push(`## ${r.id}. ${r.title}`, '', r.tried || '(no description: the scenario did not get far enough)', '');
    for (const [label, value] of r.figures) out.push(`- ${label}: ${value}`);
    if (r.ledger) {
      const { totals: t, audit: a } = r.ledger;
      out.push(
        `- ledger: ${t.cids} cids, ${t.attempts} sends; answers to sends: ${Tally.of(t.attemptOutcomes)}`,
        `- audit (${a.rooms} rooms, ${a.stored} rows read back in ${Math.round(a.ms)} ms): acked ${t.acked}, found ${a.found}, lost ${a.lost}, doubled ${a.doubled}, ` +
          `stored but never acked ${a.storedNotAcked}, ack/row mismatches ${a.ackMismatch}, seq gaps ${a.seqGaps}, rows of unknown cids ${a.foreign}`,
      );
    }
    for (const n of r.notes) out.push(`- note: ${n}`);
    out.push('', r.findings.length ? 'Did not hold:' : 'Held: every check passed.', '');
    for (const f of r.findings) out.push(`- ${f}`);
    if (r.findings.length) out.push('');
  }
  return out.join('\n');
}
