/**
 * Builds a checkout's web client with Vite in a process of its own. Parley would otherwise
 * build a missing or stale client when it starts, inside the server process the benchmark
 * measures (Vite in its heap doubled the RSS reported).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const VITE = fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url));

/** Throws a one-line message when the build fails. */
export function buildWebClient(dir: string): void {
  try {
    execFileSync(process.execPath, [VITE, 'build', '--logLevel', 'warn'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const said = String((err as { stderr?: unknown }).stderr ?? (err as Error).message).trim().split('\n')[0];
    throw new Error(`building the web client in ${dir} failed: ${said}`);
  }
}
