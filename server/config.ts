/**
 * Every setting Parley reads, with its default, in one typed place.
 * Bad values fail at start with one line naming the variable (ConfigError).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RateLimit } from './limits/keyed-limiter.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  publicUrl: string | undefined;
  secureCookies: boolean;
  sessionSecret: string;
  /** Explicit allow-list; empty means "the origin the request was addressed to" (plus PUBLIC_URL). */
  allowedOrigins: string[];
  logLevel: LogLevel;
  maxBodyBytes: number;
  /** TRUST_PROXY: take the client address from the last X-Forwarded-For entry (behind one proxy). */
  trustProxy: boolean;
  limits: Limits;
  abuse: AbuseLimits;
  cluster: ClusterConfig;
  /**
   * SHUTDOWN_TIMEOUT_MS: how long a stop (SIGTERM, SIGINT) may take: sends in flight are
   * committed and answered first, then sockets close with 1001; past it the process exits.
   */
  shutdownTimeoutMs: number;
  /** METRICS_TOKEN: GET /metrics answers whoever sends it as a bearer token; unset, there is no /metrics. */
  metricsToken: string | undefined;
}

/** Several Parley processes sharing rooms, presence and order (docs/cluster.md). */
export interface ClusterConfig {
  /** REDIS_URL: set, Parley runs as one node of a cluster; unset, as a single process. */
  redisUrl: string | undefined;
  /** NODE_ID: this process's name in the cluster; generated at each start when unset. */
  nodeId: string;
  /** REUSE_PORT: share PORT with other Parley processes on this machine (SO_REUSEPORT), the kernel spreading connections. */
  reusePort: boolean;
}

/**
 * Limits against abuse, each `burst/seconds` in the environment: `burst` events at once,
 * refilled evenly so that `burst` more are allowed every `seconds`.
 * Failed logins are counted three ways, so that one address guessing at one account is
 * stopped soonest, spraying many accounts from one address next, and a guesser spread over
 * many addresses cannot lock the owner out for more than the account's own window.
 */
export interface AbuseLimits {
  /** LIMIT_LOGIN_PAIR: failed logins for one account from one address. */
  loginPair: RateLimit;
  /** LIMIT_LOGIN_ADDRESS: failed logins from one address, any account. */
  loginAddress: RateLimit;
  /** LIMIT_LOGIN_ACCOUNT: failed logins for one account, any address. */
  loginAccount: RateLimit;
  /** LIMIT_SIGNUP_ADDRESS: sign-ups from one address. */
  signupAddress: RateLimit;
  /** LIMIT_ROOM_CREATE: rooms (public or direct) one user may create. */
  roomCreate: RateLimit;
  /** LIMIT_JOIN: room joins by one user, over all their connections. */
  join: RateLimit;
  /** PASSWORD_QUEUE: sign-ups, logins and password changes waiting for the hasher beyond this get 503. */
  passwordQueue: number;
  /** REQUEST_DEADLINE_MS: an API request not answered by then gets 503 unavailable. */
  requestDeadlineMs: number;
}

/** The realtime limits of the contract; every one can be changed from the environment. */
export interface Limits {
  /** WS_MAX_FRAME_BYTES: larger frames close the socket with 1009. */
  maxFrameBytes: number;
  /** WS_IDLE_TIMEOUT_S: uWS pings before this runs out and closes silent sockets. */
  idleTimeoutSeconds: number;
  /** WS_MAX_BUFFERED_BYTES: a socket with more queued output is closed with 1013. */
  maxBufferedBytes: number;
  /** ROOMS_PER_CONNECTION */
  roomsPerConnection: number;
  /** CONNECTIONS_PER_USER: further upgrades are refused with HTTP 429. */
  connectionsPerUser: number;
  /** SEND_RATE per second and SEND_BURST: the token bucket for sends on one connection. */
  sendRate: number;
  sendBurst: number;
  /** TYPING_INTERVAL_MS: at most one typing notice per user and room in this window. */
  typingIntervalMs: number;
  /** MAX_BODY_CHARS: longest message body, in characters. */
  maxBodyChars: number;
  /** COMMIT_BATCH_MAX: most messages written by one group commit. */
  commitBatchMax: number;
  /** COMMIT_LINGER_MS: longest a commit waits for the rest of a busy round of senders (0: never). */
  commitLingerMs: number;
}

function parseIntSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new ConfigError(`${name} must be an integer ${min}..${max}, got "${raw}"`);
  return n;
}

