/** The few statistics the soak needs: percentiles, medians, a correlation, a least-squares line and a robust slope. */
import type { LatencyFigures } from './messages.js';

/** Nearest-rank percentile of values sorted ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** p50, p99 and max of values (any order), or undefined without any. */
export function latencyFigures(values: number[]): LatencyFigures | undefined {
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  return { count: values.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface LineFit {
  /** y per unit of x. */
  slope: number;
  intercept: number;
  /** Standard error of the slope (ordinary least squares, residuals assumed independent). */
  slopeStdErr: number;
  /** slope / slopeStdErr: above about 2, a slope this far from 0 is unlikely from noise alone, if the residuals are independent. */
  t: number;
  /** Lag-1 autocorrelation of the residuals in x order. */
  residualLag1: number;
  /**
   * t with the standard error widened for residuals that follow each other (a slow wave of
   * windows above the line, then below it): by sqrt((1 + r) / (1 - r)) for a positive lag-1
   * autocorrelation r, the usual correction for an AR(1) series. Neighbouring 10 s windows of
   * a p99 share the same backlog and the same GC cycles, so plain t overstates how sure a slope is.
   */
  tAdjusted: number;
}

export function correlation(xs: Array<number | undefined>, ys: Array<number | undefined>): number | undefined {
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

/**
 * Theil-Sen slope: the median of the slopes between every pair of points. A few windows far
 * above the rest (a p99 caught by one stall) move it little, where they can tilt a
 * least-squares line. Undefined with fewer than 2 points of distinct x.
 */
export function theilSenSlope(points: Array<[x: number, y: number]>): number | undefined {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]![0] - points[i]![0];
      if (dx !== 0) slopes.push((points[j]![1] - points[i]![1]) / dx);
    }
  }
  return median(slopes);
}

/** Ordinary least squares through (x, y); undefined with fewer than 3 points or no spread in x. */
export function linearFit(points: Array<[x: number, y: number]>): LineFit | undefined {
  const n = points.length;
  if (n < 3) return undefined;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const residuals = [...points].sort((a, b) => a[0] - b[0]).map(([x, y]) => y - intercept - slope * x);
  const residual = residuals.reduce((s, e) => s + e * e, 0);
  const slopeStdErr = Math.sqrt(residual / (n - 2) / sxx);
  const t = slopeStdErr > 0 ? slope / slopeStdErr : slope === 0 ? 0 : Infinity * Math.sign(slope);
  const r = lag1Autocorrelation(residuals);
  // Capped below 1: a residual series that only ever rises would make the factor infinite.
  const widen = r > 0 ? Math.sqrt((1 + r) / (1 - Math.min(r, 0.99))) : 1;
  return { slope, intercept, slopeStdErr, t, residualLag1: r, tAdjusted: t / widen };
}

/** Correlation of each value with the next, around their mean; 0 for fewer than 3 values or none that differ. */
export function lag1Autocorrelation(values: number[]): number {
  const n = values.length;
  if (n < 3) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    den += d * d;
    if (i + 1 < n) num += d * (values[i + 1]! - mean);
  }
  return den > 0 ? num / den : 0;
}

/** The Theil-Sen line's intercept: the median of y - slope * x. */
export function medianIntercept(points: Array<[x: number, y: number]>, slope: number): number | undefined {
  return median(points.map(([x, y]) => y - slope * x));
}

