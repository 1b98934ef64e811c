import { describe, expect, it } from 'vitest';
import { PresenceTracker, type Member, type PresenceDiff } from './presence-tracker.js';
import { applyPresenceDiff } from '../protocol/presence-sync.js';

const alice: Member = { id: 1, name: 'alice' };
const bob: Member = { id: 2, name: 'bob' };

describe('PresenceTracker', () => {
  it('two tabs of one user are one member: joins on the first, leaves on the last', () => {
    const p = new PresenceTracker();
    expect(p.join('r', 10, alice).joins).toEqual([alice]);
    expect(p.join('r', 11, alice).joins).toEqual([]);
    expect(p.members('r')).toEqual([alice]);
    expect(p.leave('r', 10).leaves).toEqual([]);
    expect(p.close(11)).toEqual([{ room: 'r', joins: [], leaves: [alice] }]);
    expect(p.members('r')).toEqual([]);
    expect(p.roomsOf(11).size).toBe(0);
  });

  it('leaving a room the connection never joined changes nothing', () => {
    const p = new PresenceTracker();
    p.join('r', 10, alice);
    expect(p.leave('other', 10)).toEqual({ room: 'other', joins: [], leaves: [] });
    expect(p.leave('r', 99)).toEqual({ room: 'r', joins: [], leaves: [] });
    expect(p.members('r')).toEqual([alice]);
  });

  // Property: for random histories over several users, tabs and rooms, an observer that
  // takes a snapshot at a random moment and applies every later diff for its room always
  // holds exactly the tracker's member list, and that list matches a brute-force model.
  it('snapshot + later diffs always equal the truth (random histories)', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const users: Member[] = [alice, bob, { id: 3, name: 'carol' }, { id: 4, name: 'dave' }];
    const rooms = ['a', 'b', 'c'];
    for (let run = 0; run < 60; run++) {
      const p = new PresenceTracker();
      const model = new Map<number, { user: Member; rooms: Set<string> }>(); // conn -> state
      const observers: Array<{ room: string; members: Member[] }> = [];
      let nextConn = 1;
      for (let step = 0; step < 150; step++) {
        const op = rand(10);
        const conns = [...model.keys()];
        let diffs: PresenceDiff[] = [];
        if (op < 2 || conns.length === 0) {
          model.set(nextConn++, { user: users[rand(users.length)]!, rooms: new Set() });
        } else if (op < 6) {
          const c = conns[rand(conns.length)]!;
          const room = rooms[rand(rooms.length)]!;
          if (!model.get(c)!.rooms.has(room)) {
            model.get(c)!.rooms.add(room);
            diffs = [p.join(room, c, model.get(c)!.user)];
          }
        } else if (op < 8) {
          const c = conns[rand(conns.length)]!;
          const room = rooms[rand(rooms.length)]!;
          model.get(c)!.rooms.delete(room);
          diffs = [p.leave(room, c)];
        } else {
          const c = conns[rand(conns.length)]!;
          model.delete(c);
          diffs = p.close(c);
        }
        for (const o of observers) {
          for (const d of diffs) if (d.room === o.room) o.members = applyPresenceDiff(o.members, d);
        }
        if (rand(5) === 0) {
          const room = rooms[rand(rooms.length)]!;
          observers.push({ room, members: p.members(room) });
        }
        for (const room of rooms) {
          const truth = new Map<number, Member>();
          for (const s of model.values()) if (s.rooms.has(room)) truth.set(s.user.id, s.user);
          const expected = [...truth.values()].sort((x, y) => x.name.localeCompare(y.name));
          expect(p.members(room)).toEqual(expected);
          expect(p.count(room)).toBe(expected.length);
        }
        for (const o of observers) expect(o.members).toEqual(p.members(o.room));
      }
    }
  });
});
