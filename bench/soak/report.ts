/**
 * The soak's results: the JSON of a run, a Markdown summary and an SVG of three stacked
 * panels over time (server RSS, event-loop delay, ack latency), each with the warm-up
 * shaded and the least-squares line of the drift verdict drawn over the rest, and a strip
 * of the machine's CPU pressure under them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DriftFigure } from './drift.js';
import type { SoakResult, SoakSample } from './results.js';
import { median } from './stats.js';

const MB = 1024 * 1024;
const num = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const fixed = (v: number | undefined, digits = 1) => (v === undefined ? '–' : v.toFixed(digits));
const signed = (v: number | undefined, digits = 2) => (v === undefined ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`);
const minutes = (s: number) => (s >= 120 ? `${num(s / 60, s % 60 ? 1 : 0)} min` : `${num(s)} s`);

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
  lines.push(`errors: ${countsText(r.final.errors)}; closed by the server: ${countsText(r.final.closedByServer)}; open at the end ${r.final.open}/${r.final.connections}; server up ${r.serverUpAtEnd ? 'yes' : 'NO'}`);
  for (const e of h.examples) lines.push(`  ${e}`);
  return lines;
}

function driftLine(f: DriftFigure): string {
  const verdict = f.informational ? '(shown, not judged)' : f.upward ? 'UPWARD' : 'flat';
  return (
    `${f.label}: slope ${signed(f.slopePerMinute, 3)} ${f.unit}/min (t ${fixed(f.t, 1)}), fitted change ${signed(f.fittedChange)} ${f.unit} ` +
    `vs threshold ${fixed(f.threshold, 2)}; halves ${fixed(f.firstHalfMedian, 2)} → ${fixed(f.secondHalfMedian, 2)} (${signed(f.halfChangePercent, 1)}%): ${verdict}`
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
      `${r.target === 'started' ? 'Parley started for the run (embedded PostgreSQL, fsync on)' : `Parley at ${r.target}`}; ` +
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
        .join(', ')}): the soak measures drift, not the limits, and signs up ${set.users} users from one address in seconds. ` +
        'Parley reads them once its per-address limits land; until then they are ignored.',
      '',
    );
  }
  lines.push(`**${r.drift.upward ? 'Upward drift' : 'No upward drift'}.**`, '');
  lines.push('![Server RSS, event-loop delay p99 and ack latency p99 over the run](soak-latest.svg)', '');
  lines.push('## Drift', '');
  lines.push('| figure | slope /min | t | fitted change over the span | threshold | first half median | second half median | change | verdict |', '|---|--:|--:|--:|--:|--:|--:|--:|---|');
  for (const f of r.drift.figures) {
    lines.push(
      `| ${f.label} (${f.unit}) | ${signed(f.slopePerMinute, 3)} | ${fixed(f.t, 1)} | ${signed(f.fittedChange)} | ${fixed(f.threshold, 2)} | ${fixed(f.firstHalfMedian, 2)} | ${fixed(f.secondHalfMedian, 2)} | ${signed(f.halfChangePercent, 1)}% | ${f.informational ? 'shown' : f.upward ? '**upward**' : 'flat'} |`,
    );
  }
  lines.push('', `Fitted over ${r.drift.figures[0]?.samples ?? 0} samples from ${minutes(r.drift.warmupSeconds)} to the end (${minutes(r.drift.spanSeconds)}). Upward means t > 2 and a fitted change above the threshold:`, '');
  for (const f of r.drift.figures) lines.push(`- ${f.label}: ${f.why}.`);
  lines.push('');

  lines.push(...contentionSection(s), '');
  lines.push('## Completeness', '');
  lines.push(
    `| sent | acked | stored once | lost | doubled | other seq | unanswered | errors (retried) | refused, stored | rooms with seq gaps | live-stream gaps / repeats | reconnections | open at the end | server up |`,
    '|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|---|',
    `| ${num(r.final.sent)} | ${num(h.acked)} | ${num(h.storedOnce)} | ${num(h.lost)} | ${num(h.doubled)} | ${num(h.mismatched)} | ${num(r.final.unanswered + r.final.closedUnanswered)} | ${countsText(r.final.errors)} (${num(r.final.retries)}) | ${num(r.final.refused)}, ${num(h.refusedStored)} | ${h.roomsWithSeqGaps} | ${r.final.stream.gaps} / ${r.final.stream.repeats} | ${num(r.final.reconnects)} | ${r.final.open}/${r.final.connections} | ${r.serverUpAtEnd ? 'yes' : '**no**'} |`,
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
function correlation(xs: Array<number | undefined>, ys: Array<number | undefined>): number | undefined {
  const pts = xs.map((x, i) => [x, ys[i]] as const).filter((p): p is readonly [number, number] => p[0] !== undefined && p[1] !== undefined);
  if (pts.length < 3) return undefined;
  const mx = pts.reduce((a, [x]) => a + x, 0) / pts.length;
  const my = pts.reduce((a, [, y]) => a + y, 0) / pts.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pts) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : undefined;
}

const CONTENTION_BANDS: Array<[label: string, from: number, to: number]> = [
  ['under 25%', 0, 25],
  ['25-50%', 25, 50],
  ['50% or more', 50, Infinity],
];

/**
 * The latency figures by how long the server's event loop waited for a CPU in the window:
 * on a shared machine this tells Parley's own latency from its neighbours'.
 */
