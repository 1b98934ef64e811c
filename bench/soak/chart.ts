/**
 * The soak's chart, hand-written SVG: three stacked panels over time (server RSS,
 * event-loop delay, ack latency), each with the warm-up shaded and the Theil-Sen line of the
 * drift verdict drawn over the rest, and a strip under them of how long the server's
 * event loop, and anything on the machine, waited for a CPU.
 */
import type { DriftFigure } from './results.js';
import { fixed, MB, minutes, num, signed } from './format.js';
import type { SoakResult } from './results.js';
import { medianIntercept } from './stats.js';

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
  const verdict =
    !f || f.robustSlopePerMinute === undefined
      ? ''
      : ` · Theil-Sen ${signed(f.robustSlopePerMinute, 3)} ${p.unit}/min (adjusted t ${fixed(f.tAdjusted, 1)}): ${f.upward ? 'UPWARD DRIFT' : 'flat'}`;
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
    if (p.max !== undefined) continue; // a fixed scale (percentages): rounding may pass it, nothing is hidden
    s.values.forEach((v, k) => {
      if (v === undefined || v <= yTop) return;
      const x = xOf(times[k]!);
      out.push(`<path d="M${x - 3},${top + 5} L${x + 3},${top + 5} L${x},${top} Z" fill="${s.color}"><title>${esc(`${s.label} at ${minutes(times[k]!)}: ${num(v, 1)} ${p.unit}`)}</title></path>`);
    });
  }
  // One note for the windows above the axis rather than a label each (they crowd).
  const above = p.max === undefined ? p.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && v > yTop).map((v) => [s.label, v] as const)) : [];
  if (above.length) {
    const highest = Math.max(...above.map(([, v]) => v));
    const text = `▲ ${above.length} window${above.length === 1 ? '' : 's'} above ${num(yTop)} ${p.unit} (highest ${num(highest)} ${p.unit})`;
    out.push(`<rect x="${LEFT + 70}" y="${top + 2}" width="${text.length * 6 + 8}" height="16" fill="#ffffff" fill-opacity="0.85"/>`);
    out.push(`<text x="${LEFT + 74}" y="${top + 14}" font-size="11" fill="#334155">${esc(text)}</text>`);
  }
  if (f?.robustSlopePerMinute !== undefined) {
    const fitted = theilSenEnds(times, p.series[0]!.values, warmupSeconds, f.robustSlopePerMinute);
    if (fitted) {
      const [[x1, y1], [x2, y2]] = fitted;
      out.push(`<line x1="${xOf(x1)}" y1="${yOf(y1)}" x2="${xOf(x2)}" y2="${yOf(y2)}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="6 4"><title>Theil-Sen line after the warm-up</title></line>`);
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

/** The Theil-Sen line's two ends (seconds, value), over the points after the warm-up. */
function theilSenEnds(times: number[], values: Array<number | undefined>, warmupSeconds: number, slopePerMinute: number): [[number, number], [number, number]] | undefined {
  const pts = times
    .map((t, i) => [t / 60, values[i]] as [number, number | undefined])
    .filter((p): p is [number, number] => p[0] * 60 > warmupSeconds && p[1] !== undefined);
  const intercept = medianIntercept(pts, slopePerMinute);
  if (pts.length < 2 || intercept === undefined) return undefined;
  const at = (minute: number): [number, number] => [minute * 60, intercept + slopePerMinute * minute];
  return [at(pts[0]![0]), at(pts[pts.length - 1]![0])];
}

/**
 * Three panels, one per judged figure, and under them a thin strip of what else the
 * machine was doing (time spent waiting for a CPU), which explains latency spikes on a shared VM.
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
      title: 'Waiting for a CPU, share of each window',
      unit: '%',
      max: 100,
      series: [
        { label: 'server event loop', color: '#334155', width: 1.5, values: r.samples.map((s) => s.serverRunQueuePercent ?? undefined) },
        { label: 'any task (PSI)', color: '#cbd5e1', width: 1.5, values: r.samples.map((s) => s.cpuPressurePercent ?? undefined) },
      ],
    },
  ];
  const caption =
    `${r.startedAt.slice(0, 10)} · ${num(r.settings.connections)} connections, ${r.settings.rooms} rooms, ${minutes(r.settings.seconds)}, a sample every ${r.settings.sampleSeconds} s · ` +
    `dashed: Theil-Sen line after the warm-up · ${r.drift.upward ? 'upward drift' : 'no upward drift'}`;
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
