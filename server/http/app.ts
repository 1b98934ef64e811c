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

export interface AppVars {
  session: SessionUser | null;
}

export type AppEnv = { Bindings: BridgeEnv; Variables: AppVars };

export interface AppDeps extends AuthDeps, RoomDeps, MessageDeps, UserDeps, HealthDeps {
  log: Logger;
  cookie: SessionCookie;
  sessions: SessionStore;
  origins: OriginPolicy;
  /** Serves the web client for GET requests outside /api. */
  staticFiles?: (c: Context<AppEnv>) => Response | Promise<Response>;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Reads and validates a JSON body: 415 without a JSON content type, 400 when malformed. */
export async function jsonBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new ApiError('unsupported_media_type', 'send Content-Type: application/json');
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw new ApiError('too_large', 'request body too large');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError('bad_json', 'request body is not valid JSON');
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

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(preparedJson);

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.toJSON(), err.status as 400);
    deps.log.error({ err, path: c.req.path }, 'unhandled error');
    const body = new ApiError('internal', 'internal error').toJSON();
    return c.json(body, 500);
  });

  app.notFound((c) => {
    if (c.req.method === 'GET' && deps.staticFiles && !c.req.path.startsWith('/api/')) return deps.staticFiles(c);
    return c.json(new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`).toJSON(), 404);
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
