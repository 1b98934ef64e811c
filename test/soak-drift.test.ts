/**
 * The soak's drift verdict (bench/soak/drift.ts) on series whose truth is known: noise that
 * wanders (neighbouring windows alike, as a p99's are) without a trend must be called flat,
 * a steady leak above the threshold must be called upward, and a few stalled windows at the
 * end must not turn a flat series upward.
 */
import { describe, expect, it } from 'vitest';
import { driftOf, type DriftRule } from '../bench/soak/drift.js';
import type { SoakSample } from '../bench/soak/results.js';
import { lag1Autocorrelation, linearFit } from '../bench/soak/stats.js';
import { seededRandom } from './seeded-random.js';

const SAMPLE_SECONDS = 10;
const WARMUP_SECONDS = 120;
/** A 30-minute run's samples: 180 windows of 10 s. */
const WINDOWS = 180;

/** A judged figure with the ack p99's threshold: a quarter of its median, at least 2. */
function ruleFor(values: number[]): DriftRule {
  return {
    key: 'x',
    label: 'x',
    unit: 'ms',
    value: (s) => values[s.t / SAMPLE_SECONDS - 1],
    threshold: (m) => Math.max(2, 0.25 * m),
    why: 'test',
  };
}

const samples = (n: number) => Array.from({ length: n }, (_, i) => ({ t: (i + 1) * SAMPLE_SECONDS }) as SoakSample);

/** Gaussian noise by Box-Muller from the seeded generator. */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** level + AR(1) noise: each window keeps `rho` of the last one's deviation, as backlog and GC cycles carry over. */
function wandering(seed: number, level: number, sd: number, rho: number, n = WINDOWS): number[] {
  const g = gaussian(seededRandom(seed));
  const out: number[] = [];
  let e = g() * sd;
  for (let i = 0; i < n; i++) {
    out.push(level + e);
    e = rho * e + Math.sqrt(1 - rho * rho) * sd * g();
  }
  return out;
}

describe('soak drift verdict', () => {
  it('finds no trend in wandering noise, where plain least-squares t finds one often', () => {
    // A p99 of about 65 ms moving by ±10 ms, neighbouring windows correlated 0.8: what the
    // 30-minute runs' ack p99 looked like. Rule 1's plain t treats 170 windows as 170
    // independent draws and so finds slopes in noise; rule 2 must not.
    let upward = 0;
    let plainSignificant = 0;
    let adjustedSignificant = 0;
    const runs = 200;
    for (let seed = 1; seed <= runs; seed++) {
      const values = wandering(seed, 65, 10, 0.8);
      const f = driftOf(samples(WINDOWS), WARMUP_SECONDS, ruleFor(values));
      if (f.upward) upward++;
      if (f.t! > 2) plainSignificant++;
      if (f.tAdjusted! > 2) adjustedSignificant++;
    }
    // One-sided t > 2 on independent residuals is wrong about 2.5% of the time; wandering noise makes plain t wrong far more often.
    expect(plainSignificant / runs).toBeGreaterThan(0.15);
    expect(adjustedSignificant / runs).toBeLessThanOrEqual(0.06);
    expect(upward / runs).toBeLessThanOrEqual(0.03);
  });

  it('calls a steady rise above the threshold upward', () => {
    // RSS-like: 160 MB rising 0.5 MB a minute (14 MB over the measured 28 minutes, threshold 8 MB), with wandering noise.
    for (let seed = 1; seed <= 20; seed++) {
      const values = wandering(seed, 160, 2, 0.8).map((v, i) => v + (0.5 * (i + 1) * SAMPLE_SECONDS) / 60);
      const rule = { ...ruleFor(values), threshold: (m: number) => 0.05 * m };
      const f = driftOf(samples(WINDOWS), WARMUP_SECONDS, rule);
      expect(f.upward, `seed ${seed}: ${JSON.stringify(f)}`).toBe(true);
      expect(f.robustChange!).toBeGreaterThan(10);
    }
  });

  it('calls a rise that is significant but smaller than the threshold flat', () => {
    // 0.1 ms a minute on a 65 ms p99: 2.8 ms over the span, under the 16 ms threshold, however certain.
    const values = Array.from({ length: WINDOWS }, (_, i) => 65 + (0.1 * (i + 1) * SAMPLE_SECONDS) / 60);
    const f = driftOf(samples(WINDOWS), WARMUP_SECONDS, ruleFor(values));
    expect(f.tAdjusted).toBeGreaterThan(2);
    expect(f.upward).toBe(false);
  });

  it('is not tipped upward by a few stalled windows at the end', () => {
    const values = wandering(7, 65, 3, 0.3);
    for (const i of [170, 174, 178]) values[i] = 400;
    const f = driftOf(samples(WINDOWS), WARMUP_SECONDS, ruleFor(values));
    expect(f.upward).toBe(false);
    // The least-squares line is tilted by them; the Theil-Sen slope is not.
    expect(f.fittedChange!).toBeGreaterThan(f.robustChange! + 5);
  });
});

describe('soak statistics', () => {
  it('lag-1 autocorrelation: near 1 for a slow wave, negative for alternation, 0 without spread', () => {
    expect(lag1Autocorrelation(Array.from({ length: 100 }, (_, i) => Math.sin(i / 10)))).toBeGreaterThan(0.9);
    expect(lag1Autocorrelation(Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 : -1)))).toBeLessThan(-0.9);
    expect(lag1Autocorrelation([3, 3, 3, 3])).toBe(0);
  });

  it('adjusted t is plain t for independent residuals and smaller when they follow each other', () => {
    const alternating = Array.from({ length: 60 }, (_, i) => [i, i * 0.1 + (i % 2 ? 1 : -1)] as [number, number]);
    const a = linearFit(alternating)!;
    expect(a.residualLag1).toBeLessThan(0);
    expect(a.tAdjusted).toBe(a.t);
    const wave = Array.from({ length: 60 }, (_, i) => [i, i * 0.1 + 3 * Math.sin(i / 6)] as [number, number]);
    const w = linearFit(wave)!;
    expect(w.residualLag1).toBeGreaterThan(0.8);
    expect(w.tAdjusted).toBeLessThan(w.t / 3);
  });
});