function contentionSection(samples: SoakSample[]): string[] {
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
  return lines;
}

// ---- the terminal's table ---------------------------------------------------------------

const mbText = (b: number | undefined) => (b === undefined ? '–' : (b / MB).toFixed(1));
const msText = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const pct = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v)}%`);

/** Errors and server closes of a window, as `code:n` pairs. */
/** CPU the machine spent on anything but the server, its PostgreSQL and the load process, percent of one core. */
export function othersCpuPercent(s: SoakSample): number | undefined {
  if (s.serverCpuPercent === undefined || s.pgCpuPercent === undefined) return undefined;
  const busy = s.coreBusyPercent.reduce((a, b) => a + b, 0);
  return Math.max(0, busy - s.serverCpuPercent - s.pgCpuPercent - s.loadCpuPercent);
}

export function countsText(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k}:${v}`);
  return parts.length ? parts.join(' ') : '-';
}

const COLUMNS: Array<[string, number, (s: SoakSample) => string]> = [
  ['t s', 6, (s) => String(s.t)],
  ['RSS MB', 7, (s) => mbText(s.serverRssBytes)],
  ['heap MB', 7, (s) => mbText(s.serverHeapUsedBytes)],
  ['PG MB', 6, (s) => mbText(s.pgPssBytes)],
  ['ELD p50', 7, (s) => msText(s.eld?.p50)],
  ['ELD p99', 7, (s) => msText(s.eld?.p99)],
  ['ELD max', 7, (s) => msText(s.eld?.max)],
  ['ack p50', 7, (s) => msText(s.ackLatency?.p50)],
  ['ack p99', 7, (s) => msText(s.ackLatency?.p99)],
  ['acks/s', 6, (s) => s.acksPerSecond.toFixed(0)],
  ['open', 5, (s) => String(s.open)],
  ['recon', 5, (s) => String(s.reconnects)],
  ['srv CPU', 7, (s) => pct(s.serverCpuPercent)],
  ['srv wait', 8, (s) => pct(s.serverRunQueuePercent)],
  ['PG CPU', 6, (s) => pct(s.pgCpuPercent)],
  ['load CPU', 8, (s) => pct(s.loadCpuPercent)],
  ['load wait', 9, (s) => pct(s.loadRunQueuePercent)],
  ['others', 6, (s) => pct(othersCpuPercent(s))],
  ['CPU PSI', 7, (s) => pct(s.cpuPressurePercent)],
  ['errors', 0, (s) => countsText({ ...s.errors, ...Object.fromEntries(Object.entries(s.closedByServer).map(([k, v]) => [`close ${k}`, v])) })],
];

