import { describe, expect, it } from 'vitest';
import type { Contact, RoomSummary } from '../api/parley-api.js';
import type { RoomPages } from '../api/room-pages.js';
import type { Member, RoomListing } from '../../server/protocol/frames.js';
import { seededRandom as rng } from '../../test/seeded-random.js';
import {
  applyDirectory,
  applyMembership,
  applyLists,
  liveContacts,
  liveRooms,
  noLiveLists,
  reloadDue,
  watchCovered,
  watchSent,
  type ListsFrame,
  type LiveLists,
} from './live-lists.js';

const alice: Member = { id: 1, name: 'alice' };
const bob: Member = { id: 2, name: 'bob' };
const carol: Member = { id: 3, name: 'carol' };

const listing = (name: string, more: Partial<RoomListing> = {}): RoomListing => ({ name, kind: 'public', topic: null, lastSeq: 0, lastAt: null, ...more });
const summary = (name: string, online = 0, more: Partial<RoomSummary> = {}): RoomSummary => ({ ...listing(name), online, ...more });
const contact = (m: Member, online = false): Contact => ({ ...m, online });
const pages = (rooms: RoomSummary[], next: string | null = null): RoomPages => ({ rooms, next, pages: 1 });

const snapshot = (rooms: Record<string, number>, users: number[]): ListsFrame => ({ t: 'lists', full: true, rooms, users });
const diff = (rooms: Record<string, number>, on: number[] = [], off: number[] = []): ListsFrame => ({ t: 'lists', rooms, on, off });

/** Lists after a watch and its snapshot, as a socket that just opened has them. */
const watching = (rooms: Record<string, number>, users: number[], from: LiveLists = noLiveLists) => applyLists(watchSent(from), snapshot(rooms, users));

const counts = (l: LiveLists) => Object.fromEntries(l.online?.rooms ?? []);
const online = (l: LiveLists) => [...(l.online?.users ?? [])].sort((a, b) => a - b);

describe('the snapshot', () => {
  it('gives the online counts and who is online, leaving out rooms with nobody', () => {
    const l = watching({ general: 3, quiet: 0 }, [1, 3]);
    expect(l.synced).toBe(true);
    expect(counts(l)).toEqual({ general: 3 });
    expect(online(l)).toEqual([1, 3]);
  });

  it('after a reconnection replaces everything the last socket left', () => {
    let l = watching({ general: 3, random: 1 }, [1, 2, 3]);
    l = applyLists(l, diff({ random: 2 }, [4]));
    l = watching({ general: 1 }, [2], l);
    expect(counts(l)).toEqual({ general: 1 });
    expect(online(l)).toEqual([2]);
    expect(l.watches).toBe(2);
  });
});

describe('a diff', () => {
  it('sets the new counts, removing rooms that fall to 0, and turns users on and off', () => {
    let l = watching({ general: 3, random: 1 }, [1, 2]);
    l = applyLists(l, diff({ general: 4, random: 0, fresh: 1 }, [3], [1]));
    expect(counts(l)).toEqual({ general: 4, fresh: 1 });
    expect(online(l)).toEqual([2, 3]);
  });

  it('leaves the rooms and users it does not name as they were', () => {
    let l = watching({ general: 3, random: 1 }, [1, 2]);
    l = applyLists(l, diff({ random: 2 }));
    expect(counts(l)).toEqual({ general: 3, random: 2 });
    expect(online(l)).toEqual([1, 2]);
  });

  it('before any snapshot is ignored: the snapshot, computed after it, already says it', () => {
    let l = watchSent(noLiveLists);
    l = applyLists(l, diff({ general: 5 }, [1]));
    expect(l.online).toBeUndefined();
    l = applyLists(l, snapshot({ general: 2 }, [2]));
    expect(counts(l)).toEqual({ general: 2 });
    expect(online(l)).toEqual([2]);
  });

  it("between a reconnection's watch and its snapshot is ignored, and the last state stays shown", () => {
    const before = watching({ general: 3 }, [1]);
    const waiting = watchSent(before);
    const l = applyLists(waiting, diff({ general: 9 }, [2], [1]));
    expect(l.synced).toBe(false);
    expect(counts(l)).toEqual({ general: 3 });
    expect(online(l)).toEqual([1]);
  });
});

