/**
 * The soak's view of the machine from /proc: the server's memory, CPU and run-queue wait
 * (with its PostgreSQL's), each core's busy time and the machine's CPU pressure, read at
 * each sample and differenced with the one before.
 */
import { readFileSync } from 'node:fs';
import { coreTimes, cpuDelta, cpuSample, descendantsPssBytes, rssBytes, type CoreTimes, type CpuSample } from '../proc-stats.js';
import type { SoakSample } from './results.js';

/** What /proc says at a sample, to difference with the next. */
export interface ProcPoint {
  at: number;
  /** The server's pid; undefined when soaking a server of unknown pid. */
  pid: number | undefined;
  server: CpuSample | undefined;
  cores: CoreTimes[];
  /** /proc/pressure/cpu "some" total, µs (undefined without PSI). */
  cpuPressureUs: number | undefined;
  /** The server's main thread's run-queue wait so far, µs. */
  serverRunQueueUs: number | undefined;
}

/** The sample's figures that come from /proc. */
export type MachineFigures = Pick<
  SoakSample,
  'windowSeconds' | 'serverUp' | 'serverRssBytes' | 'pgPssBytes' | 'serverCpuPercent' | 'pgCpuPercent' | 'serverRunQueuePercent' | 'coreBusyPercent' | 'coreStealPercent' | 'cpuPressurePercent'
>;

/** Whether the server process is still there (a zombie has no VmRSS); true when its pid is unknown. */
export const processAlive = (pid: number | undefined) => pid === undefined || rssBytes(pid) !== undefined;

/**
 * How long, in all, the main thread of a process (`self` or a pid) has waited on a run queue
 * while ready to run, µs: the second field of /proc/<pid>/schedstat. An event loop that is
 * late while its thread waits here was starved of CPU by other processes, not busy itself.
 */
export function runQueueWaitUs(pid: number | 'self'): number | undefined {
  try {
    const wait = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(wait) ? wait / 1000 : undefined;
  } catch {
    return undefined;
  }
}

function cpuPressureUs(): number | undefined {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function procPoint(pid: number | undefined): ProcPoint {
  return {
    at: performance.now(),
    pid,
    server: pid === undefined ? undefined : cpuSample(pid),
    cores: coreTimes(),
    cpuPressureUs: cpuPressureUs(),
    serverRunQueueUs: pid === undefined ? undefined : runQueueWaitUs(pid),
  };
}

/** A µs counter's growth between two points as a share of the window, percent. */
function share(from: number | undefined, to: number | undefined, seconds: number): number | undefined {
  return from === undefined || to === undefined ? undefined : (to - from) / 1e4 / seconds;
}

/** The window between two points; memory is read now, at its end. */
export function machineWindow(prev: ProcPoint, now: ProcPoint): MachineFigures {
  const seconds = (now.at - prev.at) / 1000;
  const cpu = cpuDelta(prev.server, now.server);
  const pid = now.pid;
  return {
    windowSeconds: seconds,
    serverUp: processAlive(pid),
    serverRssBytes: pid === undefined ? undefined : rssBytes(pid),
    pgPssBytes: pid === undefined ? undefined : descendantsPssBytes(pid),
    serverCpuPercent: cpu && cpu.selfUs / 1e4 / seconds,
    pgCpuPercent: cpu && cpu.childrenUs / 1e4 / seconds,
    serverRunQueuePercent: share(prev.serverRunQueueUs, now.serverRunQueueUs, seconds),
    ...corePercents(prev.cores, now.cores),
    cpuPressurePercent: share(prev.cpuPressureUs, now.cpuPressureUs, seconds),
  };
}

function corePercents(from: CoreTimes[], to: CoreTimes[]): { coreBusyPercent: number[]; coreStealPercent: number[] } {
  const busy: number[] = [];
  const steal: number[] = [];
  to.forEach((c, i) => {
    const f = from[i];
    const total = f ? c.totalUs - f.totalUs : 0;
    busy.push(f && total > 0 ? ((c.busyUs - f.busyUs) / total) * 100 : 0);
    steal.push(f && total > 0 ? ((c.stealUs - f.stealUs) / total) * 100 : 0);
  });
  return { coreBusyPercent: busy, coreStealPercent: steal };
}
