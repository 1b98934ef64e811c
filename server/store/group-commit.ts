/**
 * The group-commit writer: every message is stored before anyone hears of it.
 *
 * Sends queue up while a commit is in flight and go together as the next batch (at most
 * `maxBatch`). Each batch is one SQL statement, hence one transaction (see COMMIT_BATCH, and
 * COMMIT_ONE for a batch of one): it locks the batch's rooms, answers retried cids from the
 * unique key, moves each room's last_seq on by its count and inserts every new row. After
 * it commits, `onCommitted` gets the new messages in seq order per room (the caller
 * publishes them), and only then are the senders answered.
 *
 * If the statement fails, every sender in the batch gets StoreUnavailable: nothing of it was
 * broadcast or acknowledged, and retrying with the same cid is safe. Nothing was stored either,
 * unless the failure was the client's own deadline on a database that stopped answering: then
 * PostgreSQL may still commit the batch when it resumes, and the retry finds it by its cid. The next
 * batch simply tries again, so the writer recovers when PostgreSQL does.
 */
import type { ChatMessage, Member } from '../protocol/frames.js';
import { pgTimeMs } from './pg-time.js';
import type { SqlClient } from './writer-pool.js';

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

/** The store could not take the message (nothing stored, or unknown after a deadline: retry with the same cid). */
export class StoreUnavailable extends Error {
  readonly code = 'unavailable';
}

/** The room the message was for does not exist (any more). */
export class RoomGone extends Error {
  readonly code = 'not_found';
}

/** PostgreSQL refused this message's data itself; retrying it cannot help. */
export class MessageRefused extends Error {
  readonly code = 'invalid';
}

