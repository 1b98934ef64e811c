/**
 * Reading what eld-probe.mjs writes inside the server: new lines since the last read, pooled
 * into one window's event-loop delay figures and the server's heap at the window's end.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { LatencyFigures } from './messages.js';
import { latencyFigures } from './stats.js';

/** One line of the probe: one second of the server. */
export interface EldLine {
  /** ms since the epoch, when written. */
  at: number;
  /** Event-loop delays beyond the probe timer's resolution over the second before `at`, µs, ascending. */
  delaysUs: number[];
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface EldWindow {
  /** The delays of every second in the window, pooled, ms. */
  delay: LatencyFigures | undefined;
  /** Seconds (probe lines) in the window. */
  seconds: number;
  /** The server's memory at the last line of the window (process.memoryUsage). */
  heapUsedBytes: number | undefined;
  externalBytes: number | undefined;
}

/** Reads the lines appended to the probe's file since the last call; a partly written last line waits for the next. */
export class EldReader {
  private offset = 0;
  private partial = '';

  constructor(private readonly path: string) {}

  /** Skips everything written so far (the server's start). */
  skipToEnd(): void {
    this.readLines();
  }

  readLines(): EldLine[] {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return [];
    }
    if (size <= this.offset) return [];
    const fd = openSync(this.path, 'r');
    const buf = Buffer.alloc(size - this.offset);
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const lines = (this.partial + buf.toString('utf8')).split('\n');
    this.partial = lines.pop()!;
    return lines.filter(Boolean).map((l) => JSON.parse(l) as EldLine);
  }

  window(): EldWindow {
    const lines = this.readLines();
    const last = lines[lines.length - 1];
    const delay = latencyFigures(lines.flatMap((l) => l.delaysUs));
    return {
      delay: delay && { count: delay.count, p50: delay.p50 / 1000, p99: delay.p99 / 1000, max: delay.max / 1000 },
      seconds: lines.length,
      heapUsedBytes: last?.heapUsed,
      externalBytes: last?.external,
    };
  }
}
