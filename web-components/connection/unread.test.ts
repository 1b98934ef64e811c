import { describe, expect, it } from 'vitest';
import { countLabel, countsOf, noLiveUnread, readUpTo, reported, titleWithUnread, totalUnread, type RoomReadingBase } from './unread.js';

const base = (over: Partial<RoomReadingBase> = {}): RoomReadingBase => ({
  name: 'general',
  kind: 'public',
  member: true,
  readSeq: 10,
  lastSeq: 12,
  unread: 2,
  mentions: 1,
  ...over,
});

describe('unread counts', () => {
  it('start from the list and add messages reported after its last seq', () => {
    let live = reported(noLiveUnread, 'general', { seq: 13, count: 1, mention: false });
    live = reported(live, 'general', { seq: 14, count: 1, mention: true });
    // A report the list already counted (seq 12) does not count twice.
    live = reported(live, 'general', { seq: 12, count: 1, mention: false });
    expect(countsOf(base(), live.get('general'))).toEqual({ unread: 4, mentions: 2, readSeq: 10 });
  });

  it('clear when the read position reaches the latest seq known, and count only what is after a partial read', () => {
    let live = reported(noLiveUnread, 'general', { seq: 13, count: 1, mention: false });
    live = reported(live, 'general', { seq: 14, count: 1, mention: true });
    expect(countsOf(base(), readUpTo(live, 'general', 14).get('general'))).toEqual({ unread: 0, mentions: 0, readSeq: 14 });
    expect(countsOf(base(), readUpTo(live, 'general', 13).get('general'))).toEqual({ unread: 1, mentions: 1, readSeq: 13 });
    // Never backwards.
    expect(readUpTo(readUpTo(live, 'general', 14), 'general', 3).get('general')!.readSeq).toBe(14);
  });

  it('counts a mention of a message already reported once, and every direct message as a mention', () => {
    let live = reported(noLiveUnread, 'general', { seq: 13, count: 1, mention: false });
    live = reported(live, 'general', { seq: 13, count: 1, mention: true });
    expect(countsOf(base({ unread: 0, mentions: 0, readSeq: 12 }), live.get('general'))).toEqual({ unread: 1, mentions: 1, readSeq: 12 });
    const dm = reported(noLiveUnread, 'dm-1-2', { seq: 1, count: 1, mention: false });
    expect(countsOf(base({ name: 'dm-1-2', kind: 'direct', readSeq: 0, lastSeq: 0, unread: 0, mentions: 0 }), dm.get('dm-1-2'))).toMatchObject({ unread: 1, mentions: 1 });
  });

  it('totals the rooms the reader belongs to for the title, with 99+ past the limit', () => {
    const rooms = [base(), base({ name: 'other', member: false, unread: 5 }), base({ name: 'big', unread: 100, readSeq: 0, lastSeq: 500 })];
    expect(totalUnread(rooms, noLiveUnread)).toBe(102);
    expect(titleWithUnread('#general · Parley', 3)).toBe('(3) #general · Parley');
    expect(titleWithUnread('Parley', 0)).toBe('Parley');
    expect(countLabel(100)).toBe('99+');
  });
});
