/** Liveness and readiness. readyz is 503 while the database does not answer. */
import { Hono } from 'hono';
import type { AppEnv } from './app.js';

export interface HealthDeps {
  /** Resolves true when every backing store answers. */
  ready: () => Promise<boolean>;
}

export function healthRoutes(deps: HealthDeps) {
  const r = new Hono<AppEnv>();
  r.get('/healthz', (c) => c.json({ ok: true }));
  r.get('/readyz', async (c) => {
    const ok = await deps.ready().catch(() => false);
    return ok
      ? c.json({ ok: true })
      : c.json({ error: { code: 'unavailable', message: 'database unreachable' } }, 503);
  });
  return r;
}
