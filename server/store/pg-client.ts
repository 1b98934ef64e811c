/**
 * Raw SQL on a connection borrowed from the ORM's pool, for the few places that need
 * PostgreSQL itself: session-scoped advisory locks and the group commit, whose batch goes
 * in as arrays (knex would expand an array binding into a list).
 */
import type { MikroORM } from '@mikro-orm/postgresql';

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
