/**
 * This node's connections: who has how many open, and who is in which room, as pure state:
 * no I/O, no timers. The cluster-wide view is cluster-presence.ts; this is one node's share.
 *
 * Per room it counts each user's open connections. A user enters a room's member list with
 * their first connection there and leaves it with their last, so two tabs are one member.
 * Every mutation returns the diff it caused ({joins, leaves}) for the caller to publish; a
 * snapshot taken right after a mutation plus the diffs that follow always equals the truth.
 */

import type { Member } from '../protocol/frames.js';
import type { PresenceDiff } from './cluster-presence.js';

export type { Member, PresenceDiff };

interface RoomState {
  /** user id -> member and the ids of this user's connections in the room */
  users: Map<number, { member: Member; conns: Set<number> }>;
}

export class PresenceTracker {
  private rooms = new Map<string, RoomState>();
  /** connection id -> rooms it is in, so a close can leave them all */
  private connRooms = new Map<number, { member: Member; rooms: Set<string> }>();
  /** user id -> open connections on this node */
  private userConns = new Map<number, number>();

  /** A connection opened; returns the user's open connections on this node. */
  opened(userId: number): number {
    const n = (this.userConns.get(userId) ?? 0) + 1;
    this.userConns.set(userId, n);
    return n;
  }

  /** A connection closed (call close() for its rooms too); returns the user's open connections left. */
  closed(userId: number): number {
    const n = (this.userConns.get(userId) ?? 1) - 1;
    if (n > 0) this.userConns.set(userId, n);
    else this.userConns.delete(userId);
    return n;
  }

  /** Adds a connection to a room; the diff has the user in `joins` if this is their first connection there. */
  join(room: string, connId: number, member: Member): PresenceDiff {
    let state = this.rooms.get(room);
    if (!state) this.rooms.set(room, (state = { users: new Map() }));
    let conn = this.connRooms.get(connId);
    if (!conn) this.connRooms.set(connId, (conn = { member, rooms: new Set() }));
    conn.rooms.add(room);
    let entry = state.users.get(member.id);
    const first = !entry;
    if (!entry) state.users.set(member.id, (entry = { member, conns: new Set() }));
    entry.conns.add(connId);
    return { room, joins: first ? [member] : [], leaves: [] };
  }

  /** Removes a connection from a room; the diff has the user in `leaves` if it was their last there. */
  leave(room: string, connId: number): PresenceDiff {
    const conn = this.connRooms.get(connId);
    const state = this.rooms.get(room);
    if (!conn || !state || !conn.rooms.delete(room)) return { room, joins: [], leaves: [] };
    if (conn.rooms.size === 0) this.connRooms.delete(connId);
    const entry = state.users.get(conn.member.id);
    if (!entry) return { room, joins: [], leaves: [] };
    entry.conns.delete(connId);
    if (entry.conns.size > 0) return { room, joins: [], leaves: [] };
    state.users.delete(conn.member.id);
    if (state.users.size === 0) this.rooms.delete(room);
    return { room, joins: [], leaves: [entry.member] };
  }

  /** Removes a closed connection from every room; returns one diff per room that changed. */
  close(connId: number): PresenceDiff[] {
    const conn = this.connRooms.get(connId);
    if (!conn) return [];
    const diffs: PresenceDiff[] = [];
    for (const room of [...conn.rooms]) {
      const d = this.leave(room, connId);
      if (d.leaves.length) diffs.push(d);
    }
    return diffs;
  }

  /** Members online in a room now, one per user, ordered by name. */
  members(room: string): Member[] {
    const state = this.rooms.get(room);
    if (!state) return [];
    return [...state.users.values()].map((u) => u.member).sort((a, b) => a.name.localeCompare(b.name));
  }

  count(room: string): number {
    return this.rooms.get(room)?.users.size ?? 0;
  }

  roomsOf(connId: number): ReadonlySet<string> {
    return this.connRooms.get(connId)?.rooms ?? new Set();
  }
}
