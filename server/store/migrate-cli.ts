/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded PostgreSQL
 * under DATA_DIR) and exits. `npm run migrate -- --create` writes a new migration for
 * whatever the entities changed.
 */
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startEmbeddedDb } from './embedded-db.js';
import { initOrm, migrate } from './orm.js';

const config = (() => {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`parley migrate: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
})();
const log = createLogger(config.logLevel);
const db = config.databaseUrl ? undefined : await startEmbeddedDb(config.dataDir, (m, level = 'info') => log[level](m));
const orm = await initOrm(config.databaseUrl ?? db!.url);
try {
  if (process.argv.includes('--create')) {
    const created = await orm.getMigrator().createMigration();
    log.info({ file: created.fileName }, created.fileName ? 'migration written: add it to migrations/index.ts' : 'schema is up to date');
  } else {
    const applied = await migrate(orm);
    log.info({ applied }, applied.length ? 'migrations applied' : 'no pending migrations');
  }
} finally {
  await orm.close();
  await db?.stop();
}
