/**
 * Who owns the embedded PostgreSQL of a DATA_DIR. PostgreSQL outlives a Parley killed with
 * SIGKILL (nothing tells the postmaster its parent is gone), and its postmaster.pid then makes
 * the next start fail. So each Parley records itself in DATA_DIR/pg-owner once its PostgreSQL
 * runs, and the next start stops a postmaster whose recorded owner is gone.
 *
 * A process is named by pid and start time (field 22 of /proc/<pid>/stat), so a pid reused by
 * another process does not pass for the owner or the postmaster. Without /proc (macOS) nothing
 * can be verified: a live postmaster is then always treated as another Parley's.
 */
import { existsSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { DbLog } from './db-log.js';

const OWNER_FILE = 'pg-owner';

interface ProcessFacts {
  startTime: string;
  args: string[];
  /** Unreadable for another user's process when we are not root. */
  cwd?: string;
}

const haveProc = existsSync('/proc/self/stat');

/** What /proc says of a running process; undefined if there is none (a zombie has exited: its parent just has not reaped it). */
function processFacts(pid: number): ProcessFacts | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces, so count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    let cwd: string | undefined;
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      /* not ours to read */
    }
    return { startTime: fields[19]!, args, cwd };
  } catch {
    return undefined;
  }
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid on the first line of `databaseDir`/postmaster.pid, if the file is there. */
export function lockFilePid(databaseDir: string): number | undefined {
  const file = join(databaseDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Records this process as the owner of the PostgreSQL now running for `dataDir`. */
export function recordOwner(dataDir: string): void {
  const me = haveProc ? processFacts(process.pid)?.startTime : undefined;
  writeFileSync(join(dataDir, OWNER_FILE), `${process.pid} ${me ?? ''}\n`);
}

/** The recorded owner's pid, and whether that very process still runs (undefined: no record). */
function recordedOwner(dataDir: string): { pid: number; alive: boolean } | undefined {
  const file = join(dataDir, OWNER_FILE);
  if (!existsSync(file)) return undefined;
  const [pidText, startTime] = readFileSync(file, 'utf8').trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!haveProc || !startTime) return { pid, alive: signalable(pid) };
  return { pid, alive: processFacts(pid)?.startTime === startTime };
}

/**
 * The live process that postmaster.pid names, when it is a postmaster of `databaseDir`: by its
 * working directory, which a postmaster sets to its data directory, or by its command line's -D
 * when that cannot be read. `verified` is false when none of this can be checked (no /proc).
 */
function runningPostmaster(databaseDir: string): { pid: number; startTime?: string; verified: boolean } | undefined {
  const pid = lockFilePid(databaseDir);
  if (pid === undefined) return undefined;
  if (!haveProc) return signalable(pid) ? { pid, verified: false } : undefined;
  const facts = processFacts(pid);
  if (!facts || !basename(facts.args[0] ?? '').startsWith('postgres')) return undefined;
  const dir = realpathSync(databaseDir);
  if (facts.cwd !== undefined ? facts.cwd !== dir : dashDArg(facts.args) !== dir) return undefined;
  return { pid, startTime: facts.startTime, verified: true };
}

/** The data directory a postgres command line names with -D, resolved as we would. */
function dashDArg(args: string[]): string | undefined {
  const i = args.indexOf('-D');
  try {
    return i >= 0 && args[i + 1] ? realpathSync(resolve(args[i + 1]!)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a PostgreSQL is already running on `databaseDir`, for the error that refuses to start;
 * undefined if none is.
 */
export function alreadyRunning(dataDir: string, databaseDir: string): string | undefined {
  const pm = runningPostmaster(databaseDir);
  return pm && refusal(databaseDir, pm.pid, recordedOwner(dataDir));
}

function refusal(databaseDir: string, pid: number, owner: { pid: number; alive: boolean } | undefined): string {
  const who = owner?.alive
    ? `another Parley (pid ${owner.pid}) uses this DATA_DIR`
    : `no running Parley is known to own it (if none uses this DATA_DIR, stop it with: kill -INT ${pid})`;
  return `the embedded PostgreSQL in ${databaseDir} is already running (pid ${pid}): ${who}`;
}

/**
 * Before starting PostgreSQL on `databaseDir`: if one already runs there, stop it when its
 * recorded owner is gone, and throw the reason to refuse when its owner lives or is not known.
 * The stop is SIGINT (fast shutdown: sessions ended, data flushed, postmaster.pid removed),
 * then SIGQUIT and SIGKILL only if it has not exited by each deadline.
 */
export async function claimDatabaseDir(dataDir: string, databaseDir: string, log: DbLog): Promise<void> {
  const pm = runningPostmaster(databaseDir);
  if (!pm) return; // none, or a stale postmaster.pid: PostgreSQL deals with that itself
  const owner = recordedOwner(dataDir);
  if (!pm.verified || !owner || owner.alive) throw new Error(refusal(databaseDir, pm.pid, owner));
  log(`the embedded PostgreSQL in ${databaseDir} (pid ${pm.pid}) was left running by a Parley that is gone (pid ${owner.pid}); stopping it`, 'warn');
  const steps: [NodeJS.Signals, number][] = [
    ['SIGINT', 15_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ];
  const stillThere = () => processFacts(pm.pid)?.startTime === pm.startTime;
  for (const [signal, deadlineMs] of steps) {
    try {
      process.kill(pm.pid, signal);
    } catch {
      return; // exited meanwhile
    }
    for (const t0 = Date.now(); Date.now() - t0 < deadlineMs; await new Promise((r) => setTimeout(r, 50))) {
      if (!stillThere()) return log(`stopped the left-over PostgreSQL (pid ${pm.pid}) with ${signal}`);
    }
    log(`the left-over PostgreSQL (pid ${pm.pid}) did not exit within ${deadlineMs} ms of ${signal}`, 'warn');
  }
  throw new Error(`could not stop the left-over PostgreSQL (pid ${pm.pid}) in ${databaseDir}`);
}
