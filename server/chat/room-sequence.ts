/**
 * One room's delivery order on this node, as pure state: messages go out in seq order, each
 * once, whatever order they arrive in.
 *
 * In a cluster a node hears a room's messages from its own writer and from every other node
 * over the broker, and seq 7 committed on one node may arrive before seq 6 committed on
 * another. The sequence holds what arrives early and releases it once the gap is closed,
 * either by the late message or by the caller filling the gap from PostgreSQL (gap()).
 * Until it has a starting point (start(), from a join's read of the room's last seq) it
 * holds everything.
 */
export class RoomSequence<T> {
  /** The last seq delivered; undefined until start(). */
  private last: number | undefined;
  private held = new Map<number, T>();

  get delivered(): number | undefined {
    return this.last;
  }

  get holding(): number {
    return this.held.size;
  }

  /**
   * Sets where delivery starts: everything up to `seq` counts as delivered (the join read it
   * from PostgreSQL), held messages after it are released in order. Returns them.
   */
  start(seq: number): T[] {
    this.last = seq;
    for (const s of this.held.keys()) if (s <= seq) this.held.delete(s);
    return this.release();
  }

  /** Takes a message; returns what can now be delivered, in order (empty when it is early or a repeat). */
  offer(seq: number, item: T): T[] {
    if (this.last !== undefined && seq <= this.last) return [];
    if (this.held.has(seq)) return [];
    this.held.set(seq, item);
    return this.last === undefined ? [] : this.release();
  }

  /** The missing range, when something after it is held: seqs after..upTo are needed. */
  gap(): { after: number; upTo: number } | undefined {
    if (this.last === undefined || this.held.size === 0) return undefined;
    let lowest = Infinity;
    for (const s of this.held.keys()) if (s < lowest) lowest = s;
    return { after: this.last, upTo: lowest - 1 };
  }

  private release(): T[] {
    const out: T[] = [];
    for (let next = this.last! + 1; this.held.has(next); next++) {
      out.push(this.held.get(next)!);
      this.held.delete(next);
      this.last = next;
    }
    return out;
  }
}
