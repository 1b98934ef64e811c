/**
 * Applying presence diffs to a member list, as every client does with `joined.members` and
 * the `presence` frames after it. Pure and browser-safe.
 */
import type { Member } from './frames.js';

/** Applies a diff to a member list (what a client does with `presence` frames). Pure. */
export function applyPresenceDiff(members: readonly Member[], diff: { joins: readonly Member[]; leaves: readonly Member[] }): Member[] {
  const byId = new Map(members.map((m) => [m.id, m]));
  for (const m of diff.leaves) byId.delete(m.id);
  for (const m of diff.joins) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}
