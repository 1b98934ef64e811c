/**
 * The Hono app: the middleware every request passes (security headers; for /api a deadline,
 * the origin check and the session), the route groups, and one error handler that turns
 * every failure into the contract's `{error: {code, message}}`. Built from its dependencies
 * so tests and main.ts wire the same thing. Routes import the context and middleware they
 * use, never this file.
 */
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { ApiError, errorResponse } from './api-error.js';
import type { AppEnv } from './context.js';
import { securityHeaders } from './middleware/security-headers.js';
import { deadline, sameOriginWrites, UNAVAILABLE_RETRY_MS } from './middleware/guards.js';
import { loadSession } from './middleware/session.js';
import { authRoutes, type AuthDeps } from './routes/auth-routes.js';
import { roomRoutes, type RoomDeps } from './routes/room-routes.js';
import { healthRoutes, type HealthDeps } from './routes/health-routes.js';
import { messageRoutes, type MessageDeps } from './routes/message-routes.js';
import { userRoutes, type UserDeps } from './routes/user-routes.js';
import { searchRoutes, type SearchDeps } from './routes/search-routes.js';
import { requestLog } from './middleware/request-log.js';
import { metricsRoutes, type MetricsDeps } from './routes/metrics-routes.js';
import type { OriginPolicy } from '../auth/origin-policy.js';
import { isDatabaseUnavailable } from '../store/db-errors.js';

export interface AppDeps extends AuthDeps, RoomDeps, MessageDeps, UserDeps, HealthDeps, SearchDeps, MetricsDeps {
  /** Told of every HTTP answer (the requests metric). */
  answered?: (method: string, route: string, status: number) => void;
  log: Logger;
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

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestLog(deps.log, deps.answered));
  app.use(securityHeaders({ https: deps.https }));

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err);
    if (isDatabaseUnavailable(err)) {
      deps.log.warn({ req: c.var.requestId, err: (err as Error).message, route: c.req.routePath }, 'database unavailable');
      return errorResponse(c, new ApiError('unavailable', 'the database is not answering right now; retry shortly', UNAVAILABLE_RETRY_MS));
    }
    deps.log.error({ req: c.var.requestId, err, route: c.req.routePath }, 'unhandled error');
    return errorResponse(c, new ApiError('internal', 'internal error'));
  });

  app.notFound((c) => {
    const page = c.req.method === 'GET' || c.req.method === 'HEAD';
    if (page && deps.staticFiles && !c.req.path.startsWith('/api/')) return deps.staticFiles(c);
    return errorResponse(c, new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`));
  });

  app.use('/api/*', deadline(deps.requestDeadlineMs), sameOriginWrites(deps.origins), loadSession(deps.cookie, deps.sessions));

  app.route('/', healthRoutes(deps));
  app.route('/', metricsRoutes(deps));
  app.route('/api', authRoutes(deps));
  app.route('/api', roomRoutes(deps));
  app.route('/api', messageRoutes(deps));
  app.route('/api', userRoutes(deps));
  app.route('/api', searchRoutes(deps));
  return app;
}
