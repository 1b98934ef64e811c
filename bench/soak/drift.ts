/**
 * The drift verdict: after a warm-up, a least-squares line through each figure's samples,
 * its slope per minute, how much it says the figure grew over the measured span, and the
 * change from the first half's median to the second half's. A figure drifts upward when its
 * slope is significant (t > 2) and the growth the line gives over the span exceeds the
 * figure's threshold; both, because over a long run a slope far too small to matter is
 * still "significant", and a large difference between two noisy points is not a trend.
 */
import type { DriftFigure, DriftReport, SoakSample } from './results.js';
import { linearFit, median, theilSenSlope } from './stats.js';

export interface DriftRule {
  key: string;
  label: string;
  unit: string;
  value(s: SoakSample): number | undefined;
  /** Growth over the span that counts as drift, from the figure's median. */
  threshold(median: number): number;
  /** Why that threshold, in one line for the report. */
  why: string;
  /** Shown, but not part of the verdict. */
  informational?: boolean;
}

const MB = 1024 * 1024;
const SIGNIFICANT_T = 2;

export const DRIFT_RULES: DriftRule[] = [
  {
    key: 'rss',
    label: 'server RSS',
    unit: 'MB',
    value: (s) => (s.serverRssBytes === undefined ? undefined : s.serverRssBytes / MB),
    threshold: (m) => 0.05 * m,
    why:
      '5% of its median: the garbage collector moves RSS by a few MB from window to window, while a leak of ' +
      'the sizes that matter (a kilobyte per reconnection, a few dozen bytes per message, over a 30-minute run) crosses it',
  },
  {
    key: 'eldP99',
    label: 'event-loop delay p99',
    unit: 'ms',
    value: (s) => s.eld?.p99,
    threshold: (m) => Math.max(1, 0.25 * m),
    why: 'a quarter of its median, at least 1 ms: windows on a shared 2-core VM differ by more than that from noise alone',
  },
  {
    key: 'ackP99',
    label: 'ack latency p99',
    unit: 'ms',
    value: (s) => s.ackLatency?.p99,
    threshold: (m) => Math.max(2, 0.25 * m),
    why: 'a quarter of its median, at least 2 ms: each ack waits for an fsync\'d commit, whose tail moves by milliseconds from noise alone',
  },
  {
    key: 'heapUsed',
    label: 'server heap used',
    unit: 'MB',
    value: (s) => (s.serverHeapUsedBytes === undefined ? undefined : s.serverHeapUsedBytes / MB),
    threshold: (m) => 0.1 * m,
    why: 'read at whatever point of the GC cycle the second ended: noisy, shown to tell a heap leak from other memory',
    informational: true,
  },
  {
    key: 'pgPss',
    label: 'PostgreSQL PSS',
    unit: 'MB',
    value: (s) => (s.pgPssBytes === undefined ? undefined : s.pgPssBytes / MB),
    threshold: (m) => 0.05 * m,
    why: 'grows with the table and index pages it touches: shown, not judged',
    informational: true,
  },
];

export function driftOf(samples: SoakSample[], warmupSeconds: number, rule: DriftRule): DriftFigure {
  const points = samples
    .filter((s) => s.t > warmupSeconds)
    .map((s) => [s.t / 60, rule.value(s)] as [number, number | undefined])
    .filter((p): p is [number, number] => p[1] !== undefined && Number.isFinite(p[1]));
  const fit = linearFit(points);
  const values = points.map(([, y]) => y);
  const half = Math.floor(values.length / 2);
  const m = median(values);
  const first = median(values.slice(0, half));
  const second = median(values.slice(values.length - half));
  const span = points.length ? points[points.length - 1]![0] - points[0]![0] : 0;
  const fittedChange = fit && fit.slope * span;
  const robustSlope = theilSenSlope(points);
  const threshold = m === undefined ? undefined : rule.threshold(m);
  return {
    key: rule.key,
    label: rule.label,
    unit: rule.unit,
    samples: points.length,
    slopePerMinute: fit?.slope,
    t: fit?.t,
    fittedChange,
    robustSlopePerMinute: robustSlope,
    robustChange: robustSlope === undefined ? undefined : robustSlope * span,
    median: m,
    firstHalfMedian: first,
    secondHalfMedian: second,
    halfChangePercent: first !== undefined && second !== undefined && first !== 0 ? ((second - first) / first) * 100 : undefined,
    threshold,
    why: rule.why,
    informational: !!rule.informational,
    upward: !!fit && fit.t > SIGNIFICANT_T && fittedChange !== undefined && threshold !== undefined && fittedChange > threshold,
  };
}

export function driftReport(samples: SoakSample[], warmupSeconds: number): DriftReport {
  const figures = DRIFT_RULES.map((r) => driftOf(samples, warmupSeconds, r));
  const used = samples.filter((s) => s.t > warmupSeconds);
  return {
    warmupSeconds,
    spanSeconds: used.length ? used[used.length - 1]!.t - used[0]!.t : 0,
    figures,
    upward: figures.some((f) => !f.informational && f.upward),
  };
}
