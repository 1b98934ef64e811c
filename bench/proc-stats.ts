/**
 * CPU time and memory of a process (and of the processes it started, such as Parley's
 * embedded PostgreSQL) read from /proc. Linux only; elsewhere every figure is undefined.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSample {
  /** utime + stime of the process itself and of its live descendants other than PostgreSQL (a cluster's nodes and Redis), µs. */
  selfUs: number;
  /** utime + stime of its live PostgreSQL processes, µs. */
  childrenUs: number;
}

let clockTicks: number | undefined;

/** Clock ticks per second of /proc's utime and stime (getconf CLK_TCK, almost always 100). */
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
  cpuTicks: number;
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
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
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
  const self = readStat(pid);
  if (!self) return undefined;
  const usPerTick = 1e6 / ticksPerSecond();
  let own = self.cpuTicks;
  let database = 0;
  // The scan for descendants has read their stat already.
  for (const st of descendantStats(pid).values()) {
    if (st.comm === 'postgres') database += st.cpuTicks;
    else own += st.cpuTicks;
  }
  return { selfUs: own * usPerTick, childrenUs: database * usPerTick };
}

/** CPU used between two samples; descendants that exited in between are not counted. */
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