describe('directory', () => {
  it('adds rooms and users, one announced twice kept once', () => {
    let l = applyDirectory(noLiveLists, { t: 'directory', rooms: [listing('b')], users: [bob] });
    l = applyDirectory(l, { t: 'directory', rooms: [listing('a'), listing('b')], users: [bob, alice] });
    expect([...l.rooms.keys()].sort()).toEqual(['a', 'b']);
    expect([...l.users.keys()].sort()).toEqual([1, 2]);
  });

  it('merges a room announced by two racing creations, keeping the topic one of them had', () => {
    let l = applyDirectory(noLiveLists, { t: 'directory', rooms: [listing('r', { topic: 'Plans' })] });
    l = applyDirectory(l, { t: 'directory', rooms: [listing('r')] });
    expect(l.rooms.get('r')).toEqual(listing('r', { topic: 'Plans' }));
  });

  it('keeps the listing further on (higher lastSeq) and the other member either one names', () => {
    let l = applyDirectory(noLiveLists, { t: 'directory', rooms: [listing('dm-1-2', { kind: 'direct', with: bob })] });
    l = applyDirectory(l, { t: 'directory', rooms: [listing('dm-1-2', { kind: 'direct', lastSeq: 4, lastAt: 40 })] });
    expect(l.rooms.get('dm-1-2')).toEqual(listing('dm-1-2', { kind: 'direct', lastSeq: 4, lastAt: 40, with: bob }));
  });

  it('is the same lists when it announces nothing', () => {
    expect(applyDirectory(noLiveLists, { t: 'directory' })).toBe(noLiveLists);
  });
});

describe('liveRooms', () => {
  it('adds announced rooms in name order (byte order, as the server pages them)', () => {
    const l = applyDirectory(noLiveLists, { t: 'directory', rooms: [listing('m'), listing('ab'), listing('0day'), listing('a_b'), listing('zz')] });
    const shown = liveRooms(pages([summary('a-b'), summary('b'), summary('n')]), l);
    expect(shown.rooms.map((r) => r.name)).toEqual(['0day', 'a-b', 'a_b', 'ab', 'b', 'm', 'n', 'zz']);
    // Announced, not joined: no unread state of the reader's yet.
    expect(shown.rooms.find((r) => r.name === 'm')).toEqual({ ...summary('m'), member: false, readSeq: 0, unread: 0, mentions: 0 });
  });

  it('lists a room the reader joined wherever its name falls, and marks one they left', () => {
    let l = applyMembership(noLiveLists, { t: 'membership', room: listing('zz'), member: true });
    l = applyMembership(l, { t: 'membership', room: listing('b'), member: false });
    const shown = liveRooms({ ...pages([summary('a'), { ...summary('b'), member: true }]), next: 'b' }, l);
    expect(shown.rooms.map((r) => [r.name, r.member])).toEqual([
      ['a', undefined],
      ['b', false],
      ['zz', true],
    ]);
  });

  it('adds an announced room only where the pages held cover its name', () => {
    const l = applyDirectory(noLiveLists, { t: 'directory', rooms: [listing('b'), listing('m'), listing('n')] });
    const shown = liveRooms(pages([summary('a'), summary('m')], 'm'), l);
    // 'n' is past the last page held: the next page brings it.
    expect(shown.rooms.map((r) => r.name)).toEqual(['a', 'b', 'm']);
    expect(shown.next).toBe('m');
  });

  it('keeps the listed room over the announced one (the list is newer)', () => {
    const l = applyDirectory(noLiveLists, { t: 'directory', rooms: [listing('a')] });
    const listed = summary('a', 0, { topic: 'Set later', lastSeq: 12, lastAt: 99 });
    expect(liveRooms(pages([listed]), l).rooms).toEqual([listed]);
  });

  it('shows the live counts of public rooms once there is a snapshot, 0 for those it leaves out', () => {
    const dm = summary('dm-1-2', 1, { kind: 'direct', with: bob });
    const http = pages([summary('a', 5), summary('b', 1), dm]);
    expect(liveRooms(http, watchSent(noLiveLists))).toBe(http);
    const shown = liveRooms(http, watching({ a: 2 }, []));
    expect(shown.rooms.map((r) => [r.name, r.online])).toEqual([
      ['a', 2],
      ['b', 0],
      ['dm-1-2', 1],
    ]);
    expect(shown.rooms[2]).toBe(dm);
  });

  it('gives back the same pages when nothing changes them', () => {
    const http = pages([summary('a', 2)]);
    expect(liveRooms(http, watching({ a: 2 }, []))).toBe(http);
  });
});

describe('liveContacts', () => {
  it('adds announced users in name order, each once, and sets who is online from the live lists', () => {
    let l = watching({}, [2, 3]);
    l = applyDirectory(l, { t: 'directory', users: [carol, alice] });
    const http = [contact(alice, true), contact(bob)];
    expect(liveContacts(http, l)).toEqual([contact(alice), contact(bob, true), contact(carol, true)]);
  });

  it('keeps the HTTP online flags until a snapshot, and the same list when nothing changes', () => {
    const http = [contact(alice, true), contact(bob)];
    expect(liveContacts(http, watchSent(noLiveLists))).toBe(http);
    expect(liveContacts(http, watching({}, [1]))).toEqual(http);
  });
});

