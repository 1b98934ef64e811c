/**
 * `npm run cluster -- --nodes N`: N Parley processes on this machine, one cluster.
 *
 * What a single `npm start` does for one process, this does for N: with DATABASE_URL unset
 * it runs one embedded PostgreSQL under DATA_DIR for all of them, with REDIS_URL unset a
 * private redis-server; it migrates the database once, then starts the nodes (node-1..node-N)
 * through server/start.sh. By default they share PORT (REUSE_PORT: the kernel spreads new
 * connections over them); with --separate-ports node k listens on PORT + k - 1.
 * A node that exits is started again after a second. Ctrl-C stops the nodes (each drains and
 * says bye), then Redis and PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startEmbeddedDb, type EmbeddedDb } from '../store/embedded-db.js';
import { initOrm, migrate } from '../store/orm.js';
import { startLocalRedis, type LocalRedis } from './local-redis.js';
import { ensureClientBuilt } from '../web-build.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESTART_MS = 1000;

const USAGE = `usage: npm run cluster -- [--nodes N] [--separate-ports]
  --nodes N          how many Parley processes (default 2: one per core of a 2-core machine)
  --separate-ports   node k listens on PORT + k - 1 instead of all sharing PORT
Every other setting comes from the environment, as for npm start (README, Configuration).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { nodes: { type: 'string', default: '2' }, 'separate-ports': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) return void console.log(USAGE);
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64) {
    console.error(`--nodes must be 1..64\n${USAGE}`);
    process.exit(2);
  }
  const log = createLogger('info');
  // Generates SESSION_SECRET into DATA_DIR once, before the nodes would race to.
  const config = loadConfig(process.env, (m) => log.warn(m));

  let db: EmbeddedDb | undefined;
  let redis: LocalRedis | undefined;
  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.all(children.map((c) => exited(c, 20_000)));
    await redis?.stop();
    await db?.stop();
    process.exit(code);
  };
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const c of children) c.kill('SIGTERM');
      void stop(0);
    });
  }

  // Built once here, not by N nodes at the same time into the same directory.
  await ensureClientBuilt((m) => log.info(m));
  const databaseUrl = config.databaseUrl ?? (db = await startEmbeddedDb(config.dataDir, (m, level = 'info') => log[level](m))).url;
  const orm = await initOrm(databaseUrl, { logger: (m) => log.debug(m) });
  const applied = await migrate(orm);
  await orm.close();
  if (applied.length) log.info({ applied }, 'migrations applied');
  const redisUrl = config.cluster.redisUrl ?? (redis = await startLocalRedis()).url;
  if (redis) log.info({ url: redisUrl }, 'started a private redis-server (REDIS_URL unset)');

  const startNode = (k: number) => {
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      SESSION_SECRET: config.sessionSecret,
      NODE_ID: `${process.env.NODE_ID ?? 'node'}-${k}`,
      PORT: String(values['separate-ports'] ? config.port + k - 1 : config.port),
      REUSE_PORT: values['separate-ports'] ? '0' : '1',
    };
    const child = spawn('sh', ['server/start.sh'], { cwd: ROOT, env, stdio: 'inherit' });
    children[k - 1] = child;
    child.once('exit', (code, signal) => {
      if (stopping) return;
      // A node that dies is started again, as a supervisor would; its clients reconnect.
      log.error({ node: env.NODE_ID, code, signal }, `a node exited: starting it again in ${RESTART_MS} ms`);
      setTimeout(() => stopping || startNode(k), RESTART_MS);
    });
  };
  for (let k = 1; k <= nodes; k++) startNode(k);
  log.info({ nodes, port: config.port, sharedPort: !values['separate-ports'] }, 'cluster started; Ctrl-C stops it');
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

main().catch((err) => {
  console.error(`parley cluster: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
