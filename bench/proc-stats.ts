/**
 * CPU time and memory of a process (and of the processes it started, such as Parley's
 * embedded PostgreSQL) read from /proc. Linux only; elsewhere every figure is undefined.
 *
 * CPU time is the scheduler's own count of time on a CPU (the first field of each thread's
 * `schedstat`, in ns), not `stat`'s utime and stime: those are sampled at the clock tick
 * (100 a second), and work that wakes just after a tick and sleeps before the next is never
 * charged, or charged a whole tick. At a low message rate, driven by timers that fire on
 * the tick, that bias is most of the figure: a PostgreSQL backend committing 20 posts a
 * second read 1 µs per post from stat and 677 µs from schedstat (2026-12-03).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSample {
  /** Time on a CPU of the process itself and of its live descendants other than PostgreSQL (a cluster's nodes and Redis), µs. */
  selfUs: number;
  /** The same of its PostgreSQL processes, live and reaped, µs. */
  childrenUs: number;
}

let clockTicks: number | undefined;

/** Clock ticks per second of /proc's cutime and cstime (getconf CLK_TCK, almost always 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface StatLine {
  comm: string;
  ppid: number;
  /** CPU of its exited children that it has reaped (cutime + cstime), ticks. */
  reapedTicks: number;
}

/** Each live thread's time on a CPU, µs, by thread id (empty once the process is gone). */
export function threadRunTimes(pid: number): Map<number, number> {
  const times = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return times;
  }
  for (const tid of tids) {
    try {
      times.set(Number(tid), Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000);
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return times;
}

/** Time on a CPU of every live thread of the process, µs. */
function runTimeUs(pid: number): number {
  let total = 0;
  for (const us of threadRunTimes(pid).values()) total += us;
  return total;
}

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, cutime 16, cstime 17.
  return {
    comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
    ppid: Number(fields[1]),
    reapedTicks: Number(fields[13]) + Number(fields[14]),
  };
}

/** The stat line of every live descendant of pid (children, grandchildren...), by pid. */
function descendantStats(pid: number): Map<number, StatLine> {
  const stats = new Map<number, StatLine>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return stats;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st) stats.set(Number(name), st);
  }
  const found = new Map<number, StatLine>();
  const wanted = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [child, st] of stats) {
      if (wanted.has(st.ppid) && !wanted.has(child)) {
        wanted.add(child);
        found.set(child, st);
        grew = true;
      }
    }
  }
  return found;
}

/** Every live descendant of pid (children, grandchildren...). */
export function descendants(pid: number): number[] {
  return [...descendantStats(pid).keys()];
}

export function cpuSample(pid: number): CpuSample | undefined {
  if (!readStat(pid)) return undefined;
  const usPerTick = 1e6 / ticksPerSecond();
  let own = runTimeUs(pid);
  let database = 0;
  // PostgreSQL starts and ends processes as it runs (autovacuum workers, backends): the
  // postmaster's reaped-children time (tick-sampled: the best there is for the dead) keeps
  // the CPU of those that exited, which would otherwise drop out of a delta.
  for (const [child, st] of descendantStats(pid)) {
    if (st.comm === 'postgres') database += runTimeUs(child) + st.reapedTicks * usPerTick;
    else own += runTimeUs(child);
  }
  return { selfUs: own, childrenUs: database };
}

/** CPU used between two samples; descendants other than PostgreSQL's that exited in between are not counted. */
export function cpuDelta(from: CpuSample | undefined, to: CpuSample | undefined): CpuSample | undefined {
  if (!from || !to) return undefined;
  return { selfUs: to.selfUs - from.selfUs, childrenUs: Math.max(0, to.childrenUs - from.childrenUs) };
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size of the process itself, bytes (VmRSS). */
export function rssBytes(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** RSS of the process and its descendants other than PostgreSQL (a cluster's nodes and Redis), bytes. */
export function serverRssBytes(pid: number): number | undefined {
  const own = rssBytes(pid);
  if (own === undefined) return undefined;
  let total = own;
  for (const [d, st] of descendantStats(pid)) if (st.comm !== 'postgres') total += rssBytes(d) ?? 0;
  return total;
}

/**
 * Proportional set size of the PostgreSQL processes among the descendants together, bytes:
 * shared pages (its shared buffers) are split between the processes that map them, so the
 * sum is fair.
 */
export function descendantsPssBytes(pid: number): number | undefined {
  let total = 0;
  let any = false;
  for (const [d, st] of descendantStats(pid)) {
    if (st.comm !== 'postgres') continue;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${d}/smaps_rollup`, 'utf8'));
      if (m) {
        total += Number(m[1]) * 1024;
        any = true;
      }
    } catch {
      /* exited meanwhile, or no smaps_rollup */
    }
  }
  return any ? total : undefined;
}

export interface CoreTimes {
  /** Time the core ran anything (user, nice, system, irq, softirq), µs. */
  busyUs: number;
  /** Time the hypervisor ran something else while this VM wanted the core, µs. */
  stealUs: number;
  totalUs: number;
}

/** Cumulative times of each core from /proc/stat, indexed by core number. */
export function coreTimes(): CoreTimes[] {
  const usPerTick = 1e6 / ticksPerSecond();
  const cores: CoreTimes[] = [];
  let text = '';
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return cores;
  }
  for (const m of text.matchAll(/^cpu(\d+) (.*)$/gm)) {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2]!.trim().split(/\s+/).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq!;
    cores[Number(m[1])] = { busyUs: busy * usPerTick, stealUs: (steal ?? 0) * usPerTick, totalUs: (busy + idle! + iowait! + (steal ?? 0)) * usPerTick };
  }
  return cores;
}

/** Hard limit on open files of this process (children inherit it), or undefined. */
export function openFilesHardLimit(): number | undefined {
  try {
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? (m[1] === 'unlimited' ? Infinity : Number(m[1])) : undefined;
  } catch {
    return undefined;
  }
}
