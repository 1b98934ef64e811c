/**
 * The Hono app: shared middleware (errors, origin check, session) and the route groups.
 * Built from its dependencies so tests and main.ts wire the same thing.
 */
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { ApiError } from './api-error.js';
import type { SessionCookie } from './session-cookie.js';
import type { SessionStore, SessionUser } from '../auth/session-store.js';
import type { BridgeEnv } from './hono-uws.js';
import { authRoutes, type AuthDeps } from './auth-routes.js';
import { roomRoutes, type RoomDeps } from './room-routes.js';
import { healthRoutes, type HealthDeps } from './health-routes.js';
import { messageRoutes, type MessageDeps } from './message-routes.js';
import { userRoutes, type UserDeps } from './user-routes.js';
import { OriginPolicy } from './origin-policy.js';
import { preparedJson } from './prepared-body.js';
import { securityHeaders } from './security-headers.js';
import { isDatabaseUnavailable } from '../store/db-errors.js';

export interface AppVars {
  session: SessionUser | null;
}

export type AppEnv = { Bindings: BridgeEnv; Variables: AppVars };

export interface AppDeps extends AuthDeps, RoomDeps, MessageDeps, UserDeps, HealthDeps {
  log: Logger;
  cookie: SessionCookie;
  sessions: SessionStore;
  origins: OriginPolicy;
  /** Serves the web client for GET and HEAD requests outside /api. */
  staticFiles?: (c: Context<AppEnv>) => Response | Promise<Response>;
  /** An API request not answered within this many ms gets 503 `unavailable`. */
  requestDeadlineMs: number;
  /** Take the client address from X-Forwarded-For's last entry (TRUST_PROXY). */
  trustProxy: boolean;
  /** Reached over https (HSTS is sent). */
  https: boolean;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** JSON must be UTF-8 (RFC 8259); replacing bad bytes with U+FFFD could make two different cids one. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads and validates a JSON body: 415 without a JSON content type, 400 when malformed. */
export async function jsonBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new ApiError('unsupported_media_type', 'send Content-Type: application/json');
  let bytes: ArrayBuffer;
  try {
    bytes = await c.req.arrayBuffer();
  } catch {
    throw new ApiError('too_large', 'request body too large');
  }
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw new ApiError('bad_json', 'request body is not valid JSON in UTF-8');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError('invalid', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function requireSession(c: Context<AppEnv>): SessionUser {
  const s = c.get('session');
  if (!s) throw new ApiError('unauthorized', 'sign in first');
  return s;
}

/** The address a request came from: the peer's, or behind a trusted proxy the one it saw. */
export function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded?.slice(forwarded.lastIndexOf(',') + 1).trim();
    if (last) return last;
  }
  return c.env.remoteAddress;
}

/** When a retry may help after the database failed to answer: about one pool wait. */
const UNAVAILABLE_RETRY_MS = 2000;

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(preparedJson);
  app.use(securityHeaders({ https: deps.https }));

  app.onError((err, c) => {
    let error: ApiError;
    if (err instanceof ApiError) error = err;
    else if (isDatabaseUnavailable(err)) {
      deps.log.warn({ err: (err as Error).message, path: c.req.path }, 'database unavailable');
      error = new ApiError('unavailable', 'the database is not answering right now; retry shortly', UNAVAILABLE_RETRY_MS);
    } else {
      deps.log.error({ err, path: c.req.path }, 'unhandled error');
      error = new ApiError('internal', 'internal error');
    }
    const retryAfter = error.retryAfterSeconds;
    if (retryAfter) c.header('Retry-After', retryAfter);
    return c.json(error.toJSON(), error.status as 400);
  });

  app.notFound((c) => {
    const page = c.req.method === 'GET' || c.req.method === 'HEAD';
    if (page && deps.staticFiles && !c.req.path.startsWith('/api/')) return deps.staticFiles(c);
    return c.json(new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`).toJSON(), 404);
  });

  // A deadline on every API request, the session lookup included: whatever stalls behind it
  // (a frozen database, a full pool), the client hears 503 in bounded time. The work itself
  // is not cancelled; a message post that commits after its deadline is found again by a
  // retry with the same cid.
  app.use('/api/*', async (c, next) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ApiError('unavailable', `no answer within ${deps.requestDeadlineMs} ms; retry shortly`, UNAVAILABLE_RETRY_MS)),
        deps.requestDeadlineMs,
      );
    });
    try {
      await Promise.race([next(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  });

  // Cross-site state changes: JSON requests are not covered by Hono's csrf() (it only
  // looks at form content types), so the Origin header is checked here for all of them.
  app.use('/api/*', async (c, next) => {
    if (STATE_CHANGING.has(c.req.method)) {
      const origin = c.req.header('origin');
      if (origin !== undefined && !deps.origins.allows(origin, c.req.header('host'))) {
        throw new ApiError('forbidden', `origin ${origin} is not allowed`);
      }
    }
    const sid = await deps.cookie.read(c.req.header('cookie'));
    let session: SessionUser | null = null;
    if (sid) {
      try {
        session = await deps.sessions.lookup(sid);
      } catch {
        throw new ApiError('unavailable', 'sessions cannot be checked right now (the database is unreachable); retry');
      }
    }
    c.set('session', session);
    await next();
  });

  app.route('/', healthRoutes(deps));
  app.route('/api', authRoutes(deps));
  app.route('/api', roomRoutes(deps));
  app.route('/api', messageRoutes(deps));
  app.route('/api', userRoutes(deps));
  return app;
}
