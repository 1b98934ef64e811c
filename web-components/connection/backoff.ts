/**
 * Reconnect delays: exponential from BASE_MS, capped at MAX_MS, with "equal jitter" (half
 * fixed, half random) so that a server restart is not met by every tab at the same instant.
 * Pure: the caller passes the random number.
 */
export const BASE_MS = 500;
export const MAX_MS = 30_000;

/** Delay before reconnect attempt `attempt` (0 for the first retry); random is in [0, 1). */
export function reconnectDelay(attempt: number, random: number): number {
  const ceiling = Math.min(MAX_MS, BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
