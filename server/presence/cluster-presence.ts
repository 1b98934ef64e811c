/**
 * Who is online across every node, as pure state: no I/O, no timers.
 *
 * Each node reports its own rooms (who has a connection there on that node) and its users
 * (how many connections each has on that node). A room's members are the union over all
 * nodes, and a user is online while any node has a connection of theirs, so a user with tabs
 * on two nodes is one member. Every mutation returns the changes of the union it caused:
 * one diff per room ({joins, leaves}, the contract's presence frame) and the users who came
 * online or went offline. A node that sees the same mutations in the same order computes the
 * same changes; applying a node's state twice changes nothing.
 *
 * With a single node (no cluster) this is that node's state and its diffs are the node's own.
 */
import type { Member } from '../protocol/frames.js';

export interface PresenceDiff {
  room: string;
  joins: Member[];
  leaves: Member[];
}

export interface PresenceChanges {
  /** At most one diff per room, only for rooms whose member list changed. */
  rooms: PresenceDiff[];
  /** Users whose first connection anywhere opened. */
  online: Member[];
  /** Users whose last connection anywhere closed. */
  offline: Member[];
}

/** One node's whole state, as sent between nodes. */
export interface NodeSnapshot {
  rooms: Array<[room: string, members: Member[]]>;
  users: Array<[member: Member, connections: number]>;
}

/** One change of one node's own state, as nodes tell each other. */
export type NodeChange = { room: string; join: Member } | { room: string; leave: number } | { user: Member; conns: number };

interface NodeState {
  rooms: Map<string, Map<number, Member>>;
  users: Map<number, { member: Member; conns: number }>;
}

interface Counted {
  member: Member;
  /** Nodes with this user in the room (or, for users, with a connection of theirs). */
  nodes: number;
}

class ChangeSet {
  private rooms = new Map<string, PresenceDiff>();
  readonly online: Member[] = [];
  readonly offline: Member[] = [];

  room(room: string): PresenceDiff {
    let d = this.rooms.get(room);
    if (!d) this.rooms.set(room, (d = { room, joins: [], leaves: [] }));
    return d;
  }

  done(): PresenceChanges {
    const rooms = [...this.rooms.values()].filter((d) => d.joins.length || d.leaves.length);
    return { rooms, online: this.online, offline: this.offline };
  }
}

export const NO_CHANGES: PresenceChanges = Object.freeze({ rooms: [], online: [], offline: [] }) as PresenceChanges;

export class ClusterPresence {
  private nodes = new Map<string, NodeState>();
  private roomUnion = new Map<string, Map<number, Counted>>();
  private userUnion = new Map<number, Counted & { conns: number }>();

  /** Applies one change of `node`'s state. */
  apply(node: string, change: NodeChange): PresenceChanges {
    if ('user' in change) return this.connections(node, change.user, change.conns);
    if ('join' in change) return this.join(node, change.room, change.join);
    return this.leave(node, change.room, change.leave);
  }

  /** A user now has a connection in the room on `node`. */
  join(node: string, room: string, member: Member): PresenceChanges {
    const c = new ChangeSet();
    this.addRoomMember(this.node(node), room, member, c);
    return c.done();
  }

  /** A user no longer has any connection in the room on `node`. */
  leave(node: string, room: string, userId: number): PresenceChanges {
    const c = new ChangeSet();
    this.removeRoomMember(this.nodes.get(node), room, userId, c);
    return c.done();
  }

  /** Sets how many connections the user has on `node` (0: none). */
  connections(node: string, member: Member, conns: number): PresenceChanges {
    const c = new ChangeSet();
    this.setConnections(this.node(node), member, conns, c);
    return c.done();
  }

