/**
 * What a fan-out run measures and reports, as data: the settings, each pass's result, each
 * scenario's opening, the connection-scale result and the progress sink. The passes fill
 * these in, report.ts writes them out; neither imports the other's code for them.
 */
import type { LatencySummary, OpeningRetries, ServerKind } from './load-messages.js';
import type { ServerMetricsView } from './server-metrics.js';

export type PassKind = 'closed' | 'rate';

/** How the publishers send: HTTP posts (publisher.ts) or `send` frames on their own WebSockets (ws-publisher.ts). */
export type PublishVia = 'http' | 'ws';

export interface FanOutSettings {
  seconds: number;
  warmupSeconds: number;
  /** Target deliveries per second of the fixed-rate pass. */
  deliveriesPerSecond: number;
  /** autocannon connections of the closed-loop pass, and the publisher sockets over WebSocket. */
  closedConnections: number;
  /** The publishing paths each scenario is measured on, in this order. */
  publishVia: PublishVia[];
  /** One connection in this many records latency. */
  sampleEvery: number;
  drainTimeoutSeconds: number;
}

export interface PassResult {
  server: ServerKind;
  scenario: string;
  subscribers: number;
  pass: PassKind;
  via: PublishVia;
  /** Length of the publishing window, s. */
  seconds: number;
  /** From the end of the window to the last delivery, s. */
  drainSeconds: number;
  /** The drain ended (quiet for 10 s, or its timeout) short of the acknowledged posts. */
  drainEndedShort: boolean;
  targetPublishesPerSecond: number | undefined;
  /**
   * Over WebSocket, non2xx holds `error` frames by code and sockets closed as `closed <code>`;
   * ownCopies: the `msg` frames the publisher sockets received for their rooms (their own
   * posts' copies), counted from the window's start to the end of the drain; not deliveries.
   */
  publishes: { sent: number; acked: number; inFlight: number; non2xx: Record<string, number>; errors: number; timeouts: number; ownCopies?: number };
  publishesPerSecond: number;
  /** msg frames counted at the subscribers, from the start of the window to the end of the drain. */
  deliveries: number;
  /** deliveries / (window + drain). */
  deliveriesPerSecond: number;
  /** Acknowledged posts times the subscribers of their room. */
  expected: number;
  /** Share of (subscriber, acknowledged post) pairs delivered, 0..1. */
  completeness: number;
  /** Connections that missed at least one acknowledged post of their room. */
  incompleteConnections: number;
  /** Deliveries beyond the acknowledged posts, and the most that posts in flight at the stop explain. */
  extra: number;
  extraExplained: number;
  /** Sampled connections that saw a gap in seq. */
  seqGaps: number;
  /** Frames on sampled connections left over from the pass before (left out of latency). */
  staleSampled: number;
  closedByServer: Record<string, number>;
  latency: LatencySummary | undefined;
  /** Server CPU from /proc over window + drain: the server process, and (Parley) its PostgreSQL. */
  serverCpu: { processUs: number; databaseUs: number; percentOfCore: number; usPerDelivery: number } | undefined;
  serverRssBytes: number | undefined;
  databasePssBytes: number | undefined;
  /** CPU of the load processes over the same span. */
  loadCpu: { publisherUs: number; subscribersUs: number; percentOfCore: number };
  /** The span both CPU figures cover: from the start of the window to the end of the drain, s. */
  cpuSpanSeconds: number;
  /**
   * The server core and the load core over the same span, from /proc/stat: how busy (by
   * anything, kernel networking included) and how much the hypervisor took (steal), percent.
   */
  cores: { server: CoreUse; load: CoreUse } | undefined;
  /** Parley: messages committed during the pass, from GET /api/rooms lastSeq deltas. */
  committed: number | undefined;
  /** Parley: its own GET /metrics over the same span (scraped before the window and after the drain). */
  serverMetrics: ServerMetricsView | undefined;
}

/** How a scenario's subscribers opened. */
export interface ScenarioOpening {
  server: ServerKind;
  scenario: string;
  subscribers: number;
  /** Time to open and join them all, s. */
  seconds: number;
  retries: OpeningRetries;
}

export interface CoreUse {
  busyPercent: number;
  stealPercent: number;
}

export interface Progress {
  /** A transient status line (overwritten by the next). */
  status(text: string): void;
  /** A permanent line. */
  log(text: string): void;
}

export interface ConnectionScaleResult {
  connections: number;
  opened: number;
  failures: string[];
  retries: OpeningRetries;
  users: number;
  signupSeconds: number;
  connectSeconds: number;
  rssBeforeBytes: number | undefined;
  rssAfterBytes: number | undefined;
  bytesPerConnection: number | undefined;
  fileLimit: string;
}
