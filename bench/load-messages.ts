/**
 * What the benchmark's orchestrator (run.ts) and its load processes (subscribers.ts, and
 * publisher.ts or ws-publisher.ts, which speak the same messages) say to each other over
 * the Node IPC channel.
 */

/** 'parley-before': Parley at the older commit `--before` names. */
/** 'parley-cluster': two Parley processes over Redis (npm run cluster), sharing one port. */
export type ServerKind = 'parley' | 'parley-before' | 'parley-cluster' | 'uws' | 'socketio';

/** Latency figures in milliseconds, from an HDR histogram of microseconds. */
export interface LatencySummary {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

// ---- subscribers ----------------------------------------------------------------------

export interface SubscriberSpec {
  /** Room to join; undefined opens an idle connection that joins nothing. */
  room?: string;
  /** Cookie header (Parley's session); the baselines need none. */
  cookie?: string;
}

export type ToSubscribers =
  | { type: 'open'; kind: ServerKind; url: string; connections: SubscriberSpec[]; sampleEvery: number; concurrency: number }
  /** Start of a measurement: zero the counts and the latency histogram. */
  | { type: 'reset' }
  | { type: 'peek' }
  | { type: 'report' }
  | { type: 'close' };

export interface SubscriberReport {
  /** `msg` frames counted per connection since the last reset, in the order of `open`. */
  perConnection: number[];
  delivered: number;
  latency: LatencySummary | undefined;
  /** Sampled connections that saw a seq skipped (a message missing) since the last reset. */
  seqGaps: number;
  /** Frames on sampled connections published before the pass began (left out of its latency). */
  staleSampled: number;
  /** Connections closed by the other side since they opened, by close code. */
  closedByServer: Record<string, number>;
  /** CPU time of the subscriber process since the last reset, µs. */
  cpuUs: number;
}

/** Openings tried again after a transport failure (subscribers.ts), and why: distinct reasons, counted. */
export interface OpeningRetries {
  count: number;
  reasons: string[];
}

export type FromSubscribers =
  | { type: 'opened'; ms: number; opened: number; failures: string[]; retries: OpeningRetries }
  | { type: 'peek'; delivered: number }
  | { type: 'report'; report: SubscriberReport }
  | { type: 'closed' };

// ---- publisher ------------------------------------------------------------------------

export interface PublishRun {
  /** Base URL of the server, e.g. http://127.0.0.1:4000 */
  url: string;
  /** Rooms to post to, in rotation. */
  rooms: string[];
  /** Cookie headers used in rotation (Parley's publisher users); empty for the baselines. */
  cookies: string[];
  seconds: number;
  /** closed: `connections` closed loops; rate: `publishesPerSecond` spread evenly over the second. */
  mode: 'closed' | 'rate';
  connections: number;
  publishesPerSecond: number;
  /** Which server: ws-publisher.ts speaks Socket.IO to 'socketio' and Parley's protocol to the rest; publisher.ts needs none. */
  kind?: ServerKind;
}

export interface RoomPublishes {
  sent: number;
  /** Answered 2xx (an `ack` over WebSocket): accepted and (for Parley) committed. */
  acked: number;
  /** Answered with any status (over WebSocket: an `ack` or an `error` frame). */
  answered: number;
}

export interface PublishResult {
  seconds: number;
  sent: number;
  acked: number;
  /** Refusals by status; over WebSocket by `error` code, and sockets closed during the run as `closed <code>`. */
  non2xx: Record<string, number>;
  /** Connection errors, timeouts not included; over WebSocket, posts not sent because their socket had closed. */
  errors: number;
  /** Posts unanswered after autocannon's timeout (their connection is replaced). */
  timeouts: number;
  perRoom: Record<string, RoomPublishes>;
  /** CPU time of the publisher process during the run, µs. */
  cpuUs: number;
}

export type ToPublisher =
  | { type: 'run'; run: PublishRun }
  /** ws-publisher.ts: `msg` frames its own sockets have received since the last run began (its copies of its posts). */
  | { type: 'copies' }
  /** ws-publisher.ts: close the sockets a run opened (the next run opens them again). */
  | { type: 'close' }
  | { type: 'exit' };

export type FromPublisher =
  | { type: 'tick'; acked: number }
  /** `error`: the run could not start (ws-publisher.ts: its sockets could not open and join); `result` is then empty. */
  | { type: 'done'; result: PublishResult; error?: string }
  | { type: 'copies'; received: number }
  | { type: 'closed' };
