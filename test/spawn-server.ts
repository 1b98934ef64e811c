/**
 * The real server as an operator runs it (`npm start`'s `sh server/start.sh`, which execs
 * node on server/main.ts, in a child process), and what /proc shows of the processes it
 * leaves, PostgreSQL's included.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the process has exited; `ms` counts from the call to waitExit(). */
  waitExit(timeoutMs: number): Promise<Exit>;
}

/** Spawns the server with a clean Parley environment plus `env`. */
export function spawnServer(env: Record<string, string>): Proc {
  const base = { ...process.env };
  for (const k of ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'PUBLIC_URL', 'ALLOWED_ORIGINS', 'SESSION_SECRET', 'LOG_LEVEL', 'REDIS_URL', 'NODE_ID', 'REUSE_PORT']) delete base[k];
  // This node, not the PATH's: the tests may run on another.
  const child = spawn('sh', ['server/start.sh'], {
    cwd: ROOT,
    env: { ...base, NODE: process.execPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitExit: async (timeoutMs) => {
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
      });
      try {
        const r = await Promise.race([exited, timeout]);
        return { ...r, ms: Date.now() - t0 };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Waits for the "Parley is listening" log line and returns the URL it names; fails with the
 * output if the process exits first.
 */
export async function waitListening(p: Proc, timeoutMs = 20_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const line = p.stdout().split('\n').find((l) => l.includes('Parley is listening'));
    if (line) return (JSON.parse(line) as { url: string }).url;
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`server exited (${p.child.exitCode ?? p.child.signalCode}) before listening\nstdout:\n${p.stdout()}\nstderr:\n${p.stderr()}`);
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`server not listening after ${timeoutMs} ms\nstdout:\n${p.stdout()}\nstderr:\n${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops a server that may still run, as an operator would (SIGINT, then SIGKILL if it hangs). */
export async function stopIfRunning(p: Proc, timeoutMs = 15_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGINT');
  await p.waitExit(timeoutMs).catch(() => p.child.kill('SIGKILL'));
}

/** The command line of a running process; undefined once it is gone (a zombie's reads empty). */
export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ') || undefined;
  } catch {
    return undefined;
  }
}

function parentPid(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

/** Processes whose command line mentions `text`. */
export function processesMentioning(text: string): { pid: number; args: string }[] {
  return allPids()
    .map((pid) => ({ pid, args: cmdline(pid) }))
    .filter((p): p is { pid: number; args: string } => p.args?.includes(text) ?? false);
}

/** The postmaster running DATA_DIR's cluster and its children (backends, workers). */
export function postgresTree(dataDir: string): number[] {
  const postmaster = processesMentioning(join(dataDir, 'pg')).filter((p) => /\bpostgres\b/.test(p.args));
  const roots = new Set(postmaster.map((p) => p.pid));
  return [...roots, ...allPids().filter((pid) => roots.has(parentPid(pid) ?? -1))];
}

/** Of `pids`, those still alive as postgres processes. */
export function stillPostgres(pids: number[]): number[] {
  return pids.filter((pid) => cmdline(pid)?.includes('postgres'));
}