/** The contract's error code for a rejected submit (each writer error carries one). */
export function storeErrorCode(err: unknown): 'not_found' | 'invalid' | 'unavailable' {
  const code = (err as { code?: unknown }).code;
  return code === 'not_found' || code === 'invalid' ? code : 'unavailable';
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity violation) blame rows, not the server. */
function blamesData(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

export interface GroupCommitOptions {
  /** Lends fn a database connection for the batch's single statement. */
  run: <T>(fn: (client: SqlClient) => Promise<T>) => Promise<T>;
  /** Called after each COMMIT with the new messages, in seq order within each room. */
  onCommitted: (messages: ChatMessage[]) => void;
  maxBatch: number;
  /**
   * How long a batch may wait, at most, for senders that were part of the last round and
   * have not sent again yet (0: never wait). See linger().
   */
  lingerMs?: number;
  /** Sends waiting beyond this many are refused with StoreUnavailable at once. */
  maxQueue?: number;
  onError?: (err: unknown, batchSize: number) => void;
  /** After each batch statement that succeeded: how many sends it wrote, and how long it took. */
  onBatch?: (size: number, seconds: number) => void;
}

interface Pending extends Send {
  resolve: (c: Committed) => void;
  reject: (e: Error) => void;
}

const UNCERTAIN_MAX = 10_000;

const key = (roomId: number, userId: number, cid: string) => `${roomId}:${userId}:${cid}`;

export class GroupCommitWriter {
  private queue: Pending[] = [];
  /** True from the first queued send until the queue has been written out. */
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  /** Sends whose batch failed in a way that may still have committed (see remember()). */
  private uncertain: Send[] = [];
  private stats = { batches: 0, messages: 0 };
  /** Sends that were queued or committing together when the last batch finished. */
  private lastRound = 0;
  /** While a batch lingers: the queue length that ends the wait, and how to end it. */
  private lingering: { until: number; wake: () => void } | undefined;

  constructor(private readonly opts: GroupCommitOptions) {}

  submit(send: Send): Promise<Committed> {
    return new Promise((resolve, reject) => {
      if (this.queue.length >= (this.opts.maxQueue ?? 50_000)) {
        reject(new StoreUnavailable('the message store is overloaded; retry with the same cid'));
        return;
      }
      this.queue.push({ ...send, resolve, reject });
      if (this.lingering && this.queue.length >= this.lingering.until) this.lingering.wake();
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  /** Resolves once no batch is in flight and the queue is empty. */
  whenIdle(): Promise<void> {
    if (!this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get committed(): { batches: number; messages: number } {
    return { ...this.stats };
  }

  private async drain(): Promise<void> {
    // Each batch starts one event-loop turn late: sends that arrive in the same turn (a burst
    // of frames, or senders answered by the last commit sending again) share the batch
    // instead of splitting into a batch of one and a batch of the rest.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      await this.linger();
      const batch = this.queue.splice(0, this.opts.maxBatch);
      if (this.uncertain.length) await this.settleUncertain().catch((err) => this.opts.onError?.(err, this.uncertain.length));
      try {
        await this.commit(batch);
      } catch (err) {
        this.opts.onError?.(err, batch.length);
        if (batch.length > 1 && blamesData(err)) {
          // One bad row must not sink everyone else's messages: write them one by one.
          await this.commitEach(batch);
        } else {
          this.remember(batch);
          const failure = new StoreUnavailable('the message store is unavailable; retry with the same cid');
          for (const p of batch) p.reject(failure);
        }
      }
      this.lastRound = batch.length + this.queue.length;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.draining = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * Under a steady load of senders that each wait for their answer before sending again, the
   * batches settle into two halves taking turns: one commits while the other queues. Each
   * room then gets few messages per commit, and every subscriber one frame per write. So
   * when fewer sends are queued than took part in the last round, the batch waits (at most
   * lingerMs) for the rest, whose answers have just gone out. A lone sender never waits:
   * the round must have had several senders.
   */
  private async linger(): Promise<void> {
    const ms = this.opts.lingerMs ?? 0;
    const until = Math.min(this.lastRound, this.opts.maxBatch);
    if (ms <= 0 || this.lastRound < 4 || this.queue.length >= until) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(wake, ms);
      function wake() {
        clearTimeout(timer);
        resolve();
      }
      this.lingering = { until, wake };
    });
    this.lingering = undefined;
  }

  /**
   * A failure can come after PostgreSQL committed (the connection died before the answer).
   * Such sends are remembered; before the next batch, whichever of them did get stored is
   * published, so the room's stream has no hole, and a retry of one is then a duplicate.
   */
  private remember(batch: Pending[]): void {
    for (const p of batch) this.uncertain.push({ roomId: p.roomId, room: p.room, user: p.user, body: p.body, cid: p.cid });
    if (this.uncertain.length > UNCERTAIN_MAX) this.uncertain.splice(0, this.uncertain.length - UNCERTAIN_MAX);
  }

  private async settleUncertain(): Promise<void> {
    const sends = this.uncertain;
    const rows = await this.opts.run((db) =>
      db.query<{ ord: string; id: string; seq: number; body: string; created_at: string }>(
        `SELECT i.ord, m.id, m.seq, m.body, m.created_at
           FROM unnest($1::int[], $2::int[], $3::text[]) WITH ORDINALITY AS i(room_id, user_id, cid, ord)
           ${STORED_MESSAGE_OF_I}`,
        [sends.map((u) => u.roomId), sends.map((u) => u.user.id), sends.map((u) => u.cid)],
      ),
    );
    this.uncertain = [];
    const stored = rows.rows.map((r) => {
      const u = sends[Number(r.ord) - 1]!;
      return toMessage({ ...u, body: r.body }, Number(r.id), r.seq, pgTimeMs(r.created_at));
    });
    stored.sort((a, b) => (a.room === b.room ? a.seq - b.seq : a.room < b.room ? -1 : 1));
    if (stored.length) this.opts.onCommitted(stored);
  }

  private async commitEach(batch: Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        await this.commit([p]);
      } catch (err) {
        if (blamesData(err)) {
          p.reject(new MessageRefused(`the store refused this message: ${(err as Error).message}`));
        } else {
          this.remember([p]);
          p.reject(new StoreUnavailable('the message store is unavailable; retry with the same cid'));
        }
      }
    }
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
    const started = performance.now();
    const rows = await this.opts.run((db) => (firsts.length === 1 ? commitOne(db, firsts[0]!, at) : commitBatch(db, firsts, at)));
    this.opts.onBatch?.(firsts.length, (performance.now() - started) / 1000);

    // Committed. Publish first, in seq order per room, then answer the senders.
    const fresh: Array<{ p: Pending; message: ChatMessage }> = [];
    const earlier: Array<{ p: Pending; message: ChatMessage }> = [];
    const gone: Pending[] = [];
    const byKey = new Map(firsts.map((p) => [key(p.roomId, p.user.id, p.cid), p]));
    for (const r of rows) {
      const p = r.kind === 'new' ? byKey.get(key(r.room_id!, r.user_id!, r.cid!))! : firsts[Number(r.ord) - 1]!;
      if (r.kind === 'gone') gone.push(p);
      else if (r.kind === 'new') fresh.push({ p, message: toMessage(p, Number(r.id), r.seq!, at) });
      else earlier.push({ p, message: toMessage({ ...p, body: r.body! }, Number(r.id), r.seq!, pgTimeMs(r.created_at!)) });
    }
    fresh.sort((a, b) => a.message.seq - b.message.seq);
    const messages = fresh.map((f) => f.message);
    this.stats.batches++;
    this.stats.messages += messages.length;
    try {
      if (messages.length) this.opts.onCommitted(messages);
    } catch (err) {
      // Stored is stored: a publishing fault must not turn a commit into `unavailable`.
      this.opts.onError?.(err, messages.length);
    }

    const copiesOf = (p: Pending) => copies.get(key(p.roomId, p.user.id, p.cid)) ?? [];
    for (const { p, message } of fresh) {
      p.resolve({ message, duplicate: false });
      for (const copy of copiesOf(p)) copy.resolve({ message, duplicate: true });
    }
    for (const { p, message } of earlier) {
      for (const waiter of [p, ...copiesOf(p)]) waiter.resolve({ message, duplicate: true });
    }
    for (const p of gone) {
      const err = new RoomGone(`room ${p.room} does not exist`);
      for (const waiter of [p, ...copiesOf(p)]) waiter.reject(err);
    }
  }
}

/** A row of a commit's answer: a new message, a cid stored before, or a room that is gone. */
interface CommitRow {
  kind: 'new' | 'old' | 'gone';
  /** The send's position in the batch, from 1 (for 'old' and 'gone'). */
  ord: string | null;
  id: string | null;
  seq: number | null;
  /** For 'new': the send's key, unique within a batch. */
  room_id: number | null;
  user_id: number | null;
  cid: string | null;
  /** For 'old': the stored message. */
  body: string | null;
  created_at: string | null;
}

async function commitBatch(db: SqlClient, firsts: Send[], at: number): Promise<CommitRow[]> {
  const values = [firsts.map((p) => p.roomId), firsts.map((p) => p.user.id), firsts.map((p) => p.body), firsts.map((p) => p.cid), new Date(at)];
  return (await db.query<CommitRow>({ name: 'parley_commit_batch', text: COMMIT_BATCH, values })).rows;
}

/** The same for one send, in COMMIT_ONE's cheaper statement, answered in the batch's shape. */
async function commitOne(db: SqlClient, p: Send, at: number): Promise<CommitRow[]> {
  const { rows } = await db.query<{ kind: 'new' | 'old'; id: string; seq: number; body: string | null; created_at: string | null }>({
    name: 'parley_commit_one',
    text: COMMIT_ONE,
    values: [p.roomId, p.user.id, p.body, p.cid, new Date(at)],
  });
  if (rows.length === 0) return [{ kind: 'gone', ord: '1', id: null, seq: null, room_id: null, user_id: null, cid: null, body: null, created_at: null }];
  return rows.map((r) => ({ ...r, ord: '1', room_id: p.roomId, user_id: p.user.id, cid: p.cid }));
}

/**
 * Joins each row `i` (room_id, user_id, cid) to its stored message `m`, if any, with one
 * unique-index probe per row: as a plain join the planner hashes the whole messages table
 * once a batch is large enough. LIMIT 1 (the key is unique) keeps it from flattening.
 */
const STORED_MESSAGE_OF_I = `CROSS JOIN LATERAL (
  SELECT id, seq, body, created_at FROM messages
   WHERE room_id = i.room_id AND user_id = i.user_id AND cid = i.cid LIMIT 1
) m`;

/**
 * One batch as one statement, so it is atomic without BEGIN/COMMIT and costs one round trip.
 * Rooms are locked in id order (two processes never wait on each other in a cycle); a cid
 * already stored for that user and room is answered from its row; the rest get consecutive
 * seqs per room in arrival order, move last_seq on, and are inserted together. A concurrent
 * writer elsewhere could still slip the same cid in between snapshot and lock: the unique
 * key then fails the statement, and the batch is written again row by row (commitEach),
 * where the repeated cid is found and answered like any other.
 */
export const COMMIT_BATCH = `
WITH input AS (
  SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[]) WITH ORDINALITY AS t(room_id, user_id, body, cid, ord)
), locked AS (
  SELECT id, last_seq FROM rooms WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE
), earlier AS (
  SELECT i.ord, m.id, m.seq, m.body, m.created_at FROM input i ${STORED_MESSAGE_OF_I}
), fresh AS (
  SELECT i.room_id, i.user_id, i.body, i.cid, i.ord,
         l.last_seq + row_number() OVER (PARTITION BY i.room_id ORDER BY i.ord) AS seq
    FROM input i JOIN locked l ON l.id = i.room_id
   WHERE NOT EXISTS (SELECT 1 FROM earlier e WHERE e.ord = i.ord)
), bumped AS (
  UPDATE rooms r SET last_seq = r.last_seq + c.n, last_at = $5
    FROM (SELECT room_id, count(*)::int AS n FROM fresh GROUP BY room_id) c
   WHERE r.id = c.room_id
  RETURNING r.id
), inserted AS (
  INSERT INTO messages (room_id, seq, user_id, body, cid, created_at)
  SELECT room_id, seq, user_id, body, cid, $5 FROM fresh ORDER BY ord
  RETURNING id, room_id, user_id, cid, seq
)
-- New rows are matched back to their sends by (room, user, cid), unique within a batch.
SELECT 'new' AS kind, NULL::bigint AS ord, id, seq, room_id, user_id, cid::text, NULL::text AS body, NULL::timestamptz AS created_at FROM inserted
UNION ALL
SELECT 'old', e.ord, e.id, e.seq, NULL, NULL, NULL, e.body, e.created_at FROM earlier e
UNION ALL
SELECT 'gone', i.ord, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM input i WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.id = i.room_id)
`;

/**
 * One send alone, the common case at a low message rate, where every post is its own
 * commit: the batch statement's arrays, window function and unions cost PostgreSQL 1.8-1.9
 * times what a plain one-row INSERT does, this one 1.3-1.35 (bench/commit-cost.ts). The
 * same rules: a cid already stored is answered from its row (and nothing is written), the
 * room's last_seq moves on by one under its row lock, the row goes in. No row back means
 * the room is gone.
 */
export const COMMIT_ONE = `
WITH earlier AS (
  SELECT id, seq, body, created_at FROM messages WHERE room_id = $1 AND user_id = $2 AND cid = $4 LIMIT 1
), bumped AS (
  UPDATE rooms SET last_seq = last_seq + 1, last_at = $5 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM earlier) RETURNING last_seq
), inserted AS (
  INSERT INTO messages (room_id, seq, user_id, body, cid, created_at) SELECT $1, last_seq, $2, $3, $4, $5 FROM bumped RETURNING id, seq
)
SELECT 'new' AS kind, id, seq, NULL::text AS body, NULL::timestamptz AS created_at FROM inserted
UNION ALL
SELECT 'old', id, seq, body, created_at FROM earlier
`;

function toMessage(p: Send, id: number, seq: number, at: number): ChatMessage {
  return { room: p.room, id, seq, at, user: p.user, body: p.body, cid: p.cid };
}
