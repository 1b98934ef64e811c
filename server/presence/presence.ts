/**
 * The presence service: tracks this node's connections, knows who is online (in each room
 * and at all) across the cluster, and publishes its own diffs. It is the one place that
 * knows who is online: the gateway, the HTTP routes and the live lists all ask it.
 *
 * Guarantees: each change of a room's member list produces exactly one `presence` diff on
 * every node, published to that node's sockets in the room; a user with several connections
 * (tabs, on one node or on several) is one member; `members(room)` taken in the same tick as
 * a subscription plus the diffs after it equal the truth.
 *
 * LocalPresence is the whole service for one process. RedisPresence (redis-presence.ts) adds
 * what a cluster needs: it tells the other nodes of each change and merges theirs.
 */
import type { Member } from '../protocol/frames.js';
import { ClusterPresence, type NodeChange, type PresenceChanges, type PresenceDiff } from './cluster-presence.js';
import { PresenceTracker } from './presence-tracker.js';

export type { PresenceChanges, PresenceDiff };

export interface Presence {
  readonly nodeId: string;
  /** A socket of this node opened. */
  connect(connId: number, member: Member): void;
  /** A socket of this node closed: it leaves every room it was in. */
  disconnect(connId: number, member: Member): void;
  join(room: string, connId: number, member: Member): void;
  leave(room: string, connId: number): void;
  /** Members online in the room on any node, one per user, ordered by name. */
  members(room: string): Member[];
  count(room: string): number;
  /** Every room with someone online in it, and how many. */
  counts(): Array<[room: string, online: number]>;
  isOnline(userId: number): boolean;
  onlineUsers(): number[];
  /** The user's open connections on every node together. */
  connectionsOf(userId: number): number;
  /** Called after every change of the cluster-wide state (feeds the live lists). */
  onChange(listener: (changes: PresenceChanges) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class LocalPresence implements Presence {
  protected readonly tracker = new PresenceTracker();
  protected readonly cluster = new ClusterPresence();
  private readonly listeners: Array<(changes: PresenceChanges) => void> = [];

  /** `publish` sends a room's diff to this node's sockets in the room. */
  constructor(
    readonly nodeId: string,
    private readonly publish: (diff: PresenceDiff) => void,
  ) {}

  connect(_connId: number, member: Member): void {
    this.local({ user: member, conns: this.tracker.opened(member.id) });
  }

  disconnect(connId: number, member: Member): void {
    for (const diff of this.tracker.close(connId)) for (const m of diff.leaves) this.local({ room: diff.room, leave: m.id });
    this.local({ user: member, conns: this.tracker.closed(member.id) });
  }

  join(room: string, connId: number, member: Member): void {
    for (const m of this.tracker.join(room, connId, member).joins) this.local({ room, join: m });
  }

  leave(room: string, connId: number): void {
    for (const m of this.tracker.leave(room, connId).leaves) this.local({ room, leave: m.id });
  }

  members(room: string): Member[] {
    return this.cluster.members(room);
  }

  count(room: string): number {
    return this.cluster.count(room);
  }

  counts(): Array<[string, number]> {
    return this.cluster.counts();
  }

  isOnline(userId: number): boolean {
    return this.cluster.isOnline(userId);
  }

  onlineUsers(): number[] {
    return this.cluster.onlineUsers();
  }

  connectionsOf(userId: number): number {
    return this.cluster.connectionsOf(userId);
  }

  onChange(listener: (changes: PresenceChanges) => void): void {
    this.listeners.push(listener);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** A change of this node's own state: applied to the cluster view, published, announced. */
  private local(change: NodeChange): void {
    this.emit(this.cluster.apply(this.nodeId, change));
    this.announce(change);
  }

  /** Tells the other nodes of a change of this node's state (nobody to tell in one process). */
  protected announce(_change: NodeChange): void {}

  protected emit(changes: PresenceChanges): void {
    for (const diff of changes.rooms) this.publish(diff);
    if (changes.rooms.length || changes.online.length || changes.offline.length) for (const l of this.listeners) l(changes);
  }
}
