/**
 * Liveness and readiness. readyz is 503 while the database does not answer (or, in a
 * cluster, while Redis does not), and says so
 * within READY_DEADLINE_MS even when the database hangs instead of refusing (frozen, or every
 * pooled connection stuck), so a load balancer takes the process out of rotation in time.
 */
import { Hono } from 'hono';
import { ApiError, errorResponse } from '../api-error.js';
import type { AppEnv } from '../context.js';

export interface HealthDeps {
  /** Resolves true when the database answers. */
  ready: () => Promise<boolean>;
  /** In a cluster: whether the link to Redis is up. A node without it serves its own clients but hears no other node. */
  clusterLinkUp?: () => boolean;
}

/** Under the 2 s a probe commonly waits, with room for the answer to travel. */
export const READY_DEADLINE_MS = 1500;

function withinDeadline(check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_DEADLINE_MS)));
  return Promise.race([check.catch(() => false), late]).finally(() => clearTimeout(timer));
}

export function healthRoutes(deps: HealthDeps) {
  const r = new Hono<AppEnv>();
  r.get('/healthz', (c) => c.json({ ok: true }));
  r.get('/readyz', async (c) => {
    const ok = await withinDeadline(deps.ready());
    if (!ok) return errorResponse(c, new ApiError('unavailable', 'database unreachable'));
    if (deps.clusterLinkUp && !deps.clusterLinkUp()) {
      return errorResponse(c, new ApiError('unavailable', 'redis unreachable: this node serves its own clients but hears no other node'));
    }
    return c.json({ ok: true });
  });
  return r;
}
