/**
 * Parley's own account of a pass, from its GET /metrics (server/metrics.ts) scraped before
 * and after, so the bench's figures and the server's can be read side by side: deliveries
 * counted at the subscribers against those Parley published, posts acknowledged against
 * messages it committed, CPU from /proc against the process's own counter.
 *
 * The text format is parsed here (a line per sample: name, optional labels, value): a few
 * lines of code, against a dependency for the one call.
 */

/** One scrape: each sample's value by its name and labels as written ("a_total{code=\"x\"}"). */
export type MetricsScrape = Map<string, number>;

/** GET /metrics with the bearer token; undefined when the server has none (an older Parley) or it fails. */
export async function scrapeMetrics(url: string, token: string): Promise<MetricsScrape | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    // Without METRICS_TOKEN the path is not an API route: the client's page may answer it.
    if (!res.ok || !res.headers.get('content-type')?.startsWith('text/plain')) return undefined;
    return parseMetrics(await res.text());
  } catch {
    return undefined;
  }
}

const SAMPLE = /^([A-Za-z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/;

export function parseMetrics(text: string): MetricsScrape {
  const out: MetricsScrape = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isNaN(value)) out.set(m[1]! + (m[2] ?? ''), value);
  }
  return out;
}

/** The sum of one metric's samples over every label set, or over those whose labels match `label`. */
function total(s: MetricsScrape, name: string, label?: RegExp): number {
  let sum = 0;
  for (const [key, v] of s) if ((key === name || key.startsWith(`${name}{`)) && (!label || label.test(key))) sum += v;
  return sum;
}

/**
 * The upper bound of the bucket that holds quantile q of a histogram's observations between
 * two scrapes (Prometheus buckets are cumulative), in the histogram's unit; undefined when
 * nothing was observed, Infinity when it is past the last bound.
 */
export function histogramQuantile(before: MetricsScrape, after: MetricsScrape, name: string, q: number): number | undefined {
  const buckets: { le: number; count: number }[] = [];
  for (const [key, v] of after) {
    if (!key.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(key)?.[1];
    if (le === undefined) continue;
    buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: v - (before.get(key) ?? 0) });
  }
  buckets.sort((a, b) => a.le - b.le);
  const n = buckets.at(-1)?.count ?? 0;
  if (n <= 0) return undefined;
  return buckets.find((b) => b.count >= q * n)?.le;
}

/** What Parley counted over a pass. */
export interface ServerMetricsView {
  /** parley_deliveries_total: frames published times the sockets subscribed. */
  deliveries: number;
  /** parley_messages_committed_total. */
  committed: number;
  /** Group-commit statements, their mean size and the bucket bound of their p99 time, ms. */
  commitStatements: number;
  meanBatch: number | undefined;
  commitP99Ms: number | undefined;
  /** HTTP answers by class (the bench's posts over HTTP). */
  http2xx: number;
  httpOther: number;
  /** `ack` frames written (the bench's sends over WebSocket), from parley_ack_seconds, and the bucket bound of their p99 time, ms. */
  wsAcks: number;
  ackP99Ms: number | undefined;
  rateLimited: number;
  errorFrames: number;
  slowReadersClosed: number;
  /** process_cpu_seconds_total, µs: the server process alone (no PostgreSQL). */
  processCpuUs: number;
  /** Event-loop delay p99 over the pass (prom-client resets it at each scrape), ms. */
  eventLoopP99Ms: number | undefined;
}

export function compareScrapes(before: MetricsScrape, after: MetricsScrape): ServerMetricsView {
  const delta = (name: string, label?: RegExp) => total(after, name, label) - total(before, name, label);
  const statements = delta('parley_commit_batch_size_count');
  const p99 = histogramQuantile(before, after, 'parley_commit_seconds', 0.99);
  const lag = after.get('nodejs_eventloop_lag_p99_seconds');
  const http2xx = delta('parley_http_requests_total', /status="2\d\d"/);
  const ackP99 = histogramQuantile(before, after, 'parley_ack_seconds', 0.99);
  return {
    deliveries: delta('parley_deliveries_total'),
    committed: delta('parley_messages_committed_total'),
    commitStatements: statements,
    meanBatch: statements > 0 ? delta('parley_commit_batch_size_sum') / statements : undefined,
    commitP99Ms: p99 === undefined ? undefined : p99 * 1000,
    http2xx,
    httpOther: delta('parley_http_requests_total') - http2xx,
    wsAcks: delta('parley_ack_seconds_count'),
    ackP99Ms: ackP99 === undefined ? undefined : ackP99 * 1000,
    rateLimited: delta('parley_rate_limited_total'),
    errorFrames: delta('parley_errors_total'),
    slowReadersClosed: delta('parley_slow_readers_closed_total'),
    processCpuUs: delta('process_cpu_seconds_total') * 1e6,
    eventLoopP99Ms: lag === undefined ? undefined : lag * 1000,
  };
}
