/**
 * Every setting Parley reads, with its default, in one typed place.
 * Bad values fail at start with one line naming the variable (ConfigError).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
}

export class ConfigError extends Error {}

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new ConfigError(`PORT must be an integer 0..65535, got "${raw}"`);
  return n;
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
  };
}
