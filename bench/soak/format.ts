/** How the soak writes its figures, shared by the terminal, the Markdown and the chart; and the terminal's sample table. */
import type { SoakSample } from './results.js';

export const MB = 1024 * 1024;
export const num = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const fixed = (v: number | undefined, digits = 1) => (v === undefined ? '–' : v.toFixed(digits));
export const signed = (v: number | undefined, digits = 2) => (v === undefined ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`);
export const minutes = (s: number) => (s >= 120 ? `${num(s / 60, s % 60 ? 1 : 0)} min` : `${num(s)} s`);
export const pct = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v)}%`);

const mbText = (b: number | undefined) => (b === undefined ? '–' : (b / MB).toFixed(1));
const msText = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));

/** Errors and server closes of a window, as `code:n` pairs. */
/** CPU the machine spent on anything but the server, its PostgreSQL and the load process, percent of one core. */
export function othersCpuPercent(s: SoakSample): number | undefined {
  if (s.serverCpuPercent === undefined || s.pgCpuPercent === undefined) return undefined;
  const busy = s.coreBusyPercent.reduce((a, b) => a + b, 0);
  return Math.max(0, busy - s.serverCpuPercent - s.pgCpuPercent - s.loadCpuPercent);
}

export function countsText(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k}:${v}`);
  return parts.length ? parts.join(' ') : '-';
}

const COLUMNS: Array<[string, number, (s: SoakSample) => string]> = [
  ['t s', 6, (s) => String(s.t)],
  ['RSS MB', 7, (s) => mbText(s.serverRssBytes)],
  ['heap MB', 7, (s) => mbText(s.serverHeapUsedBytes)],
  ['PG MB', 6, (s) => mbText(s.pgPssBytes)],
  ['ELD p50', 7, (s) => msText(s.eld?.p50)],
  ['ELD p99', 7, (s) => msText(s.eld?.p99)],
  ['ELD max', 7, (s) => msText(s.eld?.max)],
  ['ack p50', 7, (s) => msText(s.ackLatency?.p50)],
  ['ack p99', 7, (s) => msText(s.ackLatency?.p99)],
  ['acks/s', 6, (s) => s.acksPerSecond.toFixed(0)],
  ['open', 5, (s) => String(s.open)],
  ['recon', 5, (s) => String(s.reconnects)],
  ['srv CPU', 7, (s) => pct(s.serverCpuPercent)],
  ['srv wait', 8, (s) => pct(s.serverRunQueuePercent)],
  ['PG CPU', 6, (s) => pct(s.pgCpuPercent)],
  ['load CPU', 8, (s) => pct(s.loadCpuPercent)],
  ['load wait', 9, (s) => pct(s.loadRunQueuePercent)],
  ['others', 6, (s) => pct(othersCpuPercent(s))],
  ['CPU PSI', 7, (s) => pct(s.cpuPressurePercent)],
  ['errors', 0, (s) => countsText({ ...s.errors, ...Object.fromEntries(Object.entries(s.closedByServer).map(([k, v]) => [`close ${k}`, v])) })],
];

export function sampleHeader(): string {
  return COLUMNS.map(([h, w]) => h.padStart(w)).join(' ');
}

export function sampleLine(s: SoakSample): string {
  return COLUMNS.map(([, w, f]) => f(s).padStart(w)).join(' ');
}
