/**
 * Who is asking: loadSession reads the session cookie and looks the session up for every
 * /api request (null when there is none); signedIn refuses callers without one (401) and
 * hands the routes behind it their session as `c.var.me`.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../api-error.js';
import type { AppEnv } from '../context.js';
import type { SessionCookie } from '../../auth/session-cookie.js';
import type { SessionStore, SessionUser } from '../../auth/session-store.js';

export function loadSession(cookie: SessionCookie, sessions: SessionStore): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const sid = await cookie.read(c.req.header('cookie'));
    let session: SessionUser | null = null;
    if (sid) {
      try {
        session = await sessions.lookup(sid);
      } catch {
        throw new ApiError('unavailable', 'sessions cannot be checked right now (the database is unreachable); retry', 2000);
      }
    }
    c.set('session', session);
    await next();
  };
}

export const signedIn: MiddlewareHandler<AppEnv> = async (c, next) => {
  const session = c.get('session');
  if (!session) throw new ApiError('unauthorized', 'sign in first');
  c.set('me', session);
  await next();
};
