/**
 * A socket's membership of rooms: the one join operation handlers call, its leave, and what a
 * closed socket leaves behind. Joining holds the room on this node (broker subscription and
 * delivery order, room-feed.ts), reads the backlog and then, in one tick, changes presence,
 * subscribes the socket to the room's topic and answers `joined`; the backlog and the live
 * stream after it meet exactly: nothing missed, nothing twice.
 */
import { roomTopic } from '../broker/room-topics.js';
import type { RoomFeed } from '../chat/room-feed.js';
import type { Presence } from '../presence/presence.js';
import { JOIN_BACKLOG_MAX, JOIN_LATEST, type ChatMessage, type ServerFrame } from '../protocol/frames.js';
import type { MessageStore } from '../store/message-store.js';
import type { RoomRef } from '../store/room-store.js';
import type { Socket } from './connection.js';

export interface MembershipDeps {
  feed: RoomFeed;
  messages: Pick<MessageStore, 'backlog'>;
  presence: Presence;
}

type Joined = Extract<ServerFrame, { t: 'joined' }>;

export class RoomMembership {
  constructor(private readonly d: MembershipDeps) {}

  /**
   * Joins (or, with `since`, re-reads) a room for the socket and answers with `reply`.
   * Returns false, having changed nothing, when `stillWanted` turned false meanwhile (a
   * leave, a newer join, the socket closed). Throws when the store fails.
   */
  async join(ws: Socket, room: RoomRef, since: number | undefined, stillWanted: () => boolean, reply: (frame: Joined) => void): Promise<boolean> {
    const st = ws.getUserData();
    const name = room.name;
    const fresh = !st.rooms.has(name);
    let kept = false;
    if (fresh) await this.d.feed.hold(room);
    const window = this.d.feed.openWindow(name);
    try {
      if (!stillWanted()) return false;
      const cap = since === undefined ? JOIN_LATEST : JOIN_BACKLOG_MAX;
      const backlog = await this.d.messages.backlog(room, since, cap);
      if (!stillWanted()) return false;
      // Where the stream of this node stands: messages up to it went out before this tick,
      // those after it will. Without one yet (the first join of the room here), the read sets it.
      const delivered = this.d.feed.deliveredSeq(name);
      const seq = delivered ?? backlog.seq;
      let messages: ChatMessage[] = backlog.messages.filter((m) => m.seq <= seq);
      if (backlog.seq < seq) messages = messages.concat(window.deliveredAfter(backlog.seq).filter((m) => m.seq <= seq));
      const truncated = backlog.truncated || (since !== undefined && messages.length > cap);
      if (messages.length > cap) messages = messages.slice(messages.length - cap);

      // One tick from here on: presence change, subscription and snapshot cannot be split.
      if (fresh) {
        this.d.presence.join(name, st.id, st.user);
        ws.subscribe(roomTopic(name));
        st.rooms.set(name, room);
        kept = true;
      }
      reply({ t: 'joined', room: name, seq, members: this.d.presence.members(name), messages, truncated });
      if (delivered === undefined) this.d.feed.startAt(name, seq);
      return true;
    } finally {
      window.close();
      if (fresh && !kept) this.d.feed.release(name);
    }
  }

  /** Takes the socket out of the room; false when it was not in it. */
  leave(ws: Socket, room: string): boolean {
    const st = ws.getUserData();
    if (!st.rooms.delete(room)) return false;
    ws.unsubscribe(roomTopic(room));
    this.d.presence.leave(room, st.id);
    this.d.feed.release(room);
    return true;
  }

  /** The socket closed (uWS has dropped its subscriptions): its user leaves where this was their last connection. */
  closed(ws: Socket): void {
    const st = ws.getUserData();
    this.d.presence.disconnect(st.id, st.user);
    for (const room of st.rooms.keys()) this.d.feed.release(room);
    st.rooms.clear();
  }
}