export function sampleHeader(): string {
  return COLUMNS.map(([h, w]) => h.padStart(w)).join(' ');
}

export function sampleLine(s: SoakSample): string {
  return COLUMNS.map(([, w, f]) => f(s).padStart(w)).join(' ');
}

// ---- SVG ------------------------------------------------------------------------------

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Gridlines for 0..max: a step of 1, 2 or 2.5 or 5 x 10^k giving four to eight of them. */
function axisTicks(max: number): { top: number; step: number } {
  const target = Math.max(max, 1e-9) * 1.05;
  const magnitude = 10 ** Math.floor(Math.log10(target / 5));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((st) => target / st <= 8)!;
  return { top: Math.ceil(target / step) * step, step };
}

interface Series {
  label: string;
  color: string;
  width: number;
  values: Array<number | undefined>;
}

interface TimePanel {
  y: number;
  height: number;
  title: string;
  unit: string;
  series: Series[];
  /** The drift figure of the first series, for its fitted line and the title's verdict. */
  drift?: DriftFigure;
  /**
   * Latency panels: a few windows far above the rest (a stall of the whole machine) would
   * flatten everything else, so the axis stops at 1.5 times the 95th percentile of the
   * values, and points above it are drawn on the top edge with their value.
   */
  clipOutliers?: boolean;
  /** A fixed top of the axis (percentages). */
  max?: number;
}

const WIDTH = 960;
const LEFT = 64;
const RIGHT = 24;

function axisTop(p: TimePanel, values: number[]): number {
  const max = values.length ? Math.max(...values) : 1;
  if (!p.clipOutliers || values.length < 10) return max;
  const sorted = Float64Array.from(values).sort();
  const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))]!;
  return Math.min(max, 1.5 * p95);
}

