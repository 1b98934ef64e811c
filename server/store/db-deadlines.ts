/**
 * Deadlines on every database call, shared by the ORM's pool and the writer's, so senders
 * hear `unavailable` in seconds while PostgreSQL is down or frozen:
 * - connecting (TCP and start-up) gives up after 3 s;
 * - PostgreSQL cancels a statement after 5 s (statement_timeout, server side);
 * - the client stops waiting for an answer after 6 s (query_timeout): a frozen server
 *   (SIGSTOP, a hung disk) cannot cancel anything, and a TCP connection to it stays open.
 * A statement the client gave up on may still commit later; nothing was acknowledged, and a
 * retry with the same cid finds it.
 */
export const CONNECTION_LIMITS = { connectionTimeoutMillis: 3000, statement_timeout: 5000, query_timeout: 6000 } as const;

/** How long a request may wait for a free connection of the ORM's pool. */
export const ACQUIRE_TIMEOUT_MS = 3000;
