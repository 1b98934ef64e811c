/**
 * The ledger of a send storm: every send attempt by cid and how it was answered (an `ack`,
 * an `error` with its code, or nothing before the socket closed), and at the end an audit
 * that reads every room's history back over HTTP and holds it against what clients were told.
 *
 * A cid is unique to one message (one user, one room), so in the stored history:
 * - found: an acknowledged cid stored once;
 * - lost: acknowledged but not stored (the contract forbids it);
 * - doubled: stored more than once (forbidden too: a retry with the same cid must settle);
 * - stored, not acked: stored but never acknowledged to its sender (allowed: the sender
 *   retries with the same cid and is answered with the original ack);
 * - ack mismatch: the ack named another seq or id than the stored row;
 * - seq gaps: missing numbers in a room's 1..N (the contract says none).
 */
import { readHistory } from '../room-reads.js';

export type Answer = { t: 'ack'; seq: number; id: number; at: number } | { t: 'error'; code: string };

export interface Attempt {
  cid: string;
  sentAt: number;
  answeredAt?: number;
  /** The error code, 'ack', or 'closed' when the socket closed before any answer. */
  outcome?: string;
}

interface Entry {
  cid: string;
  room: string;
  body: string;
  owner: string;
  attempts: Attempt[];
  ack?: { seq: number; id: number; at: number };
  /** Acks naming another seq/id than the first ack for this cid. */
  conflictingAcks: number;
}

export interface LedgerTotals {
  /** Distinct cids sent. */
  cids: number;
  /** Sends on the wire, retries included. */
  attempts: number;
  /** Per outcome, over all attempts ('ack', an error code, 'closed', 'no answer'). */
  attemptOutcomes: Record<string, number>;
  acked: number;
  /** cids never acknowledged, by the outcome of their last attempt. */
  unackedBy: Record<string, number>;
  conflictingAcks: number;
}

export interface Audit {
  rooms: number;
  stored: number;
  found: number;
  lost: number;
  doubled: number;
  storedNotAcked: number;
  ackMismatch: number;
  seqGaps: number;
  /** Stored rows whose cid this ledger never sent (another client's, or a corruption). */
  foreign: number;
  /** A few cids of each kind of failure, for the report. */
  examples: string[];
  ms: number;
}

interface StoredMessage {
  seq: number;
  id: number;
  cid: string;
}

export class Ledger {
  private readonly entries = new Map<string, Entry>();
  /** Every attempt in send order, for figures over a time window. */
  readonly attempts: Attempt[] = [];

  /** Registers a new message; its cid must be unique to this ledger. */
  add(owner: string, room: string, cid: string, body: string): void {
    if (this.entries.has(cid)) throw new Error(`cid ${cid} registered twice`);
    this.entries.set(cid, { cid, room, body, owner, attempts: [], conflictingAcks: 0 });
  }

  message(cid: string): { room: string; body: string } {
    const e = this.entry(cid);
    return { room: e.room, body: e.body };
  }

  sent(cid: string, now: number): void {
    const a: Attempt = { cid, sentAt: now };
    this.entry(cid).attempts.push(a);
    this.attempts.push(a);
  }

  /** The answer to the cid's oldest unanswered attempt (answers come in send order on one socket). */
  answered(cid: string, answer: Answer, now: number): void {
    const e = this.entry(cid);
    const a = e.attempts.find((x) => x.outcome === undefined);
    if (a) {
      a.answeredAt = now;
      a.outcome = answer.t === 'ack' ? 'ack' : answer.code;
    }
    if (answer.t === 'ack') {
      if (!e.ack) e.ack = { seq: answer.seq, id: answer.id, at: answer.at };
      else if (e.ack.seq !== answer.seq || e.ack.id !== answer.id) e.conflictingAcks++;
    }
  }

  /** The socket closed with this attempt unanswered. */
  dropped(cid: string): void {
    const a = this.entry(cid).attempts.find((x) => x.outcome === undefined);
    if (a) a.outcome = 'closed';
  }