function timePanel(p: TimePanel, times: number[], endSeconds: number, warmupSeconds: number): string {
  const out: string[] = [];
  const top = p.y + 24;
  const plotH = p.height - 54;
  const plotW = WIDTH - LEFT - RIGHT;
  const values = p.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const { top: yTop, step } = p.max !== undefined ? { top: p.max, step: p.max / 2 } : axisTicks(axisTop(p, values));
  const xOf = (t: number) => LEFT + (t / endSeconds) * plotW;
  const yOf = (v: number) => top + plotH - (Math.min(v, yTop) / yTop) * plotH;
  const f = p.drift;
  const verdict = !f || f.slopePerMinute === undefined ? '' : ` · slope ${signed(f.slopePerMinute, 3)} ${p.unit}/min (t ${fixed(f.t, 1)}): ${f.upward ? 'UPWARD DRIFT' : 'flat'}`;
  out.push(`<text x="${LEFT}" y="${p.y + 16}" font-size="14" font-weight="600">${esc(p.title)}<tspan font-weight="400" fill="#475569">${esc(verdict)}</tspan></text>`);
  // Warm-up, left out of the fit.
  if (warmupSeconds > 0) {
    out.push(`<rect x="${LEFT}" y="${top}" width="${xOf(warmupSeconds) - LEFT}" height="${plotH}" fill="#f1f5f9"/>`);
    out.push(`<text x="${LEFT + 4}" y="${top + 12}" font-size="10" fill="#64748b">warm-up</text>`);
  }
  const digits = step < 1 ? Math.ceil(-Math.log10(step) - 1e-9) : 0;
  for (let v = 0; v <= yTop + step / 2; v += step) {
    const y = yOf(v);
    out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y}" y2="${y}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#475569">${esc(num(v, digits))}</text>`);
  }
  out.push(`<text x="14" y="${top + plotH / 2}" font-size="11" fill="#475569" text-anchor="middle" transform="rotate(-90 14 ${top + plotH / 2})">${esc(p.unit)}</text>`);
  const { step: xStep } = axisTicks(endSeconds / 60);
  for (let m = 0; m <= endSeconds / 60 + 1e-9; m += xStep) {
    const x = xOf(m * 60);
    out.push(`<line x1="${x}" x2="${x}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#94a3b8"/>`);
    out.push(`<text x="${x}" y="${top + plotH + 16}" text-anchor="middle" font-size="11" fill="#475569">${esc(num(m, xStep < 1 ? 1 : 0))}</text>`);
  }
  out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#94a3b8"/>`);
  // Later series first, so the first (the one judged) is drawn on top.
  for (const s of [...p.series].reverse()) {
    let d = '';
    let pen = 'M';
    s.values.forEach((v, k) => {
      if (v === undefined || !Number.isFinite(v)) {
        pen = 'M';
        return;
      }
      d += `${pen}${xOf(times[k]!).toFixed(1)},${yOf(v).toFixed(1)} `;
      pen = 'L';
    });
    out.push(`<path d="${d.trim()}" fill="none" stroke="${s.color}" stroke-width="${s.width}" stroke-linejoin="round"><title>${esc(s.label)}</title></path>`);
    s.values.forEach((v, k) => {
      if (v === undefined || v <= yTop) return;
      const x = xOf(times[k]!);
      out.push(`<path d="M${x - 4},${top + 6} L${x + 4},${top + 6} L${x},${top} Z" fill="${s.color}"><title>${esc(`${s.label} at ${minutes(times[k]!)}: ${num(v, 1)} ${p.unit}`)}</title></path>`);
      out.push(`<text x="${x + 6}" y="${top + 9}" font-size="10" fill="${s.color}">${esc(num(v, v < 100 ? 1 : 0))}</text>`);
    });
  }
  if (f?.slopePerMinute !== undefined) {
    const fitted = fittedEnds(times, p.series[0]!.values, warmupSeconds, f.slopePerMinute);
    if (fitted) {
      const [[x1, y1], [x2, y2]] = fitted;
      out.push(`<line x1="${xOf(x1)}" y1="${yOf(y1)}" x2="${xOf(x2)}" y2="${yOf(y2)}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="6 4"><title>least-squares line after the warm-up</title></line>`);
    }
  }
  // Legend in the plot's top right corner, on white so lines under it do not cross the text.
  const legendW = 150;
  const lx = LEFT + plotW - legendW * p.series.length - 6;
  out.push(`<rect x="${lx - 4}" y="${top + 2}" width="${legendW * p.series.length + 6}" height="18" fill="#ffffff" fill-opacity="0.85"/>`);
  p.series.forEach((s, i) => {
    const x = lx + i * legendW;
    out.push(`<line x1="${x}" x2="${x + 18}" y1="${top + 11}" y2="${top + 11}" stroke="${s.color}" stroke-width="${Math.max(2, s.width)}"/>`);
    out.push(`<text x="${x + 24}" y="${top + 15}" font-size="11">${esc(s.label)}</text>`);
  });
  return out.join('\n');
}

/** The fitted line's two ends (seconds, value), from the points after the warm-up: it passes through their mean. */
function fittedEnds(times: number[], values: Array<number | undefined>, warmupSeconds: number, slopePerMinute: number): [[number, number], [number, number]] | undefined {
  const pts = times.map((t, i) => [t, values[i]] as const).filter((p): p is readonly [number, number] => p[0] > warmupSeconds && p[1] !== undefined);
  if (pts.length < 2) return undefined;
  const mx = pts.reduce((s, [t]) => s + t, 0) / pts.length;
  const my = pts.reduce((s, [, v]) => s + v, 0) / pts.length;
  const at = (t: number): [number, number] => [t, my + (slopePerMinute * (t - mx)) / 60];
  return [at(pts[0]![0]), at(pts[pts.length - 1]![0])];
}

