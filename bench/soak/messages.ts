/**
 * What the soak's orchestrator (run-soak.ts) and its load process (load.ts) say to each
 * other over the Node IPC channel, and the figures they exchange.
 */

/** The workload, the same for every connection; each draws its own times from its seed. */
export interface Workload {
  /** Base URL of the server, e.g. http://127.0.0.1:4000 */
  url: string;
  /** One session Cookie header per user; connection i belongs to user floor(i / connectionsPerUser). */
  cookies: string[];
  connectionsPerUser: number;
  /** Room names; each connection keeps `roomsPerConnection` of them joined. */
  rooms: string[];
  roomsPerConnection: [min: number, max: number];
  seed: number;
  /** Seconds between two sends of one connection, drawn uniformly (so the mean is the middle). */
  sendEvery: [min: number, max: number];
  /** Share of sends preceded by a `typing` notice. */
  typingShare: number;
  /** Seconds between two room changes (leave one room, join another) of one connection. */
  churnEvery: [min: number, max: number];
  /** Seconds between two reconnections (close, open again, rejoin with since) of one connection. */
  reconnectEvery: [min: number, max: number];
  /** Opening and joining in progress at once while the connections start. */
  openConcurrency: number;
}

/** Latency figures in milliseconds over one window. */
export interface LatencyFigures {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** What the connections did in one sampling window (since the previous sample). */
export interface WindowCounts {
  sends: number;
  acks: number;
  /** `error` frames by what failed and their code: "send unavailable", "join not_found". */
  errors: Record<string, number>;
  /** Connections open at the end of the window. */
  open: number;
  reconnects: number;
  /** Sends and joins tried again after `unavailable` or `rate_limited`, as the contract tells a client to. */
  retries: number;
  joins: number;
  leaves: number;
  /** `msg` frames received by all connections. */
  delivered: number;
  /** Messages received inside `joined` answers (the join backlogs): with delivered, the work the load asks for. */
  backlog: number;
  /** Connections closed by the server (not by the soak), by close code. */
  closedByServer: Record<string, number>;
}

/** What the load side saw in one sampling window. */
export interface LoadWindow extends WindowCounts {
  ackLatency: LatencyFigures | undefined;
  /** CPU time of the load process in the window, µs. */
  cpuUs: number;
  /** Time its main thread was ready to run but waited for a CPU, µs (/proc/self/schedstat; undefined without it). */
  runQueueUs: number | undefined;
  rssBytes: number;
}

/** How the live streams looked to the connections over the whole run (the contract's exactly-once join). */
export interface StreamCheck {
  /** A `msg` or backlog message whose seq skipped past the next one expected on that connection and room. */
  gaps: number;
  /** A seq at or below one already held on that connection and room (delivered twice). */
  repeats: number;
  /** `msg` frames for a room the connection had not joined. */
  unexpected: number;
  /** Rejoins whose `joined` said older missed messages were left out (more than 500 missed). */
  truncatedRejoins: number;
}

/** Where the load stood when the workload stopped and everything in flight had settled. */
export interface LoadFinal {
  connections: number;
  open: number;
  /** Connections not open and settled when the drain ended, by the last reason seen (an opening's failure, or what it was still waiting for). */
  unsettled: Record<string, number>;
  /** Sends still awaiting their answer when the drain ended. */
  unanswered: number;
  /** Sends whose connection closed before their answer came. */
  closedUnanswered: number;
  /** Sends given up after an error that is not retried. */
  refused: number;
  sent: number;
  acked: number;
  errors: Record<string, number>;
  reconnects: number;
  retries: number;
  closedByServer: Record<string, number>;
  stream: StreamCheck;
  drainMs: number;
}

/** The history check: every acknowledged message, read back over HTTP. */
export interface HistoryCheck {
  rooms: number;
  /** Messages read from history in all rooms. */
  stored: number;
  acked: number;
  /** Acked messages found exactly once, with the seq and id of their ack. */
  storedOnce: number;
  /** Acked messages not in history. */
  lost: number;
  /** cids found more than once in a room (each is unique to one send). */
  doubled: number;
  /** Acked messages found once but under another seq or id than the ack gave. */
  mismatched: number;
  /** Sends answered with an error that is not retried (nothing stored, the contract says), yet in history. */
  refusedStored: number;
  /** Sends whose connection closed before their answer, in history (committed, the ack lost with the connection: allowed). */
  unansweredStored: number;
  /** Messages in history with a cid this run never sent. */
  foreign: number;
  /** Rooms whose seqs are not exactly 1..lastSeq. */
  roomsWithSeqGaps: number;
  /** A few examples of whatever went wrong, for the report. */
  examples: string[];
  ms: number;
}

export type ToLoad =
  | { type: 'start'; workload: Workload }
  | { type: 'sample' }
  /** Stop the workload (no new sends, room changes or reconnections) and let everything settle. */
  | { type: 'stop' }
  | { type: 'verify' }
  | { type: 'close' };

export type FromLoad =
  | { type: 'ready'; ms: number; open: number; joined: number; failures: string[] }
  | { type: 'sample'; window: LoadWindow }
  | { type: 'stopped'; final: LoadFinal }
  | { type: 'verified'; history: HistoryCheck }
  | { type: 'closed' };
