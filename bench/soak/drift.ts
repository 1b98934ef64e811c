/**
 * The drift verdict: after a warm-up, each figure's trend over the measured span, judged on
 * two counts. A figure drifts upward when
 * - its least-squares slope is significant once the t is corrected for neighbouring windows
 *   that move together (tAdjusted > 2), and
 * - the growth its Theil-Sen slope gives over the span exceeds the figure's threshold.
 * Both, because over a long run a slope far too small to matter is still "significant", and a
 * large difference between two noisy points is not a trend. The Theil-Sen slope measures the
 * size because a few windows far above the rest (a p99 caught by one stall) tilt a
 * least-squares line and barely move it.
 *
 * This is the second rule (DRIFT_RULE_VERSION 2). The first judged the least-squares line
 * alone (plain t > 2, its fitted change above the threshold); its figures are still reported.
 * Rule 2 was committed before the run that first used it. It came after two 30-minute runs
 * whose RSS and event-loop delay were flat and whose ack p99 rule 1 called upward (plain t 2.8
 * and 2.1, fitted change +34 and +28 ms against thresholds of 16 and 18) while the Theil-Sen
 * change was +11 and +6 ms: a few high windows tilted the line (docs/reliability.md, "Soak").
 * The t correction matters for RSS, whose windows follow each other (residual lag-1 r about 0.7).
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
export const DRIFT_RULE_VERSION = 2;

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
  const robustChange = robustSlope === undefined ? undefined : robustSlope * span;
  const threshold = m === undefined ? undefined : rule.threshold(m);
  return {
    key: rule.key,
    label: rule.label,
    unit: rule.unit,
    samples: points.length,
    slopePerMinute: fit?.slope,
    t: fit?.t,
    tAdjusted: fit?.tAdjusted,
    residualLag1: fit?.residualLag1,
    fittedChange,
    robustSlopePerMinute: robustSlope,
    robustChange,
    median: m,
    firstHalfMedian: first,
    secondHalfMedian: second,
    halfChangePercent: first !== undefined && second !== undefined && first !== 0 ? ((second - first) / first) * 100 : undefined,
    threshold,
    why: rule.why,
    informational: !!rule.informational,
    upward: !!fit && fit.tAdjusted > SIGNIFICANT_T && robustChange !== undefined && threshold !== undefined && robustChange > threshold,
    upwardByRule1: !!fit && fit.t > SIGNIFICANT_T && fittedChange !== undefined && threshold !== undefined && fittedChange > threshold,
  };
}

export function driftReport(samples: SoakSample[], warmupSeconds: number): DriftReport {
  const figures = DRIFT_RULES.map((r) => driftOf(samples, warmupSeconds, r));
  const used = samples.filter((s) => s.t > warmupSeconds);
  return {
    rule: DRIFT_RULE_VERSION,
    warmupSeconds,
    spanSeconds: used.length ? used[used.length - 1]!.t - used[0]!.t : 0,
    figures,
    upward: figures.some((f) => !f.informational && f.upward),
  };
}
