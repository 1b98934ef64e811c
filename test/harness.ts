/**
 * Starts a real Parley (uWS on an ephemeral port, embedded PostgreSQL in a throwaway data
 * dir) for a test file, and a small HTTP client that keeps cookies like a browser. Tests of
 * the store alone get just the database (startTestDb).
 */
import { rmSync } from 'node:fs';
import type { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig, type Config } from '../server/config.js';
import { startEmbeddedDb, type EmbeddedDb } from '../server/store/embedded-db.js';
import { initOrm, migrate } from '../server/store/orm.js';
import { createLogger } from '../server/logger.js';
import { startParley, type Parley } from '../server/main.js';
import { WsClient } from './ws-client.js';
import type { Clock } from '../server/clock.js';
import { newDataDir } from './db-template.js';

/**
 * Every test signs its users up, creates its rooms and joins them from one address, far
 * faster than any person: the abuse limits are lifted unless a test sets them (the tests of
 * those limits do).
 */
export const UNLIMITED = {
  LIMIT_SIGNUP_ADDRESS: '1000000/1',
  LIMIT_ROOM_CREATE: '1000000/1',
  LIMIT_JOIN: '1000000/1',
} as const;

export interface TestServer extends Parley {
  config: Config;
  dataDir: string;
  cleanup(): Promise<void>;
}

/**
 * Starts Parley on a fresh data dir, or on `opts.dataDir` to restart over an earlier one's
 * database (cleanup then leaves that dir for its owner to remove).
 */
export async function startTestServer(env: Record<string, string> = {}, opts: { dataDir?: string; clock?: Clock } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? newDataDir();
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...UNLIMITED, ...env });
  const parley = await startParley(config, createLogger(config.logLevel), { clock: opts.clock });
  return {
    ...parley,
    config,
    dataDir,
    cleanup: async () => {
      await parley.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestDb {
  db: EmbeddedDb;
  orm: MikroORM;
  cleanup(): Promise<void>;
}

/** An embedded PostgreSQL in a throwaway data dir (a copy of the template), migrated, with an ORM on it. */
export async function startTestDb(): Promise<TestDb> {
  const dataDir = newDataDir('parley-db-');
  const db = await startEmbeddedDb(dataDir, () => {});
  const orm = await initOrm(db.url, { logger: () => {} });
  await migrate(orm);
  return {
    db,
    orm,
    cleanup: async () => {
      await orm.close();
      await db.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `cond` holds, checking every 20 ms; fails naming `what` after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Signs a new user up and returns their HTTP client; `connect()` opens a WebSocket (a tab) as them. */
export async function newUser(server: { url: string }, name: string) {
  const http = new Client(server.url);
  const user = await http.signup(name);
  return { http, user, connect: (headers?: Record<string, string>) => WsClient.connect(server.url, http.cookie, headers) };
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A fetch wrapper with a cookie jar of one session cookie, as a browser tab would hold. */
export class Client {
  cookie: string | undefined;

  constructor(readonly base: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
    if (this.cookie) h.cookie = this.cookie;
    const res = await fetch(this.base + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      this.cookie = pair.endsWith('=') ? undefined : pair;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }

  async signup(username: string, password = 'correct horse battery') {
    const r = await this.post('/api/auth/signup', { username, password });
    if (r.status !== 201) throw new Error(`signup ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.user as { id: number; name: string };
  }
}
