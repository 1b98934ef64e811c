/**
 * The group commit's own PostgreSQL connections, apart from the ORM's pool: the one place
 * Parley talks to `pg` directly. Its batch goes in as arrays (knex would expand an array
 * binding into a list) in one statement prepared once per connection (see writerPool()).
 * Everything else reaches the database through MikroORM.
 */
import pg from 'pg';
import { CONNECTION_LIMITS } from './db-deadlines.js';

export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  /** A named query is prepared once per connection and then only executed. */
  query<R = Record<string, unknown>>(config: { name: string; text: string; values?: unknown[] }): Promise<{ rows: R[] }>;
}

export interface WriterPool {
  run: <T>(fn: (client: SqlClient) => Promise<T>) => Promise<T>;
  close(): Promise<void>;
}

/**
 * Its statement is the same for every batch but for the arrays it is given, and PostgreSQL
 * would plan it again for each batch (custom plans): with log_min_duration_statement,
 * planning (bind) took 1.0 ms and running it 0.4 ms for a one-message batch. A generic plan
 * is made once per connection. The ORM's queries keep the default, where a parameter's value
 * may matter to the plan. One batch runs at a time, so two connections are plenty.
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
