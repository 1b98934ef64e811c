/**
 * Tells a database that cannot answer (down, restarting, frozen, out of connections) from a
 * query that failed on its own merits, so callers answer `unavailable` (503, retry later)
 * rather than `internal`. Errors arrive from pg, knex's pool and MikroORM, which wraps the
 * driver's error and copies its fields, so the code, the SQLSTATE and the message are read
 * on the error and on what it wraps.
 */

/** SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown, statement timeout). */
const SQLSTATE_UNAVAILABLE = /^(08|53|57)[0-9A-Z]{3}$/;
const ERRNO_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** pg and knex say these only in words: a client-side deadline, a pool wait, a dropped connection. */
const MESSAGE_UNAVAILABLE = /query read timeout|timeout acquiring a connection|connection terminated|timeout expired|connection ended|not queryable|client was closed|client has encountered a connection error/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, sqlState, message, name } = e as { code?: unknown; sqlState?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && (SQLSTATE_UNAVAILABLE.test(code) || ERRNO_UNAVAILABLE.has(code))) return true;
    if (typeof sqlState === 'string' && SQLSTATE_UNAVAILABLE.test(sqlState)) return true;
    if (name === 'KnexTimeoutError' || name === 'ConnectionException') return true;
    if (typeof message === 'string' && MESSAGE_UNAVAILABLE.test(message)) return true;
    e = (e as { cause?: unknown; previous?: unknown }).cause ?? (e as { previous?: unknown }).previous;
  }
  return false;
}