describe('when to load the HTTP lists again', () => {
  it('after the snapshot of a watch sent after the last load began, not for the one it covered', () => {
    // Loaded before any socket opened: the first snapshot calls for a reload.
    let l = noLiveLists;
    let covered = watchCovered(l);
    l = watchSent(l);
    expect(reloadDue(l, covered)).toBe(false);
    l = applyLists(l, snapshot({}, []));
    expect(reloadDue(l, covered)).toBe(true);
    covered = watchCovered(l);
    expect(reloadDue(applyLists(l, diff({ a: 1 })), covered)).toBe(false);
    // A reconnection: its snapshot calls for one more.
    l = watching({}, [], l);
    expect(reloadDue(l, covered)).toBe(true);
  });

  it('not when the load began after the snapshot of the socket open now', () => {
    const l = watching({}, []);
    expect(reloadDue(l, watchCovered(l))).toBe(false);
  });

  it('after the snapshot when the load began between the watch and its snapshot', () => {
    let l = watchSent(noLiveLists);
    const covered = watchCovered(l);
    l = applyLists(l, snapshot({}, []));
    expect(reloadDue(l, covered)).toBe(true);
  });
});

/**
 * A server that tracks who is in which room and gathers changes as server/chat/live-lists.ts
 * does: each flush sends the current count of every room touched and the current state of
 * every user touched. Sockets drop now and then; the next one watches again, and diffs
 * flushed meanwhile may still reach it before its snapshot. Whenever nothing is waiting to
 * be flushed, the client must agree with the server exactly.
 */
describe('random histories', () => {
  const ROOMS = ['a', 'b', 'c', 'd'];
  const USERS = [1, 2, 3, 4, 5, 6];

  it('end with the client agreeing with the server', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const inRoom = new Map<string, Set<number>>(ROOMS.map((r) => [r, new Set()]));
      /** Users with a socket but in no room: online all the same. */
      const connected = new Set<number>();
      const isOnline = (u: number) => ROOMS.some((r) => inRoom.get(r)!.has(u)) || connected.has(u);
      let touchedRooms = new Set<string>();
      let touchedUsers = new Set<number>();
      let client = noLiveLists;
      let socketOpen = false;
      /** Diffs flushed while the socket was down, delivered late to a client waiting for its snapshot. */
      const stale: ListsFrame[] = [];

      for (let step = 0; step < 150; step++) {
        const roll = random();
        const user = pick(USERS);
        const room = pick(ROOMS);
        if (roll < 0.35) {
          inRoom.get(room)!.add(user);
          touchedRooms.add(room);
          touchedUsers.add(user);
        } else if (roll < 0.65) {
          inRoom.get(room)!.delete(user);
          touchedRooms.add(room);
          touchedUsers.add(user);
        } else if (roll < 0.75) {
          if (connected.has(user)) connected.delete(user);
          else connected.add(user);
          touchedUsers.add(user);
        } else if (roll < 0.9) {
          const rooms: Record<string, number> = {};
          for (const r of touchedRooms) rooms[r] = inRoom.get(r)!.size;
          const on: number[] = [];
          const off: number[] = [];
          for (const u of touchedUsers) (isOnline(u) ? on : off).push(u);
          touchedRooms = new Set();
          touchedUsers = new Set();
          const frame = diff(rooms, on, off);
          if (socketOpen) client = applyLists(client, frame);
          else stale.push(frame);
        } else if (roll < 0.95) {
          socketOpen = false;
        } else {
          client = watchSent(client);
          // A late diff of no use any more may reach the client before its snapshot.
          for (const f of stale.splice(0)) client = applyLists(client, f);
          const rooms: Record<string, number> = {};
          for (const [r, members] of inRoom) if (members.size > 0) rooms[r] = members.size;
          client = applyLists(client, snapshot(rooms, USERS.filter(isOnline)));
          socketOpen = true;
        }
        if (socketOpen && touchedRooms.size === 0 && touchedUsers.size === 0) {
          const expected: Record<string, number> = {};
          for (const [r, members] of inRoom) if (members.size > 0) expected[r] = members.size;
          expect(counts(client), `seed ${seed} step ${step}`).toEqual(expected);
          expect(online(client), `seed ${seed} step ${step}`).toEqual(USERS.filter(isOnline));
        }
      }
    }
  });
});
