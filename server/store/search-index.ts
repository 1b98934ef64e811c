/**
 * Keeps the full-text index (message_search) up to date with the messages, after they are
 * committed rather than in the group commit's statement: a GIN index on messages itself made
 * every commit pay for it (see MessageSearchSchema). A run is asked for after each commit
 * and starts INDEX_DELAY_MS later, so the commits of that second are indexed in one batch
 * (one transaction); a quiet server runs nothing. Search therefore lags the newest messages
 * by about a second.
 *
 * A run indexes the messages after the highest id indexed. Message ids are taken when a
 * batch is inserted, so in a cluster a batch of another node may commit after later ids were
 * indexed; there, every SWEEP_MS a run also looks LOOKBACK ids back for messages without a
 * row (one index probe each). A single process commits one batch at a time, in id order, and
 * needs no sweep. In a cluster one node indexes at a time (a transaction-scoped advisory
 * lock); the others try again later. Edits and deletes change their message's row themselves
 * (store/message-edits.ts).
 */
import type { Logger } from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';

const INDEX_DELAY_MS = 1000;
const RETRY_MS = 2000;
const BATCH = 2000;
const LOOKBACK = 2000;
const SWEEP_MS = 5000;
/** pg_try_advisory_xact_lock key: "parley search" in ASCII, folded to an int8. */
const LOCK_KEY = 0x70726c7920737263n;

export class SearchIndexer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastSweep = 0;

  constructor(
    private readonly orm: MikroORM,
    private readonly log: Logger,
    /** Other processes commit messages too (a cluster): sweep for batches committed out of id order. */
    private readonly sweep = false,
  ) {}

  /** Indexes what the last run of any node left (a restart, a crash between commit and index). */
  start(): void {
    this.soon(0);
  }

  /** Messages were committed: index them shortly. */
  soon(delayMs = INDEX_DELAY_MS): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.run().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.soon();
        }
      });
    }, delayMs);
  }

  /** Resolves once no run is in flight; none starts after. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const { locked, scanned, swept } = await this.batch();
        if (!locked) {
          this.retryLater();
          return;
        }
        // A full page of candidates may have more after it (after a sweep: always go on, for
        // the newest ones past the sweep's page).
        if ((scanned < BATCH && !swept) || this.stopped) return;
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'search index: indexing failed; retrying');
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.soon(0);
    }, RETRY_MS);
  }

  private async batch(): Promise<{ locked: boolean; scanned: number; swept?: boolean }> {
    const sweeping = this.sweep && Date.now() - this.lastSweep >= SWEEP_MS;
    if (sweeping) this.lastSweep = Date.now();
    const rows = await this.orm.em.fork().execute<Array<{ locked: boolean; scanned: string; relaxed: string }>>(INDEX_BATCH, indexBatchValues(sweeping ? LOOKBACK : 0));
    const row = rows[0];
    return { locked: row?.locked === true, scanned: Number(row?.scanned ?? 0), swept: sweeping };
  }
}

/** INDEX_BATCH's values: the lock's key, how far back before the index's head to look, the page. */
export function indexBatchValues(lookback: number): [string, number, number] {
  return [LOCK_KEY.toString(), lookback, BATCH];
}

/**
 * One run's batch as one statement (one round trip, its own transaction), which a quiet
 * server pays once a second at most:
 * - the advisory lock lets one node of a cluster index at a time; the others find no rows;
 * - nothing here needs to survive a crash (a row lost with its commit is made again: its
 *   message is after the highest id indexed then), so the commit does not wait for the WAL
 *   flush (synchronous_commit off, for this transaction);
 * - where the index stands is read from it rather than remembered: after a crash of
 *   PostgreSQL the rows it lost are simply after it again. A sweep starts LOOKBACK ids
 *   before it. Another node's batch that commits after this statement's snapshot is met by
 *   ON CONFLICT;
 * - the probe is a LATERAL with LIMIT 1 so that it stays one index lookup per candidate: as
 *   a plain NOT EXISTS the planner may read the whole index table to hash it.
 * Unreferenced plain CTEs are not run: the last SELECT names each one that must be.
 */
export const INDEX_BATCH = `
WITH lock AS (
  SELECT pg_try_advisory_xact_lock(?) AS ok
), relaxed AS (
  SELECT set_config('synchronous_commit', 'off', true) FROM lock WHERE ok
), c AS MATERIALIZED (
  SELECT m.id, m.room_id, m.body FROM messages m, lock
   WHERE lock.ok
     AND m.id > greatest(0, (SELECT coalesce(max(message_id), 0) FROM message_search) - ?)
     AND m.kind = 'msg' AND m.deleted_at IS NULL
   ORDER BY m.id LIMIT ?
), added AS (
  INSERT INTO message_search (message_id, room_id, tsv)
  SELECT c.id, c.room_id, to_tsvector('simple', c.body) FROM c
    LEFT JOIN LATERAL (SELECT 1 AS found FROM message_search s WHERE s.message_id = c.id LIMIT 1) s ON true
   WHERE s.found IS NULL
  ON CONFLICT (message_id) DO NOTHING
  RETURNING message_id
)
SELECT (SELECT ok FROM lock) AS locked, (SELECT count(*) FROM c) AS scanned, (SELECT count(*) FROM relaxed) AS relaxed`;
