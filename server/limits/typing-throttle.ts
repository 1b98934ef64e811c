/**
 * At most one typing notice per user and room in each interval; the rest are dropped.
 * Pure: the caller passes the clock. Old entries are swept as the map grows, so memory
 * follows the number of people typing, not the number who ever typed.
 */
export class TypingThrottle {
  private last = new Map<string, number>();
  private sweepAt = 0;

  constructor(private readonly intervalMs: number) {}

  /** True when this notice should go out. */
  allow(userId: number, room: string, now: number): boolean {
    const key = `${userId}\u0000${room}`;
    const prev = this.last.get(key);
    if (prev !== undefined && now - prev < this.intervalMs) return false;
    this.last.set(key, now);
    if (this.last.size > 1024 && now - this.sweepAt >= this.intervalMs) this.sweep(now);
    return true;
  }

  get size(): number {
    return this.last.size;
  }

  private sweep(now: number): void {
    this.sweepAt = now;
    for (const [key, at] of this.last) if (now - at >= this.intervalMs) this.last.delete(key);
  }
}
