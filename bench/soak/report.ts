/**
 * The soak's results: the JSON of a run, its summary for the terminal, a Markdown report
 * (drift table, latency against CPU starvation, completeness, a sample a minute) and the
 * chart (chart.ts), written side by side into the results directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { svgChart } from './chart.js';
import { countsText, fixed, MB, minutes, num, othersCpuPercent, pct, signed } from './format.js';
import type { DriftFigure, SoakResult, SoakSample } from './results.js';
import { correlation, median } from './stats.js';

function range(values: Array<number | undefined>, digits = 1): string {
  const v = values.filter((x): x is number => x !== undefined);
  return v.length ? `${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)}` : '–';
}

function sumCounts(samples: SoakSample[], pick: (s: SoakSample) => Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Where the run ended up, in a few lines: the verdict, then what the end-of-run checks found. */

export function summaryLines(r: SoakResult): string[] {
  const s = r.samples;
  const rss = s.map((x) => x.serverRssBytes).filter((x): x is number => x !== undefined);
  const h = r.history;
  const lines = [
    `${minutes(r.settings.seconds)}, ${num(r.settings.connections)} connections, ${s.length} samples: ` + (r.drift.upward ? 'UPWARD DRIFT' : 'no upward drift'),
  ];
  if (rss.length) lines.push(`server RSS MB: first ${fixed(rss[0]! / MB)}, last ${fixed(rss[rss.length - 1]! / MB)}, max ${fixed(Math.max(...rss) / MB)}`);
  lines.push(`event-loop delay p99 ms: ${range(s.map((x) => x.eld?.p99), 2)}; ack p99 ms: ${range(s.map((x) => x.ackLatency?.p99))}`);
  for (const f of r.drift.figures) lines.push(`  ${driftLine(f)}`);
  lines.push(
    `sends ${num(r.final.sent)}, acked ${num(h.acked)}: ${num(h.storedOnce)} stored once, ${num(h.lost)} lost, ${num(h.doubled)} doubled, ${num(h.mismatched)} under another seq; ` +
      `unanswered: ${num(r.final.unanswered)} at the end, ${num(r.final.closedUnanswered)} when their connection closed (${num(h.unansweredStored)} of those stored); ` +
      `${num(r.final.refused)} refused (${num(h.refusedStored)} of those stored), ${num(h.foreign)} foreign, ${h.roomsWithSeqGaps} rooms with seq gaps`,
  );
  const st = r.final.stream;
  lines.push(`live streams: ${st.gaps} gaps, ${st.repeats} repeats, ${st.unexpected} unexpected, ${st.truncatedRejoins} truncated rejoins; reconnections ${num(r.final.reconnects)}`);
  lines.push(`errors: ${countsText(r.final.errors)}; closed by the server: ${countsText(r.final.closedByServer)}; open at the end ${r.final.open}/${r.final.connections}${unsettledText(r)}; server up ${r.serverUpAtEnd ? 'yes' : 'NO'}`);
  for (const e of h.examples) lines.push(`  ${e}`);
  return lines;
}

/** Connections that had not settled when the drain ended, and why (JSON of older runs has no such field). */
function unsettledText(r: SoakResult): string {
  const unsettled = r.final.unsettled ?? {};
  return Object.keys(unsettled).length ? ` (unsettled: ${countsText(unsettled)})` : '';
}

function driftLine(f: DriftFigure): string {
  const verdict = f.informational ? '(shown, not judged)' : f.upward ? 'UPWARD' : 'flat';
  return (
    `${f.label}: Theil-Sen change ${signed(f.robustChange)} ${f.unit} vs threshold ${fixed(f.threshold, 2)}, t ${fixed(f.t, 1)} (adjusted ${fixed(f.tAdjusted, 1)}); ` +
    `halves ${fixed(f.firstHalfMedian, 2)} → ${fixed(f.secondHalfMedian, 2)} (${signed(f.halfChangePercent, 1)}%): ${verdict}`
  );
}

