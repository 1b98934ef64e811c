/**
 * What every scenario reports, and the small measuring tools they share: timed HTTP,
 * readiness polling, quantiles and counts.
 */
import http from 'node:http';
import type { Audit, LedgerTotals } from './ledger.js';

export interface ScenarioResult {
  id: number;
  title: string;
  /** What was tried: the inputs, how many, for how long. */
  tried: string;
  /** The measurements, in reading order. */
  figures: Array<[label: string, value: string]>;
  /** For send storms: the ledger's totals and the audit of the stored history. */
  ledger?: { totals: LedgerTotals; audit: Audit; storedBeforeRetry: Record<string, number> };
  /** Each check that did not hold, as a precise sentence; empty means everything held. */
  findings: string[];
  /** Anything worth knowing that is not a failure. */
  notes: string[];
  ms: number;
  logFile?: string;
}

export interface Scenario {
  id: number;
  title: string;
  run(ctx: ScenarioContext): Promise<Omit<ScenarioResult, 'id' | 'title' | 'ms'>>;
}

export interface ScenarioContext {
  /** Where each server's log is written. */
  logDir: string;
  /** A DATA_DIR initialised once per run (initdb, migrations), copied for every server. */
  templateDir: string;
  /** A progress line on stderr. */
  progress(line: string): void;
}

/** Collects figures, findings, notes and server logs while a scenario runs. */
export class Report {
  readonly figures: Array<[string, string]> = [];
  readonly findings: string[] = [];
  readonly notes: string[] = [];
  readonly logFiles: string[] = [];

  /** The scenario's result, `tried` saying what was done. */
  result(tried: string): Omit<ScenarioResult, 'id' | 'title' | 'ms'> {
    return { tried, figures: this.figures, findings: this.findings, notes: this.notes, logFile: this.logFiles.join(', ') };
  }

  /** Records what kept the scenario from finishing (its first line). */
  aborted(err: unknown): void {
    this.check(false, `the scenario could not finish: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }

  figure(label: string, value: string | number): void {
    this.figures.push([label, String(value)]);
  }

  /** Records `failure` unless `ok`. */
  check(ok: boolean, failure: string): boolean {
    if (!ok) this.findings.push(failure);
    return ok;
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

export interface Timed {
  status: number;
  ms: number;
  headers: Headers;
  body: any;
  /** Set when the request failed below HTTP (refused, reset, timed out). */
  error?: string;
}

/**
 * One HTTP request on a connection of its own (node:http, no pooling), with its latency; a
 * failure below HTTP (refused, reset, timed out) is status 0 with `error`. Not fetch: with a
 * thousand requests at once, undici's own connection handling added seconds to every one
 * (1,000 GET /healthz at once: p50 8 s with fetch, 0.6 s with node:http or raw sockets).
 */
export function timedFetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<Timed> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const failed = (err: Error) => resolve({ status: 0, ms: performance.now() - t0, headers: new Headers(), body: undefined, error: err.message });
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false, timeout: init.timeoutMs ?? 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', failed);
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : [v ?? '']) headers.append(k, one);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, headers, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', failed);
    req.end(init.body);
  });
}

export function jsonPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Timed> {
  return timedFetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/**
 * Polls `probe` every `everyMs` until it returns true; resolves with the ms from `since`
 * (a performance.now() time) to the first true answer, or undefined after `timeoutMs`.
 */
export async function timeUntil(probe: () => Promise<boolean>, since: number, timeoutMs: number, everyMs = 100): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe()) return performance.now() - since;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return undefined;
}

export async function readyStatus(url: string): Promise<number> {
  return (await timedFetch(`${url}/readyz`, { timeoutMs: 5000 })).status;
}

/** The value at quantile q (0..1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

/** "p50 / p99 / max" of latencies in ms. */
export function spread(values: number[]): string {
  if (values.length === 0) return 'n/a';
  return `p50 ${ms(quantile(values, 0.5))}, p99 ${ms(quantile(values, 0.99))}, max ${ms(Math.max(...values))} (n=${values.length})`;
}

export function mb(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 1048576).toFixed(0)} MB`;
}

/** Counts by key, rendered "201: 20, 429: 980" in descending count. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(key: string | number, n = 1): void {
    this.counts.set(String(key), (this.counts.get(String(key)) ?? 0) + n);
  }

  get(key: string | number): number {
    return this.counts.get(String(key)) ?? 0;
  }

  keys(): string[] {
    return [...this.counts.keys()];
  }

  get total(): number {
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }

  toString(): string {
    if (this.counts.size === 0) return 'none';
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
  }

  static of(record: Record<string, number>): Tally {
    const t = new Tally();
    for (const [k, n] of Object.entries(record)) t.add(k, n);
    return t;
  }
}

/** The status of an HTTP answer, with the error code of a JSON error body ("429 rate_limited"). */
export function answerKey(r: Timed): string {
  if (r.status === 0) return `no answer (${r.error})`;
  const code = r.body?.error?.code;
  return code ? `${r.status} ${code}` : String(r.status);
}
