/**
 * Keeps the full-text index (message_search) up to date with the messages, after they are
 * committed rather than in the group commit's statement: a GIN index on messages itself made
 * every commit pay for it (see MessageSearchSchema). A run is asked for after each commit
 * and starts INDEX_DELAY_MS later, so a burst of commits is indexed in one batch; a quiet
 * server runs nothing. Search therefore lags the newest messages by about that delay.
 *
 * Which messages lack a row is decided by the index itself (NOT EXISTS), over the ids after
 * the highest one indexed less LOOKBACK: message ids are taken when a batch is inserted, and
 * a batch of another node may commit after later ids were indexed. In a cluster, one node
 * indexes at a time (a transaction-scoped advisory lock); the others try again later.
 * Edits and deletes change their message's row themselves (store/message-edits.ts).
 */
import type { Logger } from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';

const INDEX_DELAY_MS = 200;
const RETRY_MS = 2000;
const BATCH = 2000;
const LOOKBACK = 2000;
/** pg_try_advisory_xact_lock key: "parley search" in ASCII, folded to an int8. */
const LOCK_KEY = 0x70726c7920737263n;

export class SearchIndexer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** The highest message id known to be indexed. */
  private horizon = 0;

  constructor(
    private readonly orm: MikroORM,
    private readonly log: Logger,
  ) {}

  /** Indexes what the last run of any node left (a restart, a crash between commit and index). */
  async start(): Promise<void> {
    const rows = await this.orm.em.fork().execute<Array<{ max: string | null }>>('SELECT max(message_id) AS max FROM message_search');
    this.horizon = Number(rows[0]?.max ?? 0);
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
        const { locked, indexed } = await this.batch();
        if (!locked) {
          this.retryLater();
          return;
        }
        if (indexed < BATCH || this.stopped) return;
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

  private async batch(): Promise<{ locked: boolean; indexed: number }> {
    return this.orm.em.fork().transactional(async (em) => {
      const lock = await em.execute<Array<{ ok: boolean }>>('SELECT pg_try_advisory_xact_lock(?) AS ok', [LOCK_KEY.toString()]);
      if (!lock[0]?.ok) return { locked: false, indexed: 0 };
      const rows = await em.execute<Array<{ message_id: string }>>(
        `INSERT INTO message_search (message_id, room_id, tsv)
         SELECT m.id, m.room_id, to_tsvector('simple', m.body) FROM messages m
          WHERE m.id > ? AND m.kind = 'msg' AND m.deleted_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM message_search s WHERE s.message_id = m.id)
          ORDER BY m.id LIMIT ?
         ON CONFLICT (message_id) DO NOTHING
         RETURNING message_id`,
        [Math.max(0, this.horizon - LOOKBACK), BATCH],
      );
      for (const r of rows) this.horizon = Math.max(this.horizon, Number(r.message_id));
      return { locked: true, indexed: rows.length };
    });
  }
}