export function markdownReport(r: SoakResult): string {
  const set = r.settings;
  const s = r.samples;
  const h = r.history;
  const lines: string[] = [];
  lines.push(`# Soak: ${minutes(set.seconds)}, ${num(set.connections)} connections`, '');
  lines.push(
    `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${r.machine.cpu}, ${r.machine.cores} cores · ${r.machine.os} · Node ${r.machine.node} · ${r.pinning}; ${r.priority}. ` +
      `${r.target === 'started' ? 'Parley started for the run (embedded PostgreSQL, fsync on)' : `Parley at ${r.target}`}` +
      `${r.serverRuntime?.uws ? ` on ${r.serverRuntime.uws}` : ''}${r.serverRuntime?.allocator ? ` with the ${r.serverRuntime.allocator} allocator` : ''}` +
      `${r.serverRuntime?.glibc ? ` and glibc ${r.serverRuntime.glibc}` : ''}; ` +
      `${set.users} users × ${set.connectionsPerUser} connections, ${set.rooms} rooms, each connection in ${set.roomsPerConnection.join('-')} of them, ` +
      `a send every ${set.sendEvery.join('-')} s (${Math.round(set.typingShare * 100)}% after a typing notice), a room change every ${set.churnEvery.join('-')} s, ` +
      `a reconnection (rejoining with since) every ${set.reconnectEvery.join('-')} s, per connection; seed ${set.seed}. ` +
      `Sampled every ${set.sampleSeconds} s; the first ${minutes(r.drift.warmupSeconds)} are warm-up, left out of the drift fit. Whole run ${minutes(Math.round(r.wallSeconds))}.`,
    '',
  );
  if (Object.keys(r.serverEnv).length) {
    lines.push(
      `Parley's abuse limits were raised (${Object.entries(r.serverEnv)
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(', ')}): the soak measures drift, not the limits, and signs up ${set.users} users from one address in seconds.`,
      '',
    );
  }
  lines.push(`**${r.drift.upward ? 'Upward drift' : 'No upward drift'}.**`, '');
  lines.push('![Server RSS, event-loop delay p99 and ack latency p99 over the run](soak-latest.svg)', '');
  lines.push('## Drift', '');
  lines.push(
    '| figure | Theil-Sen slope /min | its change over the span | threshold | least-squares slope /min | t | residual lag-1 r | adjusted t | first half median | second half median | change | verdict | rule 1 (least squares alone) |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|',
  );
  for (const f of r.drift.figures) {
    const judged = (upward: boolean | undefined) => (f.informational ? 'shown' : upward ? '**upward**' : upward === undefined ? '–' : 'flat');
    lines.push(
      `| ${f.label} (${f.unit}) | ${signed(f.robustSlopePerMinute, 3)} | ${signed(f.robustChange)} | ${fixed(f.threshold, 2)} | ${signed(f.slopePerMinute, 3)} | ${fixed(f.t, 1)} | ${fixed(f.residualLag1, 2)} | ${fixed(f.tAdjusted, 1)} | ` +
        `${fixed(f.firstHalfMedian, 2)} | ${fixed(f.secondHalfMedian, 2)} | ${signed(f.halfChangePercent, 1)}% | ${judged(f.upward)} | ${judged(f.upwardByRule1)} |`,
    );
  }
  lines.push(
    '',
    `Fitted over ${r.drift.figures[0]?.samples ?? 0} samples from ${minutes(r.drift.warmupSeconds)} to the end (${minutes(r.drift.spanSeconds)}). ` +
      `Judged by drift rule ${r.drift.rule ?? 1}: upward means the Theil-Sen slope (the median of the slopes between every pair of samples) gives a change over the span above the threshold, ` +
      `and the least-squares slope's t, corrected for neighbouring windows that move together (divided by sqrt((1 + r) / (1 - r)) for a positive lag-1 residual autocorrelation r), is above 2. ` +
      'Rule 1, shown in the last column, judged the least-squares line alone: plain t above 2 and its fitted change above the threshold. Thresholds:',
    '',
  );
  for (const f of r.drift.figures) lines.push(`- ${f.label}: ${f.why}.`);
  lines.push('', `Lowest server RSS in each 5 minutes, MB (what stays held, without the bursts a window may catch): ${rssFloors(s).join(', ')}.`, '');

  lines.push(...contentionSection(s, r.drift.warmupSeconds), '');
  lines.push('## Completeness', '');
  lines.push(
    `| sent | acked | stored once | lost | doubled | other seq | unanswered | errors (retried) | refused, stored | rooms with seq gaps | live-stream gaps / repeats | reconnections | open at the end | server up |`,
    '|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|---|',
    `| ${num(r.final.sent)} | ${num(h.acked)} | ${num(h.storedOnce)} | ${num(h.lost)} | ${num(h.doubled)} | ${num(h.mismatched)} | ${num(r.final.unanswered + r.final.closedUnanswered)} | ${countsText(r.final.errors)} (${num(r.final.retries)}) | ${num(r.final.refused)}, ${num(h.refusedStored)} | ${h.roomsWithSeqGaps} | ${r.final.stream.gaps} / ${r.final.stream.repeats} | ${num(r.final.reconnects)} | ${r.final.open}/${r.final.connections}${unsettledText(r)} | ${r.serverUpAtEnd ? 'yes' : '**no**'} |`,
    '',
    `History read back over HTTP (${num(h.stored)} messages in ${h.rooms} rooms, ${fixed(h.ms / 1000)} s) after the workload stopped and every connection had settled (${fixed(r.final.drainMs / 1000)} s). ` +
      `Live streams: every \`msg\` and rejoin backlog checked against the seq the connection held (${r.final.stream.unexpected} unexpected, ${r.final.stream.truncatedRejoins} truncated rejoins). ` +
      `Closed by the server: ${countsText(r.final.closedByServer)}. Setup: ${set.users} signups in ${fixed(r.setup.signupMs / 1000)} s, connections open and joined in ${fixed(r.setup.openMs / 1000)} s.`,
    '',
  );
  for (const e of h.examples) lines.push(`- ${e}`);
  for (const p of r.serverProblems) lines.push(`- server log: \`${p.replace(/`/g, "'")}\``);
  if (h.examples.length || r.serverProblems.length) lines.push('');

  lines.push('## Samples', '');
  const every = Math.max(1, Math.round(60 / set.sampleSeconds));
  const shown = s.length > 40 ? s.filter((x, i) => (i + 1) % every === 0 || i === 0 || i === s.length - 1) : s;
  if (shown.length < s.length) lines.push(`One sample a minute (of ${s.length}; all are in the JSON). Each covers the ${set.sampleSeconds} s before it.`, '');
  lines.push(
    '| t | RSS MB | heap MB | PG MB | ELD p50 ms | ELD p99 ms | ELD max ms | ack p50 ms | ack p99 ms | ack max ms | acks/s | open | reconnections | server CPU | server wait | PG CPU | load CPU | load wait | others CPU | CPU pressure | errors |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  );
  const mb = (b: number | undefined) => (b === undefined ? '–' : (b / MB).toFixed(0));
  for (const x of shown) {
    lines.push(
      `| ${minutes(x.t)} | ${mb(x.serverRssBytes)} | ${mb(x.serverHeapUsedBytes)} | ${mb(x.pgPssBytes)} | ${fixed(x.eld?.p50, 2)} | ${fixed(x.eld?.p99, 2)} | ${fixed(x.eld?.max)} | ` +
        `${fixed(x.ackLatency?.p50)} | ${fixed(x.ackLatency?.p99)} | ${fixed(x.ackLatency?.max)} | ${num(x.acksPerSecond)} | ${x.open} | ${x.reconnects} | ${pct(x.serverCpuPercent)} | ${pct(x.serverRunQueuePercent)} | ` +
        `${pct(x.pgCpuPercent)} | ${pct(x.loadCpuPercent)} | ${pct(x.loadRunQueuePercent)} | ${pct(othersCpuPercent(x))} | ${pct(x.cpuPressurePercent)} | ${countsText({ ...x.errors, ...x.closedByServer })} |`,
    );
  }
  const errs = sumCounts(s, (x) => x.errors);
  lines.push(
    '',
    `Errors over all windows: ${countsText(errs)}. CPU columns are percent of one core over the window. "server wait" and "load wait": the share of the window the ` +
      'main thread of the server (its event loop) or of the load process was ready to run but waited for a CPU. "others CPU": what the rest of the machine used. ' +
      '"CPU pressure": the share of the window in which any task of the machine waited for a CPU (/proc/pressure/cpu).',
    '',
  );
  return lines.join('\n');
}

