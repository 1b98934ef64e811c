/**
 * Milliseconds since the epoch from a timestamptz column read as a row (SQL run through
 * em.execute, or the group commit's statement). MikroORM makes the driver return these as
 * text (`2026-11-23 10:00:00.123+00`), a form Date.parse does not promise to read.
 */
export function pgTimeMs(value: string | Date): number {
  if (value instanceof Date) return value.getTime();
  const iso = value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`unreadable timestamp from PostgreSQL: ${value}`);
  return ms;
}