export function loadLimits(env: NodeJS.ProcessEnv = {}): Limits {
  const int = (name: string, fallback: number, min: number, max: number) => parseIntSetting(env, name, fallback, min, max);
  return {
    maxFrameBytes: int('WS_MAX_FRAME_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    // uWS takes the idle timeout in seconds and requires at least 8 when it pings for us.
    idleTimeoutSeconds: int('WS_IDLE_TIMEOUT_S', 120, 8, 960),
    maxBufferedBytes: int('WS_MAX_BUFFERED_BYTES', 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
    roomsPerConnection: int('ROOMS_PER_CONNECTION', 100, 1, 10_000),
    connectionsPerUser: int('CONNECTIONS_PER_USER', 20, 1, 10_000),
    sendRate: int('SEND_RATE', 10, 1, 100_000),
    sendBurst: int('SEND_BURST', 30, 1, 1_000_000),
    typingIntervalMs: int('TYPING_INTERVAL_MS', 2000, 0, 60_000),
    maxBodyChars: int('MAX_BODY_CHARS', 4000, 1, 100_000),
    commitBatchMax: int('COMMIT_BATCH_MAX', 1000, 1, 10_000),
    commitLingerMs: int('COMMIT_LINGER_MS', 2, 0, 100),
  };
}

function parseRateSetting(env: NodeJS.ProcessEnv, name: string, fallback: string): RateLimit {
  const raw = env[name] || fallback;
  const m = /^(\d{1,9})\/(\d{1,7})$/.exec(raw);
  const burst = Number(m?.[1]);
  const seconds = Number(m?.[2]);
  if (!m || burst < 1 || seconds < 1) throw new ConfigError(`${name} must be "count/seconds" with both at least 1, e.g. "${fallback}", got "${raw}"`);
  return { burst, periodMs: seconds * 1000 };
}

export function loadAbuseLimits(env: NodeJS.ProcessEnv = {}): AbuseLimits {
  const rate = (name: string, fallback: string) => parseRateSetting(env, name, fallback);
  return {
    loginPair: rate('LIMIT_LOGIN_PAIR', '10/300'),
    loginAddress: rate('LIMIT_LOGIN_ADDRESS', '50/300'),
    loginAccount: rate('LIMIT_LOGIN_ACCOUNT', '50/300'),
    signupAddress: rate('LIMIT_SIGNUP_ADDRESS', '20/3600'),
    roomCreate: rate('LIMIT_ROOM_CREATE', '20/3600'),
    join: rate('LIMIT_JOIN', '200/60'),
    passwordQueue: parseIntSetting(env, 'PASSWORD_QUEUE', 32, 0, 100_000),
    requestDeadlineMs: parseIntSetting(env, 'REQUEST_DEADLINE_MS', 8000, 100, 600_000),
  };
}

export class ConfigError extends Error {}

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new ConfigError(`PORT must be an integer 0..65535, got "${raw}"`);
  return n;
}

function parseBoolean(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name} must be 1, true, 0 or false, got "${raw}"`);
}

function parseOrigin(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must use http or https, got "${raw}"`);
  }
  return url.origin;
}

/** Reads SESSION_SECRET, or generates one once into DATA_DIR (mode 0600) and warns. */
function sessionSecret(raw: string | undefined, dataDir: string, warn: (m: string) => void): string {
  if (raw !== undefined && raw !== '') {
    if (raw.length < 32) throw new ConfigError('SESSION_SECRET must be at least 32 characters');
    return raw;
  }
  const file = join(dataDir, 'session-secret');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return stored;
  }
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  warn(`SESSION_SECRET is not set: generated one into ${file}; set SESSION_SECRET to share it between processes`);
  return secret;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, warn: (m: string) => void = () => {}): Config {
  const port = parsePort(env.PORT);
  const host = env.HOST || '127.0.0.1';
  const dataDir = resolve(env.DATA_DIR || '.data');
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new ConfigError(`DATA_DIR "${dataDir}" cannot be created: ${(err as Error).message}`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const publicUrl = env.PUBLIC_URL ? parseOrigin('PUBLIC_URL', env.PUBLIC_URL) : undefined;
  const allowedOrigins = (env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => parseOrigin('ALLOWED_ORIGINS', o));
  if (publicUrl && !allowedOrigins.includes(publicUrl)) allowedOrigins.push(publicUrl);
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    publicUrl,
    secureCookies: publicUrl?.startsWith('https:') ?? false,
    sessionSecret: sessionSecret(env.SESSION_SECRET, dataDir, warn),
    allowedOrigins,
    logLevel,
    maxBodyBytes: 64 * 1024,
    trustProxy: parseBoolean('TRUST_PROXY', env.TRUST_PROXY),
    limits: loadLimits(env),
    abuse: loadAbuseLimits(env),
    cluster: loadCluster(env),
    shutdownTimeoutMs: parseIntSetting(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 1000, 600_000),
    metricsToken: metricsToken(env.METRICS_TOKEN),
  };
}

function metricsToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  if (token.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters');
  return token;
}

const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function loadCluster(env: NodeJS.ProcessEnv = {}): ClusterConfig {
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
  const nodeId = env.NODE_ID || `node-${randomBytes(4).toString('hex')}`;
  if (!NODE_ID.test(nodeId)) throw new ConfigError(`NODE_ID must be 1..64 of A-Z a-z 0-9 _ . -, got "${env.NODE_ID}"`);
  return { redisUrl, nodeId, reusePort: parseBoolean('REUSE_PORT', env.REUSE_PORT) };
}
