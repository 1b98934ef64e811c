/** Naming rules from the contract. Browser-safe: no node:* imports. */

export const ROOM_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const USERNAME = /^[a-z0-9_]{3,32}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** Lower-cases a username; returns undefined when it breaks the rules. */
export function normalizeUsername(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const name = raw.toLowerCase();
  return USERNAME.test(name) ? name : undefined;
}

export function isRoomName(raw: unknown): raw is string {
  return typeof raw === 'string' && ROOM_NAME.test(raw);
}
