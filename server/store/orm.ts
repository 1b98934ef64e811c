/**
 * MikroORM set-up and migrations. One initOrm() that the server, `npm run migrate` and the
 * tests share. Migrations run under a PostgreSQL advisory lock so processes starting
 * together apply them once.
 */
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import { entities } from './entities.js';
import { migrationsList } from '../../migrations/index.js';
import { ACQUIRE_TIMEOUT_MS, CONNECTION_LIMITS, withPgClient } from './pg-client.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Arbitrary constant naming Parley's migration lock among advisory locks. */
const MIGRATION_LOCK_KEY = 0x7061726c; // "parl"

export function ormOptions(clientUrl: string, extra: Partial<Options> = {}): Options {
  return {
    clientUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      glob: 'Migration*.{js,ts}',
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
    pool: { min: 0, max: 20 },
    // Fail fast while PostgreSQL is down (see CONNECTION_LIMITS); knex would wait a minute to acquire.
    driverOptions: {
      acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
      // knex would print connection errors to stdout; failures surface through our own logs.
      log: { warn: () => {}, error: () => {}, deprecate: () => {}, debug: () => {} },
      connection: { ...CONNECTION_LIMITS },
    },
    debug: false,
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: true },
    ...extra,
  };
}

export function initOrm(clientUrl: string, extra: Partial<Options> = {}): Promise<MikroORM> {
  return MikroORM.init(ormOptions(clientUrl, extra));
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  // Advisory locks belong to a session, so take and release it on one pooled connection.
  return withPgClient(orm, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await orm.getMigrator().up();
      return applied.map((m) => m.name);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  });
}
