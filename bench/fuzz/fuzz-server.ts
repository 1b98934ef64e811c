/**
 * The Parley under fuzz: `server/main.ts` in a child process (embedded PostgreSQL in a
 * throwaway DATA_DIR), with the abuse limits lifted so that the fuzzers reach the code behind
 * them. A child, unlike a server in the fuzzer's own process, can crash without taking the
 * fuzzer along, and its RSS is its own. Its warnings and errors are kept (deduplicated) for
 * the report, and so is the tail of its stderr, where an uncaught exception's stack goes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendants, rssBytes } from '../proc-stats.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Limits high enough that no fuzz input is refused for its rate (format "count/seconds"; a
 * Parley without one of these settings ignores it).
 */
export const FUZZ_ENV: Record<string, string> = {
  LIMIT_LOGIN_PAIR: '1000000/1',
  LIMIT_LOGIN_ADDRESS: '1000000/1',
  LIMIT_LOGIN_ACCOUNT: '1000000/1',
  LIMIT_SIGNUP_ADDRESS: '1000000/1',
  LIMIT_ROOM_CREATE: '1000000/1',
  LIMIT_JOIN: '1000000/1',
  SEND_RATE: '100000',
  SEND_BURST: '100000',
  CONNECTIONS_PER_USER: '10000',
};

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface FuzzServer {
  url: string;
  pid: number;
  /** Set once the process has exited. */
  exit: ServerExit | undefined;
  /** Distinct warning and error log lines (pino level >= 40), first seen first. */
  problems(): string[];
  stderrTail(): string;
  stop(): Promise<void>;
}

const PROBLEMS_KEPT = 50;

export async function startFuzzServer(env: Record<string, string> = {}): Promise<FuzzServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-fuzz-'));
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DATABASE_URL', 'PUBLIC_URL', 'ALLOWED_ORIGINS', 'PORT', 'HOST']) delete childEnv[k];
  Object.assign(childEnv, {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    // info: the "Parley is listening" line carries the URL.
    LOG_LEVEL: 'info',
    ...FUZZ_ENV,
    ...env,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const problems = new Map<string, string>();
  let stderr = '';
  let pending = '';
  let postgres: number[] = [];
  let exit: ServerExit | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Parley not listening after 90 s:\n${stderr}`)), 90_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        let said: { level?: number; msg?: string; url?: string; err?: { message?: string } } | undefined;
        try {
          said = JSON.parse(line) as typeof said;
        } catch {
          continue;
        }
        if (said?.msg === 'Parley is listening' && said.url) {
          clearTimeout(timer);
          resolve(said.url);
        }
        if ((said?.level ?? 0) >= 40 && problems.size < PROBLEMS_KEPT) {
          const key = `${said!.msg} ${said!.err?.message ?? ''}`;
          if (!problems.has(key)) problems.set(key, line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)));
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`Parley exited (${exit?.code ?? exit?.signal}) before listening:\n${stderr}`));
    });
  });
  let url: string;
  try {
    url = await listening;
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  // PostgreSQL, to be ended if Parley cannot end it itself (a crash, a SIGKILL).
  postgres = descendants(child.pid!);
  let stopping: Promise<void> | undefined;
  return {
    url,
    pid: child.pid!,
    get exit() {
      return exit;
    },
    problems: () => [...problems.values()],
    stderrTail: () => stderr,
    stop: () =>
      (stopping ??= (async () => {
        if (!exit) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }
        for (const pid of postgres) {
          try {
            if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres')) process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        rmSync(dataDir, { recursive: true, force: true });
      })()),
  };
}

/** Samples a process's RSS every `everyMs`: first, peak and last, bytes. */
export class RssSampler {
  first: number | undefined;
  peak = 0;
  last: number | undefined;
  private timer: NodeJS.Timeout;

  constructor(private readonly pid: number, everyMs = 500) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    const rss = rssBytes(this.pid);
    if (rss === undefined) return;
    this.first ??= rss;
    this.peak = Math.max(this.peak, rss);
    this.last = rss;
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}
