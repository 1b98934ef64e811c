/**
 * Where the message list starts a new author group or a new day. Consecutive messages of
 * one person within a few minutes share one header, as most chat apps do. Pure.
 */
import { dayKey, type TimeFormatOptions } from './time.js';

export const GROUP_GAP_MS = 5 * 60_000;

export interface Groupable {
  at: number;
  user: { id: number };
}

export function startsNewDay(prev: Groupable | undefined, m: Groupable, o: TimeFormatOptions = {}): boolean {
  return !prev || dayKey(prev.at, o) !== dayKey(m.at, o);
}

export function startsNewGroup(prev: Groupable | undefined, m: Groupable, o: TimeFormatOptions = {}): boolean {
  return !prev || prev.user.id !== m.user.id || m.at - prev.at > GROUP_GAP_MS || startsNewDay(prev, m, o);
}
