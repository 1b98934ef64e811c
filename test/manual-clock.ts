/** A Clock that moves only when a test says so, running the timers it passes on the way. */
import type { Clock } from '../server/clock.js';

interface Timer {
  every: number;
  next: number;
  fn: () => unknown;
}

export class ManualClock implements Clock {
  private t: number;
  private timers = new Set<Timer>();

  constructor(start = Date.now()) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  every(ms: number, fn: () => unknown): () => void {
    const timer: Timer = { every: ms, next: this.t + ms, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /**
   * Moves time on by `ms`, running each timer at the moments it falls due, earliest first,
   * and waiting for whatever it returns (a renewal's query) before going on.
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      let due: Timer | undefined;
      for (const timer of this.timers) if (timer.next <= end && (!due || timer.next < due.next)) due = timer;
      if (!due) break;
      this.t = due.next;
      due.next += due.every;
      await due.fn();
    }
    this.t = end;
  }
}

/**
 * The real clock plus jumps: everything runs in real time as usual (timers, rate limits
 * refilling), and a test that needs time to have passed jumps ahead instead of sleeping.
 * For a whole server, where a frozen clock would also freeze every rate limit.
 */
export class JumpingClock implements Clock {
  private shift = 0;

  now(): number {
    return Date.now() + this.shift;
  }

  every(ms: number, fn: () => unknown): () => void {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Makes `ms` more milliseconds seem to have passed. */
  jump(ms: number): void {
    this.shift += ms;
  }
}
