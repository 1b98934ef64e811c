/**
 * Middleware that refuses a request before any route work: cross-site state changes, and
 * requests that take too long.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../api-error.js';
import type { AppEnv } from '../context.js';
import type { OriginPolicy } from '../../auth/origin-policy.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A state-changing request whose Origin is present and not allowed is 403. Hono's csrf()
 * looks only at form content types, and Parley's API is JSON, so every method is checked here.
 */
export function sameOriginWrites(origins: OriginPolicy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (STATE_CHANGING.has(c.req.method)) {
      const origin = c.req.header('origin');
      if (origin !== undefined && !origins.allows(origin, c.req.header('host'))) {
        throw new ApiError('forbidden', `origin ${origin} is not allowed`);
      }
    }
    await next();
  };
}

/** When a retry may help after the database failed to answer: about one pool wait. */
export const UNAVAILABLE_RETRY_MS = 2000;

/**
 * A deadline on a request, the session lookup included: whatever stalls behind it (a frozen
 * database, a full pool), the client hears 503 in bounded time. The work itself is not
 * cancelled; a message post that commits after its deadline is found again by a retry with
 * the same cid, and a sign-up looks at `c.var.deadline` before it creates the account.
 */
export function deadline(ms: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let timer: NodeJS.Timeout | undefined;
    // A plain flag: nothing listens for an abort, and an AbortController per request showed
    // in a closed loop's profile (createAbortSignal, 0.5% of the main thread).
    const expired = { aborted: false };
    c.set('deadline', expired);
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired.aborted = true;
        reject(new ApiError('unavailable', `no answer within ${ms} ms; retry shortly`, UNAVAILABLE_RETRY_MS));
      }, ms);
    });
    try {
      await Promise.race([next(), late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
