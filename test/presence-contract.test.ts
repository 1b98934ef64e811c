/**
 * The presence service's contract, one suite run against both implementations: LocalPresence
 * (one process) and RedisPresence (a cluster node, over a real redis-server and the real
 * RedisBroker). Then what only a cluster has: several nodes agreeing, a node stopping, a node
 * going silent, a node restarting under the same id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from '../server/broker/redis-broker.js';
import { startLocalRedis, type LocalRedis } from '../server/cluster/local-redis.js';
import { systemClock } from '../server/clock.js';
import { createLogger } from '../server/logger.js';
import { LocalPresence, type Presence, type PresenceDiff } from '../server/presence/presence.js';
import { RedisPresence } from '../server/presence/redis-presence.js';
import type { Member } from '../server/protocol/frames.js';
import { until } from './harness.js';

const alice: Member = { id: 1, name: 'alice' };
const bob: Member = { id: 2, name: 'bob' };
const log = createLogger('silent');

interface Node {
  presence: Presence;
  diffs: PresenceDiff[];
  broker?: RedisBroker;
}

let redis: LocalRedis;
const started: Node[] = [];

beforeAll(async () => {
  redis = await startLocalRedis();
});

afterAll(async () => {
  for (const n of started) {
    await n.presence.stop().catch(() => {});
    await n.broker?.close().catch(() => {});
  }
  await redis.stop();
});

/** A node of the cluster named `cluster` (its own channel prefix: clusters in one Redis do not hear each other). */
async function redisNode(cluster: string, nodeId: string, timing = { heartbeatMs: 100, nodeTimeoutMs: 1000 }): Promise<Node> {
  const broker = new RedisBroker({ url: redis.url, nodeId, log, prefix: `${cluster}:` });
  await broker.start();
  const diffs: PresenceDiff[] = [];
  const presence = new RedisPresence({ broker, clock: systemClock, log, publish: (d) => diffs.push(d), ...timing });
  await presence.start();
  const node = { presence, diffs, broker };
  started.push(node);
  return node;
}

let nodeCount = 0;
const implementations: Array<[string, () => Promise<Node>]> = [
  [
    'LocalPresence',
    async () => {
      const diffs: PresenceDiff[] = [];
      return { presence: new LocalPresence('solo', (d) => diffs.push(d)), diffs };
    },
  ],
  ['RedisPresence', () => redisNode(`contract-${++nodeCount}`, 'solo')],
];

describe.each(implementations)('presence contract: %s', (_name, make) => {
  it('two connections of one user in a room are one member: one join, one leave', async () => {
    const { presence, diffs } = await make();
    presence.connect(10, alice);
    presence.connect(11, alice);
    presence.join('r', 10, alice);
    presence.join('r', 11, alice);
    expect(presence.members('r')).toEqual([alice]);
    presence.leave('r', 10);
    expect(presence.members('r')).toEqual([alice]);
    presence.leave('r', 11);
    expect(diffs).toEqual([
      { room: 'r', joins: [alice], leaves: [] },
      { room: 'r', joins: [], leaves: [alice] },
    ]);
  });

  it('a closed connection leaves every room it was in; the user is offline with their last', async () => {
    const { presence, diffs } = await make();
    presence.connect(20, bob);
    presence.connect(21, bob);
    presence.join('a', 20, bob);
    presence.join('b', 20, bob);
    expect(presence.isOnline(bob.id)).toBe(true);
    expect(presence.connectionsOf(bob.id)).toBe(2);
    presence.disconnect(20, bob);
    expect(diffs.filter((d) => d.leaves.length)).toEqual([
      { room: 'a', joins: [], leaves: [bob] },
      { room: 'b', joins: [], leaves: [bob] },
    ]);
    expect(presence.isOnline(bob.id)).toBe(true);
    presence.disconnect(21, bob);
    expect(presence.isOnline(bob.id)).toBe(false);
    expect(presence.connectionsOf(bob.id)).toBe(0);
  });

  it('counts list the rooms with someone in them', async () => {
    const { presence } = await make();
    presence.connect(30, alice);
    presence.connect(31, bob);
    presence.join('c', 30, alice);
    presence.join('c', 31, bob);
    presence.join('d', 31, bob);
    expect(Object.fromEntries(presence.counts())).toMatchObject({ c: 2, d: 1 });
    expect(presence.onlineUsers().sort()).toEqual([alice.id, bob.id]);
  });
});

