/**
 * The group-commit writer: every message is stored before anyone hears of it.
 *
 * Sends queue up while a commit is in flight and go together as the next batch (at most
 * `maxBatch`). One transaction per batch locks the batch's rooms in id order, answers
 * retried cids from the unique key, moves each room's last_seq on by its count and inserts
 * every new row in one statement. After COMMIT, `onCommitted` gets the new messages in seq
 * order per room (the caller publishes them), and only then are the senders answered.
 *
 * If the transaction fails, every sender in the batch gets StoreUnavailable: nothing of it
 * was stored, broadcast or acknowledged, and retrying with the same cid is safe. The next
 * batch simply tries again, so the writer recovers when PostgreSQL does.
 */
import type { ChatMessage, Member } from '../protocol/frames.js';
import { pgTimeMs, type SqlClient } from './pg-client.js';

export interface Send {
  roomId: number;
  room: string;
  user: Member;
  body: string;
  cid: string;
}

export interface Committed {
  message: ChatMessage;
  /** True when the cid had been stored before: this is the original message, not a new one. */
  duplicate: boolean;
}

/** The store could not take the message; nothing was stored. */
export class StoreUnavailable extends Error {
  readonly code = 'unavailable';
}

/** The room the message was for does not exist (any more). */
export class RoomGone extends Error {
  readonly code = 'not_found';
}

export interface GroupCommitOptions {
  /** Runs fn in one transaction (BEGIN ... COMMIT, rolled back when fn throws). */
  transaction: <T>(fn: (client: SqlClient) => Promise<T>) => Promise<T>;
  /** Called after each COMMIT with the new messages, in seq order within each room. */
  onCommitted: (messages: ChatMessage[]) => void;
  maxBatch: number;
  /** Sends waiting beyond this many are refused with StoreUnavailable at once. */
  maxQueue?: number;
  onError?: (err: unknown, batchSize: number) => void;
}

interface Pending extends Send {
  resolve: (c: Committed) => void;
  reject: (e: Error) => void;
}

const key = (roomId: number, userId: number, cid: string) => `${roomId}:${userId}:${cid}`;

export class GroupCommitWriter {
  private queue: Pending[] = [];
  private inFlight: Set<number> | undefined;
  private idleWaiters: Array<() => void> = [];
  private batchWaiters: Array<() => void> = [];
  private stats = { batches: 0, messages: 0 };

  constructor(private readonly opts: GroupCommitOptions) {}

  submit(send: Send): Promise<Committed> {
    return new Promise((resolve, reject) => {
      if (this.queue.length >= (this.opts.maxQueue ?? 50_000)) {
        reject(new StoreUnavailable('the message store is overloaded; retry with the same cid'));
        return;
      }
      this.queue.push({ ...send, resolve, reject });
      if (!this.inFlight) void this.drain();
    });
  }

  /** True while a batch with this room is being committed or is waiting to be published. */
  isCommitting(roomId: number): boolean {
    return this.inFlight?.has(roomId) ?? false;
  }

  /** Resolves when the batch now in flight has been published and answered (at once if none is). */
  batchDone(): Promise<void> {
    if (!this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.batchWaiters.push(resolve));
  }

