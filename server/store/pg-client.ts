/**
 * Raw SQL for the few places that need PostgreSQL itself: session-scoped advisory locks, on
 * a connection borrowed from the ORM's pool, and the group commit, whose batch goes in as
 * arrays (knex would expand an array binding into a list), on connections of its own.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';

export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  /** A named query is prepared once per connection and then only executed. */
  query<R = Record<string, unknown>>(config: { name: string; text: string; values?: unknown[] }): Promise<{ rows: R[] }>;
}

export async function withPgClient<T>(orm: MikroORM, fn: (client: SqlClient) => Promise<T>): Promise<T> {
  const knexClient = orm.em.getConnection().getKnex().client;
  const client = (await knexClient.acquireConnection()) as SqlClient;
  try {
    return await fn(client);
  } finally {
    // A connection that failed mid-query is marked disposed by knex and dropped by the pool.
    await knexClient.releaseConnection(client);
  }
}

/** Runs fn inside BEGIN/COMMIT on one connection, rolling back when it throws. */
export function inTransaction<T>(orm: MikroORM, fn: (client: SqlClient) => Promise<T>): Promise<T> {
  return withPgClient(orm, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}

/**
 * Milliseconds since the epoch from a timestamptz column. MikroORM makes the driver return
 * these as text (`2026-11-23 10:00:00.123+00`), a form Date.parse does not promise to read.
 */
export function pgTimeMs(value: string | Date): number {
  if (value instanceof Date) return value.getTime();
  const iso = value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`unreadable timestamp from PostgreSQL: ${value}`);
  return ms;
}

/**
 * Deadlines on every database call, shared by the ORM's pool and the writer's, so senders
 * hear `unavailable` in seconds while PostgreSQL is down or frozen:
 * - connecting (TCP and start-up) gives up after 3 s;
 * - PostgreSQL cancels a statement after 5 s (statement_timeout, server side);
 * - the client stops waiting for an answer after 6 s (query_timeout): a frozen server
 *   (SIGSTOP, a hung disk) cannot cancel anything, and a TCP connection to it stays open.
 * A statement the client gave up on may still commit later; nothing was acknowledged, and a
 * retry with the same cid finds it.
 */
export const CONNECTION_LIMITS = { connectionTimeoutMillis: 3000, statement_timeout: 5000, query_timeout: 6000 } as const;

/** How long a request may wait for a free pooled connection. */
export const ACQUIRE_TIMEOUT_MS = 3000;

export interface WriterPool {
  run: <T>(fn: (client: SqlClient) => Promise<T>) => Promise<T>;
  close(): Promise<void>;
}

/**
 * The group commit's own connections, apart from the ORM's pool. Its statement is the same
 * for every batch but for the arrays it is given, and PostgreSQL would plan it again for each
 * batch (custom plans): with log_min_duration_statement, planning (bind) took 1.0 ms and
 * running it 0.4 ms for a one-message batch. A generic plan is made once per connection.
 * The ORM's queries keep the default, where a parameter's value may matter to the plan.
 * One batch runs at a time, so two connections are plenty.
 */
export function writerPool(databaseUrl: string): WriterPool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 2,
    ...CONNECTION_LIMITS,
    idleTimeoutMillis: 30_000,
  });
  // A connection that breaks while idle (PostgreSQL restarted) is dropped by the pool; without
  // a listener the event would end the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    // The pool listens for a connection's errors only while it is idle. One that breaks while
    // the writer holds it (PostgreSQL shut down between statements) would otherwise throw
    // out of the process; its next statement fails instead, and run() then drops it.
    client.on('error', () => {});
    // Queued before any statement of the batch that asked for the connection. PostgreSQL
    // before 12 lacks the setting; it then keeps planning per batch.
    client.query('SET plan_cache_mode = force_generic_plan').catch(() => {});
  });
  return {
    async run(fn) {
      const client = await pool.connect();
      let failure: Error | undefined;
      try {
        return await fn(client as unknown as SqlClient);
      } catch (err) {
        failure = err as Error;
        throw err;
      } finally {
        // After a failure the connection may be broken or mid-statement: do not reuse it.
        client.release(failure);
      }
    },
    close: () => pool.end(),
  };
}