  isAcked(cid: string): boolean {
    return this.entry(cid).ack !== undefined;
  }

  /** cids of `owner` not acknowledged yet. */
  unacked(owner: string): string[] {
    return [...this.entries.values()].filter((e) => e.owner === owner && !e.ack).map((e) => e.cid);
  }

  /**
   * cids that went unanswered or were refused at first, whose final ack carries a commit
   * time before the last retry was sent: they had been stored all along, and the retry with
   * the same cid was answered with the original ack. Counted by the answer the attempt
   * before that retry got ('closed': none, the socket closed; 'unavailable': ...). Retries
   * wait at least the storm's back-off after that answer, so the clocks need not agree to
   * the millisecond.
   */
  storedBeforeRetry(): Record<string, number> {
    const by: Record<string, number> = {};
    for (const e of this.entries.values()) {
      const last = e.attempts.at(-1);
      const before = e.attempts.at(-2);
      if (e.ack && last && before && e.ack.at < performance.timeOrigin + last.sentAt) count(by, before.outcome ?? 'no answer');
    }
    return by;
  }

  rooms(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.room))];
  }

  totals(): LedgerTotals {
    const attemptOutcomes: Record<string, number> = {};
    const unackedBy: Record<string, number> = {};
    let acked = 0;
    let conflictingAcks = 0;
    for (const e of this.entries.values()) {
      for (const a of e.attempts) count(attemptOutcomes, a.outcome ?? 'no answer');
      conflictingAcks += e.conflictingAcks;
      if (e.ack) acked++;
      else count(unackedBy, e.attempts.at(-1)?.outcome ?? 'never sent');
    }
    return { cids: this.entries.size, attempts: this.attempts.length, attemptOutcomes, acked, unackedBy, conflictingAcks };
  }

  /** Reads back every room this ledger sent to and compares. */
  async audit(baseUrl: string, cookie: string): Promise<Audit> {
    const t0 = performance.now();
    const result: Audit = { rooms: 0, stored: 0, found: 0, lost: 0, doubled: 0, storedNotAcked: 0, ackMismatch: 0, seqGaps: 0, foreign: 0, examples: [], ms: 0 };
    const example = (what: string) => {
      if (result.examples.length < 12) result.examples.push(what);
    };
    const stored = new Map<string, StoredMessage[]>();
    for (const room of this.rooms()) {
      const history = await readHistory<StoredMessage>(baseUrl, cookie, room);
      result.rooms++;
      result.stored += history.length;
      history.forEach((m, i) => {
        const expected = i === 0 ? 1 : history[i - 1]!.seq + 1;
        if (m.seq !== expected) {
          result.seqGaps++;
          example(`${room}: seq ${m.seq} where ${expected} was due`);
        }
        const list = stored.get(m.cid) ?? [];
        list.push(m);
        stored.set(m.cid, list);
      });
    }
    for (const e of this.entries.values()) {
      const rows = stored.get(e.cid) ?? [];
      stored.delete(e.cid);
      if (rows.length > 1) {
        result.doubled++;
        example(`doubled: ${e.cid} at seq ${rows.map((r) => r.seq).join(', ')}`);
      }
      if (e.ack && rows.length === 0) {
        result.lost++;
        example(`lost: ${e.cid} acked as seq ${e.ack.seq}`);
      } else if (e.ack) {
        result.found++;
        if (rows[0]!.seq !== e.ack.seq || rows[0]!.id !== e.ack.id) {
          result.ackMismatch++;
          example(`ack mismatch: ${e.cid} acked seq ${e.ack.seq}, stored seq ${rows[0]!.seq}`);
        }
      } else if (rows.length > 0) {
        result.storedNotAcked++;
      }
    }
    for (const rows of stored.values()) result.foreign += rows.length;
    result.ms = performance.now() - t0;
    return result;
  }

  private entry(cid: string): Entry {
    const e = this.entries.get(cid);
    if (!e) throw new Error(`unknown cid ${cid}`);
    return e;
  }
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}
