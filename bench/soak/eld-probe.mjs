/**
 * A preload for the soak, given to the server as NODE_OPTIONS="--import <this file>": it
 * measures the event-loop delay of the process it is loaded into, so the server is measured
 * without a line of its code changed. Once a second it appends one JSON line (an EldLine,
 * bench/soak/eld.ts) to the file named by SOAK_ELD_FILE, never to stdout, where Parley logs
 * JSON: the delays of that second and the process's memory figures. Without SOAK_ELD_FILE it
 * does nothing.
 *
 * Plain JavaScript, because NODE_OPTIONS preloads also run in tsx's module-hooks thread,
 * where TypeScript cannot be loaded yet (a .ts preload there failed, or hung the start);
 * and only the main thread measures.
 *
 * The delays are perf_hooks.monitorEventLoopDelay's samples: a native timer every
 * RESOLUTION_MS, each sample the time between two of its firings, so each includes the
 * resolution itself (an idle loop reads about 10 ms); the line carries the delay beyond it,
 * in µs. A second holds at most 1000 / RESOLUTION_MS samples, few enough to write them all
 * (HDR-rounded to 3 significant digits), so the soak pools the samples of a whole window and
 * takes its percentiles exactly, rather than averaging per-second percentiles.
 */
import { openSync, writeSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const RESOLUTION_MS = 10;
const WRITE_EVERY_MS = 1000;

const file = isMainThread ? process.env.SOAK_ELD_FILE : undefined;
// Processes the server starts inherit NODE_OPTIONS, and with it this preload: only the server writes.
if (isMainThread) delete process.env.SOAK_ELD_FILE;

if (file) {
  const fd = openSync(file, 'a');
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const timer = setInterval(() => {
    const n = histogram.count;
    const delaysUs = [];
    // The k-th of n samples, read back in order through the percentile at k/n.
    for (let k = 1; k <= n; k++) delaysUs.push(Math.max(0, Math.round(histogram.percentile((100 * k) / n) / 1000 - RESOLUTION_MS * 1000)));
    histogram.reset();
    const mem = process.memoryUsage();
    const line = { at: Date.now(), delaysUs, rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers };
    writeSync(fd, JSON.stringify(line) + '\n');
  }, WRITE_EVERY_MS);
  timer.unref();
}
