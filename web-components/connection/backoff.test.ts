import { describe, expect, it } from 'vitest';
import { seededRandom as rng } from '../../test/seeded-random.js';
import { BASE_MS, MAX_MS, reconnectDelay } from './backoff.js';

/** The largest double below 1: the top of what Math.random() can return. */
const ALMOST_ONE = 1 - 2 ** -53;

/** The ceiling for an attempt, written out independently of the implementation. */
const CEILINGS = [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000];

describe('reconnectDelay', () => {
  it('uses the documented constants', () => {
    expect(BASE_MS).toBe(500);
    expect(MAX_MS).toBe(30_000);
  });

  it('starts at 500 ms: the first retry waits between 250 and 500 ms', () => {
    expect(reconnectDelay(0, 0)).toBe(250);
    expect(reconnectDelay(0, 0.5)).toBe(375);
    expect(reconnectDelay(0, ALMOST_ONE)).toBe(500);
  });

  it('doubles per attempt until the 30 s cap', () => {
    CEILINGS.forEach((ceiling, attempt) => {
      expect(reconnectDelay(attempt, 0), `attempt ${attempt}, random 0`).toBe(ceiling / 2);
      expect(reconnectDelay(attempt, ALMOST_ONE), `attempt ${attempt}, random ~1`).toBe(ceiling);
    });
    // With the same random number, each step before the cap is exactly twice the previous one.
    for (const r of [0, 0.25, 0.5, 0.75]) {
      for (let attempt = 1; attempt <= 5; attempt++) {
        expect(reconnectDelay(attempt, r)).toBeCloseTo(2 * reconnectDelay(attempt - 1, r), -1);
      }
    }
  });

  it('is never above 30 s, for any attempt and random', () => {
    const random = rng(1);
    const over: string[] = [];
    for (let attempt = 0; attempt < 200; attempt++) {
      for (const r of [...Array.from({ length: 50 }, random), ALMOST_ONE]) {
        const d = reconnectDelay(attempt, r);
        if (!(d <= MAX_MS)) over.push(`attempt ${attempt}, random ${r}: ${d}`);
      }
    }
    expect(over).toEqual([]);
  });

  it('stays within [ceiling/2, ceiling] and grows (never shrinks) with the attempt for the same random', () => {
    const random = rng(20240601);
    const failures: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const r = random();
      let previous = 0;
      for (let attempt = 0; attempt < 40; attempt++) {
        const ceiling = Math.min(MAX_MS, BASE_MS * 2 ** attempt);
        const d = reconnectDelay(attempt, r);
        if (!Number.isInteger(d) || d < ceiling / 2 || d > ceiling || d < previous) {
          failures.push(`attempt ${attempt}, random ${r}: ${d} (ceiling ${ceiling}, previous ${previous})`);
        }
        previous = d;
      }
    }
    expect(failures).toEqual([]);
  });

  it('jitter: different randoms give different delays, spread over the whole range', () => {
    // Two tabs with different randoms do not retry at the same instant.
    expect(reconnectDelay(3, 0.1)).not.toBe(reconnectDelay(3, 0.9));
    expect(reconnectDelay(20, 0.1)).not.toBe(reconnectDelay(20, 0.9));
    expect(reconnectDelay(3, 0.1)).toBeLessThan(reconnectDelay(3, 0.9));

    // A thousand tabs after a restart: at the cap, the delays cover [15 s, 30 s] rather than
    // clumping. Ten buckets of 1.5 s each all get a fair share.
    const random = rng(7);
    const delays = Array.from({ length: 1000 }, () => reconnectDelay(30, random()));
    expect(new Set(delays).size).toBeGreaterThan(900);
    expect(Math.min(...delays)).toBeLessThan(15_000 + 300);
    expect(Math.max(...delays)).toBeGreaterThan(30_000 - 300);
    const buckets = new Array<number>(10).fill(0);
    for (const d of delays) buckets[Math.min(9, Math.floor((d - 15_000) / 1500))]!++;
    for (const n of buckets) expect(n).toBeGreaterThan(50);
  });

  it('attempt numbers far beyond the cap give the capped delay, not Infinity or NaN', () => {
    for (const attempt of [16, 17, 50, 1023, 1024, 1075, 10_000, 2 ** 31, Number.MAX_SAFE_INTEGER, Infinity]) {
      for (const r of [0, 0.5, ALMOST_ONE]) {
        const d = reconnectDelay(attempt, r);
        expect(Number.isFinite(d), `attempt ${attempt}: ${d}`).toBe(true);
        expect(d).toBe(Math.round(MAX_MS / 2 + (MAX_MS / 2) * r));
      }
    }
  });
});
