import { describe, expect, it } from 'vitest';
import { ClusterPresence, type NodeSnapshot } from './cluster-presence.js';
import { applyPresenceDiff } from '../protocol/presence-sync.js';
import type { Member } from '../protocol/frames.js';
import { seededRandom } from '../../test/seeded-random.js';

const alice: Member = { id: 1, name: 'alice' };
const bob: Member = { id: 2, name: 'bob' };

describe('ClusterPresence', () => {
  it('a user in a room on two nodes is one member: joins with the first node, leaves with the last', () => {
    const c = new ClusterPresence();
    expect(c.join('a', 'r', alice).rooms).toEqual([{ room: 'r', joins: [alice], leaves: [] }]);
    expect(c.join('b', 'r', alice).rooms).toEqual([]);
    expect(c.members('r')).toEqual([alice]);
    expect(c.leave('a', 'r', alice.id).rooms).toEqual([]);
    expect(c.leave('b', 'r', alice.id).rooms).toEqual([{ room: 'r', joins: [], leaves: [alice] }]);
    expect(c.count('r')).toBe(0);
  });

  it('online and connection counts add up over nodes', () => {
    const c = new ClusterPresence();
    expect(c.connections('a', alice, 2).online).toEqual([alice]);
    expect(c.connections('b', alice, 1).online).toEqual([]);
    expect(c.connectionsOf(alice.id)).toBe(3);
    expect(c.connections('a', alice, 0).offline).toEqual([]);
    expect(c.connections('b', alice, 0).offline).toEqual([alice]);
    expect(c.isOnline(alice.id)).toBe(false);
  });

  it('dropping a node makes its members leave where no other node holds them, one diff per room', () => {
    const c = new ClusterPresence();
    c.join('a', 'r', alice);
    c.join('a', 'r', bob);
    c.join('b', 'r', bob);
    c.join('a', 's', alice);
    c.connections('a', alice, 1);
    const changes = c.drop('a');
    expect(changes.rooms).toEqual([
      { room: 'r', joins: [], leaves: [alice] },
      { room: 's', joins: [], leaves: [alice] },
    ]);
    expect(changes.offline).toEqual([alice]);
    expect(c.members('r')).toEqual([bob]);
    expect(c.knownNodes()).toEqual(['b']);
  });

  it('replacing a node with its own snapshot changes nothing', () => {
    const c = new ClusterPresence();
    c.join('a', 'r', alice);
    c.connections('a', alice, 2);
    const snap = c.snapshot('a');
    expect(c.replace('a', snap)).toEqual({ rooms: [], online: [], offline: [] });
  });

  // Property: random histories of joins, leaves, connection counts, snapshots and dropped
  // nodes, over three nodes. After every step the union equals a brute-force model, and an
  // observer who took the member list at a random moment and applied every diff since holds
  // exactly the current list (no diff missed or applied twice).
  it('the union and its diffs always equal the truth (random histories)', () => {
    const users: Member[] = [alice, bob, { id: 3, name: 'carol' }, { id: 4, name: 'dave' }];
    const rooms = ['x', 'y'];
    const nodes = ['n1', 'n2', 'n3'];
    for (let seed = 1; seed <= 150; seed++) {
      const random = seededRandom(seed);
      const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
      const c = new ClusterPresence();
      const model = new Map<string, Map<string, Set<number>>>(); // node -> room -> users
      const observers = new Map<string, Member[] | undefined>(rooms.map((r) => [r, undefined]));
      for (let step = 0; step < 120; step++) {
        const node = pick(nodes);
        const room = pick(rooms);
        const user = pick(users);
        const r = random();
        let changes;
        const held = model.get(node) ?? new Map<string, Set<number>>();
        model.set(node, held);
        if (r < 0.45) {
          changes = c.join(node, room, user);
          (held.get(room) ?? held.set(room, new Set()).get(room)!).add(user.id);
        } else if (r < 0.85) {
          changes = c.leave(node, room, user.id);
          held.get(room)?.delete(user.id);
        } else if (r < 0.93) {
          const snap: NodeSnapshot = { rooms: rooms.map((rm) => [rm, users.filter(() => random() < 0.4)] as [string, Member[]]), users: [] };
          changes = c.replace(node, snap);
          model.set(node, new Map(snap.rooms.map(([rm, ms]) => [rm, new Set(ms.map((m) => m.id))])));
        } else {
          changes = c.drop(node);
          model.delete(node);
        }
        const perRoom = new Map<string, number>();
        for (const d of changes.rooms) perRoom.set(d.room, (perRoom.get(d.room) ?? 0) + 1);
        for (const n of perRoom.values()) expect(n).toBe(1);
        for (const rm of rooms) {
          const truth = new Set<number>();
          for (const h of model.values()) for (const id of h.get(rm) ?? []) truth.add(id);
          expect(c.members(rm).map((m) => m.id).sort(), `seed ${seed} step ${step}`).toEqual([...truth].sort());
          let seen = observers.get(rm);
          for (const d of changes.rooms) if (d.room === rm && seen) seen = applyPresenceDiff(seen, d);
          if (!seen && random() < 0.2) seen = c.members(rm);
          observers.set(rm, seen);
          if (seen) expect(seen).toEqual(c.members(rm));
        }
      }
    }
  });
});
