/**
 * MikroORM set-up and migrations. One initOrm() that the server, `npm run migrate` and the
 * tests share. Migrations run in one transaction that first takes a PostgreSQL advisory
 * lock, so processes starting together apply them once.
 */
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import { entities } from './entities.js';
import { migrationsList } from '../../migrations/index.js';
import { ACQUIRE_TIMEOUT_MS, CONNECTION_LIMITS } from './db-deadlines.js';

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

/**
 * Applies pending migrations; returns the names applied. The lock is the transaction's own
 * (pg_advisory_xact_lock), and the migrations run inside that transaction: a second process
 * waits at the lock until the first has committed, then finds nothing pending. Commit or
 * rollback releases it, also when the connection dies, so there is no unlock to forget.
 */
export function migrate(orm: MikroORM): Promise<string[]> {
  return orm.em.fork().transactional(async (em) => {
    await em.execute('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    const applied = await orm.getMigrator().up({ transaction: em.getTransactionContext() });
    return applied.map((m) => m.name);
  });
}