  /** Resolves once no batch is in flight and the queue is empty. */
  whenIdle(): Promise<void> {
    if (!this.inFlight && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get committed(): { batches: number; messages: number } {
    return { ...this.stats };
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight = new Set(batch.map((p) => p.roomId));
      try {
        await this.commit(batch);
      } catch (err) {
        this.opts.onError?.(err, batch.length);
        const failure = new StoreUnavailable('the message store is unavailable; nothing was stored, retry with the same cid');
        for (const p of batch) p.reject(failure);
      }
      this.inFlight = undefined;
      for (const w of this.batchWaiters.splice(0)) w();
    }
    this.inFlight = undefined;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async commit(batch: Pending[]): Promise<void> {
    // The same cid twice in one batch is one message: later copies wait on the first.
    const firsts: Pending[] = [];
    const copies = new Map<string, Pending[]>();
    for (const p of batch) {
      const k = key(p.roomId, p.user.id, p.cid);
      const seen = copies.get(k);
      if (seen) seen.push(p);
      else {
        copies.set(k, []);
        firsts.push(p);
      }
    }

    const at = Date.now();
    const { fresh, earlier, gone } = await this.opts.transaction(async (db) => {
      const roomIds = [...new Set(firsts.map((p) => p.roomId))].sort((a, b) => a - b);
      // Row locks in id order: two writers (processes) can never wait on each other in a cycle.
      const locked = await db.query<{ id: number; last_seq: number }>(
        'SELECT id, last_seq FROM rooms WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE',
        [roomIds],
      );
      const lastSeq = new Map(locked.rows.map((r) => [r.id, r.last_seq]));
      const gone = firsts.filter((p) => !lastSeq.has(p.roomId));
      const live = firsts.filter((p) => lastSeq.has(p.roomId));

      // Retried cids are answered from the unique key; under the room lock nobody can add one meanwhile.
      const stored = await db.query<{ id: string; room_id: number; user_id: number; cid: string; seq: number; body: string; created_at: string | Date }>(
        `SELECT m.id, m.room_id, m.user_id, m.cid, m.seq, m.body, m.created_at
           FROM messages m
           JOIN unnest($1::int[], $2::int[], $3::text[]) AS k(room_id, user_id, cid)
             ON m.room_id = k.room_id AND m.user_id = k.user_id AND m.cid = k.cid`,
        [live.map((p) => p.roomId), live.map((p) => p.user.id), live.map((p) => p.cid)],
      );
      const earlier = new Map(stored.rows.map((r) => [key(r.room_id, r.user_id, r.cid), r]));
      const fresh = live.filter((p) => !earlier.has(key(p.roomId, p.user.id, p.cid)));
      if (fresh.length === 0) return { fresh: [] as Array<{ p: Pending; seq: number; id: number }>, earlier, gone };

      const seqs = fresh.map((p) => {
        const next = lastSeq.get(p.roomId)! + 1;
        lastSeq.set(p.roomId, next);
        return next;
      });
      const counts = new Map<number, number>();
      for (const p of fresh) counts.set(p.roomId, (counts.get(p.roomId) ?? 0) + 1);
      await db.query(
        `UPDATE rooms SET last_seq = rooms.last_seq + v.n, last_at = $3
           FROM unnest($1::int[], $2::int[]) AS v(id, n) WHERE rooms.id = v.id`,
        [[...counts.keys()], [...counts.values()], new Date(at)],
      );
      const inserted = await db.query<{ id: string; room_id: number; seq: number }>(
        `INSERT INTO messages (room_id, seq, user_id, body, cid, created_at)
         SELECT r, s, u, b, c, $6 FROM unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::text[]) AS v(r, s, u, b, c)
         RETURNING id, room_id, seq`,
        [fresh.map((p) => p.roomId), seqs, fresh.map((p) => p.user.id), fresh.map((p) => p.body), fresh.map((p) => p.cid), new Date(at)],
      );
      const idOf = new Map(inserted.rows.map((r) => [`${r.room_id}:${r.seq}`, Number(r.id)]));
      return { fresh: fresh.map((p, i) => ({ p, seq: seqs[i]!, id: idOf.get(`${p.roomId}:${seqs[i]}`)! })), earlier, gone };
    });

    // Committed. Publish first, in seq order per room (fresh is in queue order, and seqs were
    // handed out in that order), then answer the senders.
    const messages = fresh.map(({ p, seq, id }) => toMessage(p, id, seq, at));
    this.stats.batches++;
    this.stats.messages += messages.length;
    try {
      if (messages.length) this.opts.onCommitted(messages);
    } catch (err) {
      // Stored is stored: a publishing fault must not turn a commit into `unavailable`.
      this.opts.onError?.(err, messages.length);
    }

    const answer = (p: Pending, c: Committed) => {
      p.resolve(c);
      for (const copy of copies.get(key(p.roomId, p.user.id, p.cid)) ?? []) copy.resolve({ message: c.message, duplicate: true });
    };
    fresh.forEach(({ p }, i) => answer(p, { message: messages[i]!, duplicate: false }));
    for (const p of firsts) {
      const row = earlier.get(key(p.roomId, p.user.id, p.cid));
      if (row) {
        answer(p, { message: toMessage({ ...p, body: row.body }, Number(row.id), row.seq, pgTimeMs(row.created_at)), duplicate: true });
      }
    }
    for (const p of gone) {
      const err = new RoomGone(`room ${p.room} does not exist`);
      p.reject(err);
      for (const copy of copies.get(key(p.roomId, p.user.id, p.cid)) ?? []) copy.reject(err);
    }
  }
}

function toMessage(p: Send, id: number, seq: number, at: number): ChatMessage {
  return { room: p.room, id, seq, at, user: p.user, body: p.body, cid: p.cid };
}