  /** Replaces everything known of `node` with its snapshot: one diff per room that changed. */
  replace(node: string, snapshot: NodeSnapshot): PresenceChanges {
    const c = new ChangeSet();
    const state = this.node(node);
    const rooms = new Map(snapshot.rooms.map(([room, members]) => [room, new Map(members.map((m) => [m.id, m]))]));
    for (const [room, members] of [...state.rooms]) {
      const keep = rooms.get(room);
      for (const id of [...members.keys()]) if (!keep?.has(id)) this.removeRoomMember(state, room, id, c);
    }
    for (const [room, members] of rooms) for (const m of members.values()) this.addRoomMember(state, room, m, c);
    const users = new Map(snapshot.users.map(([m, conns]) => [m.id, { m, conns }]));
    for (const [id, u] of [...state.users]) if (!users.has(id)) this.setConnections(state, u.member, 0, c);
    for (const { m, conns } of users.values()) this.setConnections(state, m, conns, c);
    return c.done();
  }

  /** Forgets `node` (stopped, or lost): its members leave where nobody else holds them. */
  drop(node: string): PresenceChanges {
    const changes = this.replace(node, { rooms: [], users: [] });
    this.nodes.delete(node);
    return changes;
  }

  snapshot(node: string): NodeSnapshot {
    const state = this.nodes.get(node);
    if (!state) return { rooms: [], users: [] };
    return {
      rooms: [...state.rooms].map(([room, members]) => [room, [...members.values()]]),
      users: [...state.users.values()].map((u) => [u.member, u.conns]),
    };
  }

  /** Members online in a room, one per user, ordered by name. */
  members(room: string): Member[] {
    const union = this.roomUnion.get(room);
    if (!union) return [];
    return [...union.values()].map((u) => u.member).sort((a, b) => a.name.localeCompare(b.name));
  }

  count(room: string): number {
    return this.roomUnion.get(room)?.size ?? 0;
  }

  /** Every room with someone in it, and how many. */
  counts(): Array<[room: string, online: number]> {
    return [...this.roomUnion].map(([room, users]) => [room, users.size]);
  }

  isOnline(userId: number): boolean {
    return this.userUnion.has(userId);
  }

  onlineUsers(): number[] {
    return [...this.userUnion.keys()];
  }

  /** The user's open connections on every node together. */
  connectionsOf(userId: number): number {
    return this.userUnion.get(userId)?.conns ?? 0;
  }

  knownNodes(): string[] {
    return [...this.nodes.keys()];
  }

  private node(id: string): NodeState {
    let state = this.nodes.get(id);
    if (!state) this.nodes.set(id, (state = { rooms: new Map(), users: new Map() }));
    return state;
  }

  private addRoomMember(state: NodeState, room: string, member: Member, c: ChangeSet): void {
    let members = state.rooms.get(room);
    if (!members) state.rooms.set(room, (members = new Map()));
    if (members.has(member.id)) return;
    members.set(member.id, member);
    let union = this.roomUnion.get(room);
    if (!union) this.roomUnion.set(room, (union = new Map()));
    const u = union.get(member.id);
    if (u) u.nodes++;
    else {
      union.set(member.id, { member, nodes: 1 });
      c.room(room).joins.push(member);
    }
  }

  private removeRoomMember(state: NodeState | undefined, room: string, userId: number, c: ChangeSet): void {
    const members = state?.rooms.get(room);
    if (!members?.delete(userId)) return;
    if (members.size === 0) state!.rooms.delete(room);
    const union = this.roomUnion.get(room)!;
    const u = union.get(userId)!;
    if (--u.nodes > 0) return;
    union.delete(userId);
    if (union.size === 0) this.roomUnion.delete(room);
    c.room(room).leaves.push(u.member);
  }

  private setConnections(state: NodeState, member: Member, conns: number, c: ChangeSet): void {
    const before = state.users.get(member.id)?.conns ?? 0;
    if (before === conns) return;
    if (conns > 0) state.users.set(member.id, { member, conns });
    else state.users.delete(member.id);
    const u = this.userUnion.get(member.id);
    if (!u) {
      this.userUnion.set(member.id, { member, nodes: 1, conns });
      c.online.push(member);
      return;
    }
    u.conns += conns - before;
    if (before === 0) u.nodes++;
    else if (conns === 0 && --u.nodes === 0) {
      this.userUnion.delete(member.id);
      c.offline.push(u.member);
    }
  }
}
