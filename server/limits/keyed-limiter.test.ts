import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyedLimiter } from './keyed-limiter.js';

describe('KeyedLimiter', () => {
  it('allows a burst, then refills one event per period/burst', () => {
    const l = new KeyedLimiter({ burst: 5, periodMs: 60_000 });
    for (let i = 0; i < 5; i++) expect(l.attempt('a', 0)).toBe(0);
    expect(l.attempt('a', 0)).toBe(12_000);
    expect(l.attempt('a', 11_999)).toBe(1);
    expect(l.attempt('a', 12_000)).toBe(0);
    expect(l.attempt('a', 12_000)).toBe(12_000);
  });

  it('keeps keys apart', () => {
    const l = new KeyedLimiter({ burst: 1, periodMs: 1000 });
    expect(l.attempt('a', 0)).toBe(0);
    expect(l.attempt('b', 0)).toBe(0);
    expect(l.attempt('a', 0)).toBeGreaterThan(0);
  });

  it('refund gives an event back, so successes need not count', () => {
    const l = new KeyedLimiter({ burst: 2, periodMs: 1000 });
    for (let i = 0; i < 10; i++) {
      expect(l.attempt('a', 0)).toBe(0);
      l.refund('a');
    }
    expect(l.attempt('a', 0)).toBe(0);
    expect(l.attempt('a', 0)).toBe(0);
    expect(l.attempt('a', 0)).toBe(500);
  });

  it('forgets keys whose bucket is full again, and caps how many it remembers', () => {
    const l = new KeyedLimiter({ burst: 2, periodMs: 1000 }, 100);
    for (let i = 0; i < 50; i++) l.take(`k${i}`, 0);
    l.sweep(499);
    expect(l.size).toBe(50);
    l.sweep(500);
    expect(l.size).toBe(0);
    for (let i = 0; i < 1000; i++) l.take(`k${i}`, 0);
    expect(l.size).toBeLessThanOrEqual(100);
  });

  it('never allows more than burst + elapsed/interval events (any schedule)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 10, max: 100_000 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
        (burst, periodMs, gaps) => {
          const l = new KeyedLimiter({ burst, periodMs });
          let now = 0;
          let allowed = 0;
          for (const gap of gaps) {
            now += gap;
            const wait = l.attempt('k', now);
            if (wait === 0) allowed++;
            else {
              // Waiting exactly what it says is always enough.
              expect(l.wait('k', now + wait)).toBe(0);
            }
          }
          expect(allowed).toBeLessThanOrEqual(burst + Math.floor(now / (periodMs / burst)));
        },
      ),
    );
  });
});
