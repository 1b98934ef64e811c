/** What a soak run produces: one sample per window, the end-of-run checks, and its settings. */
import type { HistoryCheck, LatencyFigures, LoadFinal, WindowCounts } from './messages.js';
import type { ServerRuntime } from '../server-process.js';

/** One sampling window: the server as /proc and its probe saw it, the load's counts, the machine. */
export interface SoakSample extends WindowCounts {
  /** Seconds since the workload started, at the end of this window. */
  t: number;
  windowSeconds: number;
  /** The server process still existed at the end of the window (always true with --url and no --pid). */
  serverUp: boolean;
  /** VmRSS of the server process (PostgreSQL not included). */
  serverRssBytes: number | undefined;
  /** process.memoryUsage() inside the server, from the event-loop probe's last line of the window. */
  serverHeapUsedBytes: number | undefined;
  serverExternalBytes: number | undefined;
  /** PSS of the server's descendants together: its embedded PostgreSQL. */
  pgPssBytes: number | undefined;
  /** CPU of the server process and of its PostgreSQL over the window, percent of one core. */
  serverCpuPercent: number | undefined;
  pgCpuPercent: number | undefined;
  /** The server's event-loop delay over the window, ms (all samples of the window pooled). */
  eld: LatencyFigures | undefined;
  /** send → ack at the clients, ms. */
  ackLatency: LatencyFigures | undefined;
  acksPerSecond: number;
  /**
   * Share of the window the server's main thread (its event loop) was ready to run but
   * waited for a CPU (/proc/<pid>/schedstat): event-loop delay from CPU starvation, not work.
   */
  serverRunQueuePercent: number | undefined;
  /** The same for the load process's main thread: its ack latencies include this. */
  loadRunQueuePercent: number | undefined;
  /** The load process: CPU over the window (percent of one core) and RSS. */
  loadCpuPercent: number;
  loadRssBytes: number;
  /** Every core of the machine: busy and hypervisor steal over the window, percent. */
  coreBusyPercent: number[];
  coreStealPercent: number[];
  /** Share of the window in which some runnable task of the machine waited for a CPU (/proc/pressure/cpu "some"): contention from anything, ours included. */
  cpuPressurePercent: number | undefined;
}

export interface SoakSettings {
  seconds: number;
  connections: number;
  users: number;
  connectionsPerUser: number;
  rooms: number;
  roomsPerConnection: [number, number];
  sampleSeconds: number;
  seed: number;
  sendEvery: [number, number];
  typingShare: number;
  churnEvery: [number, number];
  reconnectEvery: [number, number];
  warmupShare: number;
}

export interface SoakResult {
  startedAt: string;
  wallSeconds: number;
  machine: { cpu: string; cores: number; node: string; os: string };
  pinning: string;
  /** The processes' scheduling priority (nice). */
  priority: string;
  /** 'started': a Parley this run started (and stopped); otherwise the --url it was given. */
  target: string;
  settings: SoakSettings;
  /** Parley's settings on top of its defaults (a started server only). */
  serverEnv: Record<string, string>;
  /** The uWebSockets.js build and allocator the started server said it runs on (absent in runs before they were recorded, and with --url). */
  serverRuntime?: ServerRuntime;
  setup: { signupMs: number; openMs: number; failures: string[] };
  samples: SoakSample[];
  final: LoadFinal;
  history: HistoryCheck;
  /** The server process was there to the end and answered /healthz. */
  serverUpAtEnd: boolean;
  /** The server's last warnings and errors from its log (a started server only). */
  serverProblems: string[];
  drift: DriftReport;
  /** Heap snapshots the server wrote (--heap-snapshots), in order. */
  heapSnapshots: HeapSnapshot[];
}

export interface HeapSnapshot {
  /** Seconds into the workload, or after it stopped and settled. */
  t: number | 'end';
  file: string;
  /** The server's RSS right after it (the snapshot collects all garbage first). */
  rssAfterBytes: number | undefined;
}

/** One figure's drift over a run (made by drift.ts). */
export interface DriftFigure {
  key: string;
  label: string;
  unit: string;
  /** Samples after the warm-up with a value. */
  samples: number;
  slopePerMinute: number | undefined;
  /** slope / its standard error. */
  t: number | undefined;
  /** t corrected for residuals that follow each other (stats.ts linearFit); absent in runs judged by rule 1. */
  tAdjusted?: number;
  residualLag1?: number;
  /** What the line gives from the first to the last sample used. */
  fittedChange: number | undefined;
  /** Theil-Sen slope and the change it gives over the span: the size rule 2 judges (absent in older runs). */
  robustSlopePerMinute?: number;
  robustChange?: number;
  median: number | undefined;
  firstHalfMedian: number | undefined;
  secondHalfMedian: number | undefined;
  /** (second half's median - first half's) / first half's, percent. */
  halfChangePercent: number | undefined;
  threshold: number | undefined;
  why: string;
  informational: boolean;
  upward: boolean;
  /** What rule 1 (least squares alone) would say, kept for comparison. */
  upwardByRule1?: boolean;
}

export interface DriftReport {
  /** Which drift rule judged the run (drift.ts); absent means rule 1. */
  rule?: number;
  warmupSeconds: number;
  /** From the first to the last sample used. */
  spanSeconds: number;
  figures: DriftFigure[];
  /** Any figure of the verdict drifted upward. */
  upward: boolean;
}
