/**
 * What each client frame does: join, leave, send, typing, watch. Replies follow the contract;
 * every failure becomes an `error` frame and the connection stays usable.
 */
import type { Logger } from 'pino';
import type { Limits } from '../config.js';
import type { ClientFrame } from '../protocol/frames.js';
import { roomTopic } from '../broker/room-topics.js';
import type { RoomFeed } from '../chat/room-feed.js';
import type { LiveLists } from '../chat/live-lists.js';
import { DIRECT_PREFIX, canAccess, type RoomStore } from '../store/room-store.js';
import { storeErrorCode, type GroupCommitWriter } from '../store/group-commit.js';
import { encodeFrame } from '../protocol/codec.js';
import type { TypingThrottle } from '../limits/typing-throttle.js';
import type { AbuseGuards } from '../limits/abuse-guards.js';
import { errorFrame, sendFrame, withRef, type Socket } from './connection.js';
import type { RoomMembership } from './room-membership.js';

export interface HandlerDeps {
  log: Logger;
  limits: Limits;
  rooms: RoomStore;
  writer: Pick<GroupCommitWriter, 'submit'>;
  feed: Pick<RoomFeed, 'relayTyping'>;
  membership: RoomMembership;
  lists: LiveLists;
  typing: TypingThrottle;
  /** Joins and room creation per user (LIMIT_JOIN, LIMIT_ROOM_CREATE), shared with HTTP. */
  guards: AbuseGuards;
  /** The clock of the send and typing limits and the join guards (server/clock.ts). */
  now: () => number;
}

export class RoomHandlers {
  private joinAttempt = 0;
  private readonly now: () => number;

  constructor(private readonly d: HandlerDeps) {
    this.now = d.now;
  }

  /** Runs one validated frame. Never throws; async work reports its own errors. */
  handle(ws: Socket, frame: ClientFrame): Promise<void> | void {
    switch (frame.t) {
      case 'join':
        return this.join(ws, frame.room, frame.since, frame.ref);
      case 'leave':
        return this.leave(ws, frame.room, frame.ref);
      case 'send':
        return this.send(ws, frame.room, frame.body, frame.cid, frame.ref);
      case 'typing':
        return this.typingNotice(ws, frame.room, frame.ref);
      case 'watch':
        return this.reply(ws, withRef(this.d.lists.watch(ws, ws.getUserData().user.id), frame.ref));
    }
  }

  private reply(ws: Socket, frame: Parameters<typeof sendFrame>[1]): void {
    sendFrame(ws, frame, this.d.limits.maxBufferedBytes);
  }

  private async join(ws: Socket, room: string, since: number | undefined, ref: string | number | undefined): Promise<void> {
    const st = ws.getUserData();
    const rejoin = st.rooms.has(room);
    if (!rejoin && st.rooms.size + st.joining.size >= this.d.limits.roomsPerConnection) {
      return this.reply(ws, errorFrame('too_many_rooms', `a connection may join at most ${this.d.limits.roomsPerConnection} rooms`, { room, ref }));
    }
    const wait = this.d.guards.join.attempt(String(st.user.id), this.now());
    if (wait > 0) {
      return this.reply(ws, errorFrame('rate_limited', `too many joins; retry in ${Math.ceil(wait / 1000)} s`, { room, ref, retry_after: wait }));
    }
    const attempt = ++this.joinAttempt;
    st.joining.set(room, attempt);
    const stillWanted = () => !st.closed && st.joining.get(room) === attempt;
    try {
      await this.joinSnapshot(ws, room, since, ref, stillWanted);
    } catch (err) {
      // The room lookup and the backlog read are the only fallible steps: both are the store.
      this.d.log.warn({ err: (err as Error).message, room }, 'join failed');
      if (stillWanted()) this.reply(ws, errorFrame('unavailable', 'the message store is unavailable; retry the join', { room, ref }));
    } finally {
      if (st.joining.get(room) === attempt) st.joining.delete(room);
    }
  }

  /** Resolves the room (creating a public one), checks access, then joins through RoomMembership. */
  private async joinSnapshot(ws: Socket, room: string, since: number | undefined, ref: string | number | undefined, stillWanted: () => boolean): Promise<void> {
    const st = ws.getUserData();
    let roomRef = await this.d.rooms.ref(room);
    if (!stillWanted()) return;
    if (!roomRef && !room.startsWith(DIRECT_PREFIX)) {
      // Joining a public room that does not exist creates it: that is limited per user.
      const wait = this.d.guards.roomCreate.attempt(String(st.user.id), this.now());
      if (wait > 0) {
        return this.reply(ws, errorFrame('rate_limited', `too many new rooms; retry in ${Math.ceil(wait / 1000)} s`, { room, ref, retry_after: wait }));
      }
      roomRef = await this.d.rooms.refOrCreatePublic(room);
      // Possibly made by a racing join instead; the lists take a room they know as it is.
      if (roomRef) this.d.lists.roomAdded({ name: roomRef.name, kind: 'public', topic: null, lastSeq: 0, lastAt: null });
    }
    if (!stillWanted()) return;
    if (!roomRef) return this.reply(ws, errorFrame('not_found', `no room named ${room}`, { room, ref }));
    if (!canAccess(roomRef, st.user.id)) return this.reply(ws, errorFrame('forbidden', `${room} is a direct room of two other people`, { room, ref }));
    await this.d.membership.join(ws, roomRef, since, stillWanted, (joined) => {
      st.joining.delete(room);
      this.reply(ws, withRef(joined, ref));
    });
  }

  private leave(ws: Socket, room: string, ref: string | number | undefined): void {
    const st = ws.getUserData();
    st.joining.delete(room);
    this.d.membership.leave(ws, room);
    this.reply(ws, withRef({ t: 'left', room }, ref));
  }

  private async send(ws: Socket, room: string, body: string, cid: string, ref: string | number | undefined): Promise<void> {
    const st = ws.getUserData();
    const roomRef = st.rooms.get(room);
    if (!roomRef) return this.reply(ws, errorFrame('not_joined', `join ${room} before sending to it`, { room, ref }));
    const wait = st.sendBucket.take(this.now());
    if (wait > 0) {
      return this.reply(ws, errorFrame('rate_limited', `at most ${this.d.limits.sendRate} messages a second; retry later with the same cid`, { room, ref, retry_after: wait }));
    }
    try {
      const { message } = await this.d.writer.submit({ roomId: roomRef.id, room, user: st.user, body, cid });
      this.reply(ws, withRef({ t: 'ack', cid, room, id: message.id, seq: message.seq, at: message.at }, ref));
    } catch (err) {
      const code = storeErrorCode(err);
      this.reply(ws, errorFrame(code, (err as Error).message, { room, ref }));
    }
  }

  private typingNotice(ws: Socket, room: string, ref: string | number | undefined): void {
    const st = ws.getUserData();
    if (!st.rooms.has(room)) return this.reply(ws, errorFrame('not_joined', `join ${room} before typing in it`, { room, ref }));
    if (!this.d.typing.allow(st.user.id, room, this.now())) return;
    // ws.publish leaves out this socket: the typist does not hear their own notice.
    const bytes = encodeFrame({ t: 'typing', room, user: st.user });
    ws.publish(roomTopic(room), bytes, true);
    this.d.feed.relayTyping(room, bytes);
  }
}
