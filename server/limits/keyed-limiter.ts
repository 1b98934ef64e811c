/**
 * Rate limits per key (a client address, an account, a user id): `burst` events at once,
 * refilled evenly so that `burst` more are allowed per `periodMs`. Pure: the caller passes
 * the clock.
 *
 * Each key keeps one number, the time at which its bucket will be full again (the generic
 * cell rate algorithm's "theoretical arrival time"), so a key costs a map entry and a key at
 * full capacity needs no entry at all: sweeping forgets it. The key count is capped, so a
 * flood of distinct keys (rotating IPv6 addresses) costs bounded memory; past the cap the
 * oldest keys are forgotten, which errs towards letting someone through, never towards
 * locking the map up.
 *
 * Usage: `const wait = limiter.wait(key, now)`; when 0, `limiter.take(key, now)`; give a
 * token back with `refund(key)` when the event turned out not to count (a login that
 * succeeded). Taking before an await and refunding after keeps concurrent callers honest.
 */
export interface RateLimit {
  /** Events allowed at once. */
  burst: number;
  /** The time in which a whole burst refills, ms. */
  periodMs: number;
}

const DEFAULT_MAX_KEYS = 100_000;

export class KeyedLimiter {
  /** Per key: when its bucket is full again (ms, the caller's clock). */
  private fullAt = new Map<string, number>();
  private readonly interval: number;
  private readonly window: number;

  constructor(
    readonly limit: RateLimit,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {
    this.interval = limit.periodMs / limit.burst;
    this.window = limit.periodMs;
  }

  /** 0 when an event for `key` is allowed now, else the whole ms until one will be. */
  wait(key: string, now: number): number {
    const full = Math.max(this.fullAt.get(key) ?? now, now);
    const over = full + this.interval - now - this.window;
    return over > 0 ? Math.ceil(over) : 0;
  }

  /** Takes one event for `key` (whether or not it was allowed: call wait() first). */
  take(key: string, now: number): void {
    const full = Math.max(this.fullAt.get(key) ?? now, now);
    if (!this.fullAt.has(key) && this.fullAt.size >= this.maxKeys) this.makeRoom(now);
    this.fullAt.set(key, full + this.interval);
  }

  /** wait() and, when allowed, take(): 0 when taken, else the ms to wait. */
  attempt(key: string, now: number): number {
    const w = this.wait(key, now);
    if (w === 0) this.take(key, now);
    return w;
  }

  /** Gives back one event taken for `key`. */
  refund(key: string): void {
    const full = this.fullAt.get(key);
    if (full !== undefined) this.fullAt.set(key, full - this.interval);
  }

  /** Keys currently remembered (for tests and metrics). */
  get size(): number {
    return this.fullAt.size;
  }

  /** Forgets every key whose bucket is full again. */
  sweep(now: number): void {
    for (const [key, full] of this.fullAt) if (full <= now) this.fullAt.delete(key);
  }

  private makeRoom(now: number): void {
    this.sweep(now);
    // Still full of busy keys: forget the oldest tenth (Map keeps insertion order).
    if (this.fullAt.size >= this.maxKeys) {
      let drop = Math.max(1, Math.floor(this.maxKeys / 10));
      for (const key of this.fullAt.keys()) {
        this.fullAt.delete(key);
        if (--drop === 0) break;
      }
    }
  }
}
