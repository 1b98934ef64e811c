import { describe, expect, it } from 'vitest';
import { seededRandom as rng } from '../../test/seeded-random.js';
import { TypingThrottle } from './typing-throttle.js';

const T0 = 1_700_000_000_000;

describe('TypingThrottle', () => {
  it('lets one notice per interval through for a user and room, dropping the rest', () => {
    const t = new TypingThrottle(2000);
    expect(t.allow(1, 'r', T0)).toBe(true);
    expect(t.allow(1, 'r', T0)).toBe(false);
    expect(t.allow(1, 'r', T0 + 1999)).toBe(false);
    expect(t.allow(1, 'r', T0 + 2000)).toBe(true);
    expect(t.allow(1, 'r', T0 + 2001)).toBe(false);
    expect(t.allow(1, 'r', T0 + 3999)).toBe(false);
    expect(t.allow(1, 'r', T0 + 4000)).toBe(true);
  });

  it('dropped notices do not push the window on: a steady typist gets one every interval', () => {
    const t = new TypingThrottle(2000);
    const passed: number[] = [];
    for (let ms = 0; ms <= 10_000; ms += 100) if (t.allow(1, 'r', T0 + ms)) passed.push(ms);
    expect(passed).toEqual([0, 2000, 4000, 6000, 8000, 10_000]);
  });

  it('users and rooms are independent', () => {
    const t = new TypingThrottle(2000);
    expect(t.allow(1, 'a', T0)).toBe(true);
    expect(t.allow(2, 'a', T0)).toBe(true);
    expect(t.allow(1, 'b', T0)).toBe(true);
    expect(t.allow(1, 'a', T0 + 1)).toBe(false);
    expect(t.allow(2, 'a', T0 + 1)).toBe(false);
    expect(t.allow(1, 'b', T0 + 1)).toBe(false);
    expect(t.allow(2, 'b', T0 + 1)).toBe(true);
  });

  it('does not confuse keys that concatenate alike (user 1 in "2x" vs user 12 in "x")', () => {
    const t = new TypingThrottle(2000);
    expect(t.allow(1, '2x', T0)).toBe(true);
    expect(t.allow(12, 'x', T0)).toBe(true);
    expect(t.allow(1, '2-x', T0)).toBe(true);
    expect(t.allow(12, '-x', T0)).toBe(true);
  });

  it('interval 0 lets everything through', () => {
    const t = new TypingThrottle(0);
    for (let i = 0; i < 5000; i++) expect(t.allow(i % 7, 'r', T0)).toBe(true);
  });

  // Property: over a long random run with far more distinct typists than are active at once,
  // decisions match a brute-force model and the map stays bounded by the number of keys
  // active in the last two intervals (a sweep runs at most once per interval) or its
  // sweep threshold, whichever is larger.
  it('matches a model and stays bounded over a long random run', () => {
    const SWEEP_THRESHOLD = 1024;
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const interval = 2000;
      const t = new TypingThrottle(interval);
      const model = new Map<string, number>();
      let now = T0;
      let maxSize = 0;
      let everDistinct = 0;
      // Keys allowed within the last two intervals, kept incrementally: a queue of allowed
      // events in time order, an event counting only while it is its key's latest.
      const events: Array<[key: string, at: number]> = [];
      let head = 0;
      let recent = 0;
      for (let i = 0; i < 200_000; i++) {
        now += Math.floor(r() * 3);
        // A population drifting over time: a few hundred users in 4 rooms are active at any
        // moment, but over the whole run tens of thousands of (user, room) pairs type.
        const user = (Math.floor(now / 20) % 100_000) + Math.floor(r() * 500);
        const room = `room-${Math.floor(r() * 4)}`;
        const key = `${user}/${room}`;
        const prev = model.get(key);
        const expected = prev === undefined || now - prev >= interval;
        if (prev === undefined) everDistinct++;
        const got = t.allow(user, room, now);
        if (got !== expected) expect.fail(`seed ${seed} step ${i}: allow(${user}, ${room}) gave ${got}, the model says ${expected}`);
        if (expected) {
          for (; head < events.length && events[head]![1] <= now - 2 * interval; head++) {
            const [k, at] = events[head]!;
            if (model.get(k) === at) recent--;
          }
          if (!(prev !== undefined && prev > now - 2 * interval)) recent++;
          model.set(key, now);
          events.push([key, now]);
          if (t.size > Math.max(SWEEP_THRESHOLD, recent)) expect.fail(`seed ${seed} step ${i}: ${t.size} entries, ${recent} keys active in two intervals`);
        }
        maxSize = Math.max(maxSize, t.size);
      }
      expect(everDistinct).toBeGreaterThan(20_000);
      // The sweep had work to do, and did it.
      expect(maxSize).toBeGreaterThan(SWEEP_THRESHOLD);
      expect(maxSize).toBeLessThan(everDistinct / 4);
    }
  });
});