/** Pearson's correlation of two series over the points where both have a value. */

const CONTENTION_BANDS: Array<[label: string, from: number, to: number]> = [
  ['under 25%', 0, 25],
  ['25-50%', 25, 50],
  ['50% or more', 50, Infinity],
];

/** The lowest RSS of each 5 minutes of samples. */
function rssFloors(samples: SoakSample[], everySeconds = 300): string[] {
  const floors = new Map<number, number>();
  for (const x of samples) {
    if (x.serverRssBytes === undefined) continue;
    const block = Math.floor((x.t - 1) / everySeconds);
    floors.set(block, Math.min(floors.get(block) ?? Infinity, x.serverRssBytes));
  }
  return [...floors.values()].map((b) => fixed(b / MB, 0));
}

/**
 * The latency figures by how long the server's event loop waited for a CPU in the window:
 * on a shared machine this tells Parley's own latency from its neighbours'.
 */
function contentionSection(samples: SoakSample[], warmupSeconds: number): string[] {
  const waits = samples.map((x) => x.serverRunQueuePercent);
  if (waits.every((w) => w === undefined)) return [];
  const lines = ['## Latency against CPU starvation', ''];
  lines.push('| server waited for a CPU | windows | ELD p99 ms (median) | ack p99 ms (median) | server CPU (median) | others CPU (median) |', '|---|--:|--:|--:|--:|--:|');
  for (const [label, from, to] of CONTENTION_BANDS) {
    const band = samples.filter((x) => x.serverRunQueuePercent !== undefined && x.serverRunQueuePercent >= from && x.serverRunQueuePercent < to);
    const med = (pick: (x: SoakSample) => number | undefined) => median(band.map(pick).filter((v): v is number => v !== undefined));
    lines.push(
      `| ${label} of the window | ${band.length} | ${fixed(med((x) => x.eld?.p99), 1)} | ${fixed(med((x) => x.ackLatency?.p99), 1)} | ${fixed(med((x) => x.serverCpuPercent), 0)}% | ${fixed(med(othersCpuPercent), 0)}% |`,
    );
  }
  const rEld = correlation(waits, samples.map((x) => x.eld?.p99));
  const rAck = correlation(waits, samples.map((x) => x.ackLatency?.p99));
  lines.push(
    '',
    `Correlation over all windows of the server's run-queue wait with its event-loop delay p99: ${fixed(rEld, 2)}; with the ack p99: ${fixed(rAck, 2)}. ` +
      'A window in the first row shows Parley with a CPU to itself; the others show what its neighbours on this VM cost it.',
  );
  // The same halves as the drift table's: did the starvation itself drift?
  const used = samples.filter((x) => x.t > warmupSeconds);
  const half = Math.floor(used.length / 2);
  const halves = [used.slice(0, half), used.slice(used.length - half)];
  const med = (part: SoakSample[], pick: (x: SoakSample) => number | undefined) => median(part.map(pick).filter((v): v is number => v !== undefined));
  const pair = (pick: (x: SoakSample) => number | undefined) => halves.map((h) => `${fixed(med(h, pick), 0)}%`).join(' → ');
  lines.push(
    '',
    `From the first half to the second (after the warm-up), medians: the server's run-queue wait ${pair((x) => x.serverRunQueuePercent)}, ` +
      `the rest of the machine's CPU ${pair(othersCpuPercent)}, the server's own CPU ${pair((x) => x.serverCpuPercent)}, acks a second ` +
      `${halves.map((h) => fixed(med(h, (x) => x.acksPerSecond), 0)).join(' → ')}, messages delivered live a second ` +
      `${halves.map((h) => fixed(med(h, (x) => x.delivered / x.windowSeconds), 0)).join(' → ')}` +
      // Runs before the backlog was counted have no such field.
      (used.every((x) => typeof x.backlog === 'number')
        ? `, messages in join backlogs a second ${halves.map((h) => fixed(med(h, (x) => x.backlog / x.windowSeconds), 0)).join(' → ')}.`
        : '.'),
  );
  return lines;
}

export function writeSoakResults(r: SoakResult, dir: string, opts: { json: boolean }): { json?: string; md: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const files = { json: opts.json ? join(dir, `soak-${stamp}.json`) : undefined, md: join(dir, 'soak-latest.md'), svg: join(dir, 'soak-latest.svg') };
  if (files.json) writeFileSync(files.json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(files.md, markdownReport(r) + '\n');
  writeFileSync(files.svg, svgChart(r));
  return files;
}
