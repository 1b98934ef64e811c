/**
 * Times as the reader sees them: in their own time zone and locale (Intl picks both up when
 * none is given). Tests pass a locale and zone to get stable output. Pure and browser-safe.
 */

export interface TimeFormatOptions {
  locale?: string;
  timeZone?: string;
}

const SHAPES = {
  clock: { hour: 'numeric', minute: '2-digit' },
  full: { dateStyle: 'full', timeStyle: 'long' },
  day: { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' },
  dayKey: { year: 'numeric', month: '2-digit', day: '2-digit' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;

const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: keyof typeof SHAPES, o: TimeFormatOptions): Intl.DateTimeFormat {
  const key = `${kind}|${o.locale ?? ''}|${o.timeZone ?? ''}`;
  let f = cache.get(key);
  if (!f) {
    // en-CA writes dates as YYYY-MM-DD, which is what dayKey promises whatever the reader's locale.
    f = new Intl.DateTimeFormat(kind === 'dayKey' ? 'en-CA' : o.locale, { ...SHAPES[kind], timeZone: o.timeZone });
    cache.set(key, f);
  }
  return f;
}

/** "14:05" or "2:05 PM", as the reader's locale writes it. */
export function clockTime(at: number, o: TimeFormatOptions = {}): string {
  return formatter('clock', o).format(at);
}

/** The full date and time, for a tooltip. */
export function fullDateTime(at: number, o: TimeFormatOptions = {}): string {
  return formatter('full', o).format(at);
}

/** For `<time datetime>`: an ISO 8601 instant. */
export function isoTime(at: number): string {
  return new Date(at).toISOString();
}

/** The reader's calendar day of an instant, as YYYY-MM-DD (for grouping, not display). */
export function dayKey(at: number, o: TimeFormatOptions = {}): string {
  return formatter('dayKey', o).format(at);
}

/** "Today", "Yesterday" or the date, for a separator between days. */
export function dayLabel(at: number, now: number, o: TimeFormatOptions = {}): string {
  const day = dayKey(at, o);
  const today = dayKey(now, o);
  if (day === today) return 'Today';
  // Step back an hour at a time rather than a fixed 24 h: days around a clock change are 23 or 25 h long.
  let t = now;
  while (dayKey(t, o) === today) t -= 3_600_000;
  if (day === dayKey(t, o)) return 'Yesterday';
  return formatter('day', o).format(at);
}
