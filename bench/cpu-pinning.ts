/**
 * Keeps the server under test and the load on different cores: the server (and whatever it
 * starts, such as PostgreSQL) on core 0, the publisher, the subscribers and the orchestrator
 * on core 1. Needs two cores and `taskset`; without them nothing is pinned, and the report
 * says so.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

export interface Pinning {
  enabled: boolean;
  /** One line for the report: what was pinned where, or why nothing was. */
  description: string;
}

export function detectPinning(): Pinning {
  const cores = availableParallelism();
  if (cores < 2) return { enabled: false, description: `not pinned: ${cores} core` };
  const taskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  if (taskset.error || taskset.status !== 0) return { enabled: false, description: `not pinned: taskset is not available (${cores} cores)` };
  return {
    enabled: true,
    description: `server (and its PostgreSQL) pinned to core ${SERVER_CORE}; publisher, subscribers and orchestrator to core ${LOAD_CORE} (taskset; ${cores} cores)`,
  };
}

/** The command line to run argv on `core`, or argv itself when not pinning. */
export function onCore(pinning: Pinning, core: number, argv: string[]): string[] {
  return pinning.enabled ? ['taskset', '-c', String(core), ...argv] : argv;
}

/**
 * The command line to run argv on every core. Needed for a process that must not inherit
 * this one's pinning to LOAD_CORE (pinSelf): a child starts on its parent's cores.
 */
export function onAllCores(pinning: Pinning, argv: string[]): string[] {
  return pinning.enabled ? ['taskset', '-c', `0-${availableParallelism() - 1}`, ...argv] : argv;
}

/** Moves this process (every thread of it) to `core`. */
export function pinSelf(pinning: Pinning, core: number): void {
  if (pinning.enabled) spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}
