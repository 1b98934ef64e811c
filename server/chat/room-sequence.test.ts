import { describe, expect, it } from 'vitest';
import { RoomSequence } from './room-sequence.js';
import { seededRandom } from '../../test/seeded-random.js';

describe('RoomSequence', () => {
  it('holds everything until it has a start, then releases what follows the start in order', () => {
    const s = new RoomSequence<number>();
    expect(s.offer(5, 5)).toEqual([]);
    expect(s.offer(7, 7)).toEqual([]);
    expect(s.offer(6, 6)).toEqual([]);
    expect(s.start(5)).toEqual([6, 7]);
    expect(s.delivered).toBe(7);
    expect(s.holding).toBe(0);
  });

  it('holds an early message until the gap closes, and drops repeats', () => {
    const s = new RoomSequence<number>();
    s.start(10);
    expect(s.offer(12, 12)).toEqual([]);
    expect(s.gap()).toEqual({ after: 10, upTo: 11 });
    expect(s.offer(12, 12)).toEqual([]);
    expect(s.offer(11, 11)).toEqual([11, 12]);
    expect(s.gap()).toBeUndefined();
    expect(s.offer(11, 11)).toEqual([]);
    expect(s.offer(3, 3)).toEqual([]);
  });

  it('the gap runs to the lowest held seq', () => {
    const s = new RoomSequence<number>();
    s.start(0);
    s.offer(9, 9);
    s.offer(4, 4);
    expect(s.gap()).toEqual({ after: 0, upTo: 3 });
  });

  // Property: whatever the order and however often messages arrive, each is delivered exactly
  // once and in seq order, as long as every seq after the start arrives at least once.
  it('delivers 1..N once each, in order, from any arrival order with repeats', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const start = Math.floor(random() * 5);
      const n = 1 + Math.floor(random() * 60);
      const arrivals: number[] = [];
      for (let seq = 1; seq <= n; seq++) {
        arrivals.push(seq);
        if (random() < 0.3) arrivals.push(seq);
      }
      for (let i = arrivals.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [arrivals[i], arrivals[j]] = [arrivals[j]!, arrivals[i]!];
      }
      const s = new RoomSequence<number>();
      const out: number[] = [];
      const startAt = Math.floor(random() * arrivals.length);
      arrivals.forEach((seq, i) => {
        if (i === startAt) out.push(...s.start(start));
        out.push(...s.offer(seq, seq));
      });
      if (s.delivered === undefined) out.push(...s.start(start));
      const expected = Array.from({ length: Math.max(0, n - start) }, (_, i) => start + 1 + i);
      expect(out, `seed ${seed}`).toEqual(expected);
      expect(s.holding).toBe(0);
    }
  });
});
