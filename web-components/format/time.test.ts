import { describe, expect, it } from 'vitest';
import { clockTime, dayKey, dayLabel, fullDateTime, isoTime } from './time.js';
import { startsNewDay, startsNewGroup } from './message-groups.js';

const UTC = { locale: 'en-GB', timeZone: 'UTC' };
// 2026-03-14 23:30 UTC is already the 15th in Tokyo.
const AT = Date.UTC(2026, 2, 14, 23, 30);

describe('time formatting', () => {
  it('shows hours and minutes in the given zone and locale', () => {
    expect(clockTime(AT, UTC)).toBe('23:30');
    expect(clockTime(AT, { locale: 'en-GB', timeZone: 'Asia/Tokyo' })).toMatch(/^0?8:30$/);
    expect(clockTime(AT, { locale: 'en-US', timeZone: 'UTC' })).toMatch(/^11:30\s?PM$/);
  });

  it('gives an ISO instant for datetime and a full date for the title', () => {
    expect(isoTime(AT)).toBe('2026-03-14T23:30:00.000Z');
    expect(fullDateTime(AT, UTC)).toContain('14 March 2026');
  });

  it('finds the calendar day in the reader zone', () => {
    expect(dayKey(AT, UTC)).toBe('2026-03-14');
    expect(dayKey(AT, { timeZone: 'Asia/Tokyo' })).toBe('2026-03-15');
  });

  it('labels days as Today, Yesterday or a date', () => {
    expect(dayLabel(AT, AT + 10 * 60_000, UTC)).toBe('Today');
    expect(dayLabel(AT, AT + 24 * 3_600_000, UTC)).toBe('Yesterday');
    // 2026-03-29 has 23 hours in Berlin: half an hour into the 30th, the 29th is still yesterday.
    const berlin = { locale: 'en-GB', timeZone: 'Europe/Berlin' };
    expect(dayLabel(Date.UTC(2026, 2, 28, 23, 15), Date.UTC(2026, 2, 29, 22, 30), berlin)).toBe('Yesterday');
    expect(dayLabel(AT, AT + 3 * 24 * 3_600_000, UTC)).toMatch(/^Saturday,? 14 March 2026$/);
  });
});

describe('message grouping', () => {
  const alice = { id: 1 };
  const bob = { id: 2 };

  it('groups one author within five minutes on one day', () => {
    const first = { at: AT - 20 * 60_000, user: alice };
    expect(startsNewGroup(undefined, first, UTC)).toBe(true);
    expect(startsNewGroup(first, { at: first.at + 4 * 60_000, user: alice }, UTC)).toBe(false);
    expect(startsNewGroup(first, { at: first.at + 6 * 60_000, user: alice }, UTC)).toBe(true);
    expect(startsNewGroup(first, { at: first.at + 60_000, user: bob }, UTC)).toBe(true);
  });

  it('starts a group and a day at midnight even within five minutes', () => {
    const late = { at: Date.UTC(2026, 2, 14, 23, 59), user: alice };
    const early = { at: Date.UTC(2026, 2, 15, 0, 1), user: alice };
    expect(startsNewDay(late, early, UTC)).toBe(true);
    expect(startsNewGroup(late, early, UTC)).toBe(true);
  });
});
