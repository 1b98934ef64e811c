/**
 * A private redis-server on a free loopback port: what `npm run cluster` starts when
 * REDIS_URL is unset, and what the cluster tests run against. No persistence: Parley keeps
 * nothing in Redis that PostgreSQL does not hold or the nodes cannot say again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from '../store/embedded-db.js';

export interface LocalRedis {
  url: string;
  port: number;
  /** Stops it (SIGTERM, then SIGKILL); resolves once it has exited. */
  stop(): Promise<void>;
  /** The same server again on the same port (for outage tests). */
  restart(): Promise<void>;
  /** Kills it without a word and leaves it down (for outage tests). */
  kill(): Promise<void>;
  start(): Promise<void>;
}

export async function startLocalRedis(opts: { port?: number; binary?: string } = {}): Promise<LocalRedis> {
  const port = opts.port ?? (await freePort());
  const binary = opts.binary ?? 'redis-server';
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    const proc = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (err) => reject(new Error(`cannot run ${binary}: ${err.message} (Debian: apt-get install redis-server)`)));
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}) at start:\n${output}`)));
    });
    failed.catch(() => {});
    child = proc;
    await Promise.race([waitForPort(port, 10_000), failed]);
  };

  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    start,
    restart: async () => {
      await halt('SIGTERM');
      await start();
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
