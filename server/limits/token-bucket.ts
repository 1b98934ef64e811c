/**
 * A token bucket: `rate` tokens a second, holding at most `burst`. Pure: the caller passes
 * the clock, so tests can drive time.
 *
 * Kept in integer units (one token = 1000 units; each millisecond adds `rate` units) so that
 * waiting exactly the `retry_after` it returns is always enough, and a clock stepping
 * backwards only pauses the refill instead of draining the bucket.
 */
const UNIT = 1000;

export class TokenBucket {
  private units: number;
  private at: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.units = burst * UNIT;
    this.at = now;
  }

  /** Takes one token. Returns 0 when allowed, else the whole ms until a token will be there. */
  take(now: number): number {
    const elapsed = Math.max(0, Math.floor(now - this.at));
    this.units = Math.min(this.burst * UNIT, this.units + elapsed * this.rate);
    // Advance by whole ms only, keeping the fraction of a ms for the next call.
    if (now > this.at) this.at += elapsed;
    if (this.units >= UNIT) {
      this.units -= UNIT;
      return 0;
    }
    return Math.ceil((UNIT - this.units) / this.rate);
  }
}
