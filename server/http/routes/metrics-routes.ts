/**
 * GET /metrics, Prometheus text format, for whoever holds METRICS_TOKEN: `Authorization:
 * Bearer <token>`, compared in constant time. Without METRICS_TOKEN the route does not exist
 * (the path is then the web app's, as any unknown page), so nothing about the process is
 * public by default.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { ApiError } from '../api-error.js';
import type { AppEnv } from '../context.js';

export interface MetricsDeps {
  metrics?: { registry: Registry; token: string };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function metricsRoutes(deps: MetricsDeps) {
  const r = new Hono<AppEnv>();
  const m = deps.metrics;
  if (!m) return r;
  const expected = digest(`Bearer ${m.token}`);
  r.get('/metrics', async (c) => {
    // Hashes of equal length, so the comparison takes the same time whatever was sent.
    if (!timingSafeEqual(digest(c.req.header('authorization') ?? ''), expected)) {
      throw new ApiError('unauthorized', 'send Authorization: Bearer <METRICS_TOKEN>');
    }
    return c.body(await m.registry.metrics(), 200, { 'content-type': m.registry.contentType });
  });
  return r;
}
