/**
 * Which malloc the process runs on, for the start-up log: server/start.sh preloads jemalloc
 * when the machine has it (why is written there). Read from the process's own mappings,
 * so it says what is loaded, not what was asked for.
 */
import { readFileSync } from 'node:fs';

export function allocatorInUse(): 'jemalloc' | 'system' {
  try {
    return /libjemalloc/.test(readFileSync('/proc/self/maps', 'utf8')) ? 'jemalloc' : 'system';
  } catch {
    return 'system'; // no /proc (macOS): nothing was preloaded
  }
}
