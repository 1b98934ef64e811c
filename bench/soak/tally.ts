/** What the connections of a load process count together; load.ts reads it at each sample and at the end. */
import type { StreamCheck, WindowCounts } from './messages.js';

/**
 * Everything the connections of a load process count together, as totals since the start
 * (load.ts differences them per window), except the ack latencies, which it takes each window.
 */
export interface Tally extends Omit<WindowCounts, 'open'> {
  /** Ack latencies of the current window, ms. */
  latenciesMs: number[];
  stream: StreamCheck;
  /** Every acknowledged send, per room: cid -> the seq and id of its ack. */
  acked: Map<string, Map<string, { seq: number; id: number }>>;
  /** Sends given up after an error that is not retried (the server said it stored nothing). */
  refused: Set<string>;
  /** Sends still unanswered when their connection closed (the server closed it, or a reconnection gave up waiting). */
  unanswered: Set<string>;
}

export function newTally(): Tally {
  return {
    sends: 0,
    acks: 0,
    latenciesMs: [],
    errors: {},
    reconnects: 0,
    retries: 0,
    joins: 0,
    leaves: 0,
    delivered: 0,
    backlog: 0,
    closedByServer: {},
    stream: { gaps: 0, repeats: 0, unexpected: 0, truncatedRejoins: 0 },
    acked: new Map(),
    refused: new Set(),
    unanswered: new Set(),
  };
}