/**
 * Three panels, one per judged figure, and under them a thin strip of what else the
 * machine was doing (CPU pressure), which explains most latency spikes on a shared VM.
 */
export function svgChart(r: SoakResult): string {
  const times = r.samples.map((s) => s.t);
  const end = Math.max(r.settings.seconds, times[times.length - 1] ?? 0);
  const drift = (key: string) => r.drift.figures.find((f) => f.key === key);
  const panelH = 230;
  const stripH = 120;
  const height = 3 * panelH + stripH + 50;
  const panels: TimePanel[] = [
    {
      y: 10,
      height: panelH,
      title: 'Server RSS',
      unit: 'MB',
      drift: drift('rss'),
      series: [
        { label: 'RSS (VmRSS)', color: '#2563eb', width: 2, values: r.samples.map((s) => s.serverRssBytes && s.serverRssBytes / MB) },
        { label: 'JS heap used', color: '#93c5fd', width: 1.5, values: r.samples.map((s) => s.serverHeapUsedBytes && s.serverHeapUsedBytes / MB) },
      ],
    },
    {
      y: 10 + panelH,
      height: panelH,
      title: 'Server event-loop delay',
      unit: 'ms',
      drift: drift('eldP99'),
      clipOutliers: true,
      series: [
        { label: 'p99 per window', color: '#059669', width: 2, values: r.samples.map((s) => s.eld?.p99) },
        { label: 'p50 per window', color: '#6ee7b7', width: 1.5, values: r.samples.map((s) => s.eld?.p50) },
      ],
    },
    {
      y: 10 + 2 * panelH,
      height: panelH,
      title: 'Ack latency (send → ack)',
      unit: 'ms',
      drift: drift('ackP99'),
      clipOutliers: true,
      series: [
        { label: 'p99 per window', color: '#d97706', width: 2, values: r.samples.map((s) => s.ackLatency?.p99) },
        { label: 'p50 per window', color: '#fcd34d', width: 1.5, values: r.samples.map((s) => s.ackLatency?.p50) },
      ],
    },
    {
      y: 10 + 3 * panelH,
      height: stripH,
      title: 'Machine: time some task waited for a CPU (PSI)',
      unit: '%',
      max: 100,
      series: [{ label: 'CPU pressure', color: '#64748b', width: 1.5, values: r.samples.map((s) => s.cpuPressurePercent ?? undefined) }],
    },
  ];
  const caption =
    `${r.startedAt.slice(0, 10)} · ${num(r.settings.connections)} connections, ${r.settings.rooms} rooms, ${minutes(r.settings.seconds)}, a sample every ${r.settings.sampleSeconds} s · ` +
    `dashed: least-squares line after the warm-up · ${r.drift.upward ? 'upward drift' : 'no upward drift'}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...panels.map((p) => timePanel(p, times, end, p.max === undefined ? r.drift.warmupSeconds : 0)),
    `<text x="${LEFT + (WIDTH - LEFT - RIGHT) / 2}" y="${height - 24}" text-anchor="middle" font-size="11" fill="#475569">minutes since the workload started</text>`,
    `<text x="${WIDTH - RIGHT}" y="${height - 6}" text-anchor="end" font-size="11" fill="#475569">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes soak-<timestamp>.json (unless told not to), soak-latest.md and soak-latest.svg. */
export function writeSoakResults(r: SoakResult, dir: string, opts: { json: boolean }): { json?: string; md: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const files = { json: opts.json ? join(dir, `soak-${stamp}.json`) : undefined, md: join(dir, 'soak-latest.md'), svg: join(dir, 'soak-latest.svg') };
  if (files.json) writeFileSync(files.json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(files.md, markdownReport(r) + '\n');
  writeFileSync(files.svg, svgChart(r));
  return files;
}