describe('presence across nodes (RedisPresence)', () => {
  it('a join on one node is a member and one diff on the others; two tabs on two nodes are one member', async () => {
    const a = await redisNode('p', 'pa');
    const b = await redisNode('p', 'pb');
    await until(() => (a.presence as RedisPresence).peerNodes.includes('pb') && (b.presence as RedisPresence).peerNodes.includes('pa'), 5000, 'nodes know each other');
    a.presence.connect(1, alice);
    a.presence.join('lobby', 1, alice);
    await until(() => b.presence.members('lobby').length === 1, 5000, 'b sees alice');
    expect(b.diffs).toEqual([{ room: 'lobby', joins: [alice], leaves: [] }]);
    expect(b.presence.isOnline(alice.id)).toBe(true);

    // A second tab of alice, on b: still one member everywhere, no diff anywhere.
    b.presence.connect(2, alice);
    b.presence.join('lobby', 2, alice);
    await until(() => a.presence.connectionsOf(alice.id) === 2, 5000, 'a counts both tabs');
    expect(a.presence.members('lobby')).toEqual([alice]);
    expect(a.diffs).toEqual([{ room: 'lobby', joins: [alice], leaves: [] }]);
    expect(b.diffs).toHaveLength(1);

    // The tab on a closes: alice is still in the room through b.
    a.presence.disconnect(1, alice);
    await until(() => b.presence.connectionsOf(alice.id) === 1, 5000, 'b counts one tab');
    expect(b.presence.members('lobby')).toEqual([alice]);
    expect(a.presence.members('lobby')).toEqual([alice]);
    expect(a.diffs).toHaveLength(1);
    // And the last one: one leave on each node.
    b.presence.disconnect(2, alice);
    await until(() => a.presence.members('lobby').length === 0, 5000, 'a sees alice leave');
    expect(a.diffs.at(-1)).toEqual({ room: 'lobby', joins: [], leaves: [alice] });
    expect(b.diffs.at(-1)).toEqual({ room: 'lobby', joins: [], leaves: [alice] });
    expect(a.diffs).toHaveLength(2);
    expect(b.diffs).toHaveLength(2);
  });

  it('a node that starts late gets the others\' state; one that stops is forgotten at once', async () => {
    const a = await redisNode('q', 'qa');
    a.presence.connect(1, bob);
    a.presence.join('late', 1, bob);
    const b = await redisNode('q', 'qb');
    await until(() => b.presence.members('late').length === 1, 5000, 'b learns of bob');
    expect(b.diffs).toEqual([{ room: 'late', joins: [bob], leaves: [] }]);
    await a.presence.stop();
    await until(() => b.presence.members('late').length === 0, 2000, 'b forgets a');
    expect(b.diffs.at(-1)).toEqual({ room: 'late', joins: [], leaves: [bob] });
  });

  it('a node that goes silent is taken as lost after the timeout', async () => {
    const a = await redisNode('r', 'ra');
    const b = await redisNode('r', 'rb');
    a.presence.connect(1, alice);
    a.presence.join('x', 1, alice);
    await until(() => b.presence.members('x').length === 1, 5000, 'b sees alice');
    // Silent: its link closes without a bye, as when the process is killed.
    const silentAt = Date.now();
    await a.broker!.close();
    await until(() => b.presence.members('x').length === 0, 5000, 'b drops the silent node');
    expect(Date.now() - silentAt).toBeGreaterThanOrEqual(800);
    expect(b.diffs.at(-1)).toEqual({ room: 'x', joins: [], leaves: [alice] });
    expect(b.diffs).toHaveLength(2);
  });

  it('a node restarted under the same id starts clean: its old members leave without waiting for a timeout', async () => {
    // A timeout far longer than the test: only the new start can make the old state go.
    const long = { heartbeatMs: 100, nodeTimeoutMs: 600_000 };
    const b = await redisNode('s', 'sb', long);
    const c = await redisNode('s', 'sc', long);
    c.presence.connect(1, bob);
    c.presence.join('y', 1, bob);
    await until(() => b.presence.members('y').length === 1, 5000, 'b sees bob');
    await c.broker!.close(); // killed: no bye
    const again = await redisNode('s', 'sc', long);
    await until(() => b.presence.members('y').length === 0, 5000, 'the restarted node replaced its old state');
    expect(b.diffs.at(-1)).toEqual({ room: 'y', joins: [], leaves: [bob] });
    expect(again.presence.members('y')).toEqual([]);
  });
});
