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
import { DIRECT_PREFIX, canAccess, type RoomRef, type RoomStore } from '../store/room-store.js';
import { storeErrorCode, type GroupCommitWriter } from '../store/group-commit.js';
import { encodeFrame } from '../protocol/codec.js';
import type { TypingThrottle } from '../limits/typing-throttle.js';
import type { AbuseGuards } from '../limits/abuse-guards.js';
import { errorFrame, sendObserved, withRef, type Socket, type SocketObserver } from './connection.js';
import type { RoomMembership } from './room-membership.js';
import { MessageChangeRefused, type MessageEdits } from '../store/message-edits.js';
import type { ReadPositions } from '../store/read-positions.js';

export interface HandlerDeps {
  log: Logger;
  limits: Limits;
  rooms: RoomStore;
  writer: Pick<GroupCommitWriter, 'submit'>;
  feed: Pick<RoomFeed, 'relayTyping' | 'publishMessages'>;
  edits: MessageEdits;
  reads: ReadPositions;
  membership: RoomMembership;
  lists: LiveLists;
  typing: TypingThrottle;
  /** Joins and room creation per user (LIMIT_JOIN, LIMIT_ROOM_CREATE), shared with HTTP. */
  guards: AbuseGuards;
  /** The clock of the send and typing limits and the join guards (server/clock.ts). */
  now: () => number;
  observer?: SocketObserver;
}

export class RoomHandlers {
  private joinAttempt = 0;
  private readonly now: () => number;
  /** Membership writes that run after their join was answered: a stop waits for them. */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly d: HandlerDeps) {
    this.now = d.now;
  }

  /** Resolves once the writes started after answers (memberships) have finished. */
  async whenIdle(): Promise<void> {
    while (this.background.size) await Promise.all([...this.background]);
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
      case 'edit':
        return this.change(ws, frame.room, frame.seq, frame.body, frame.ref);
      case 'delete':
        return this.change(ws, frame.room, frame.seq, undefined, frame.ref);
      case 'read':
        return this.read(ws, frame.room, frame.seq, frame.ref);
    }
  }

  private reply(ws: Socket, frame: Parameters<typeof sendObserved>[1]): void {
    sendObserved(ws, frame, this.d.limits.maxBufferedBytes, this.d.observer);
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
    const fresh = !st.rooms.has(room);
    const joined = await this.d.membership.join(ws, roomRef, since, stillWanted, (joined) => {
      st.joining.delete(room);
      this.reply(ws, withRef(joined, ref));
    });
    if (joined && fresh && roomRef.kind === 'public') {
      const write = this.becomeMember(roomRef, st.user.id).finally(() => this.background.delete(write));
      this.background.add(write);
    }
  }

  /** Joining a public room makes the user a member (listed in their sidebar) until they leave it over HTTP. */
  private async becomeMember(room: RoomRef, userId: number): Promise<void> {
    try {
      if (!(await this.d.rooms.addMember(room, userId))) return;
      const view = await this.d.rooms.view(room, userId);
      if (view) this.d.lists.membership(userId, view, true);
    } catch (err) {
      // The join itself stands; the sidebar learns of the room on the next join or reload.
      this.d.log.warn({ err: (err as Error).message, room: room.name }, 'storing a room membership failed');
    }
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
    const read = performance.now();
    try {
      const { message } = await this.d.writer.submit({ roomId: roomRef.id, room, user: st.user, body, cid });
      this.reply(ws, withRef({ t: 'ack', cid, room, id: message.id, seq: message.seq, at: message.at }, ref));
      this.d.observer?.acked((performance.now() - read) / 1000);
    } catch (err) {
      const code = storeErrorCode(err);
      this.reply(ws, errorFrame(code, (err as Error).message, { room, ref }));
    }
  }

  /** Edits (body given) or deletes one's own message: a new event in the room's sequence, acked like a send. */
  private async change(ws: Socket, room: string, target: number, body: string | undefined, ref: string | number | undefined): Promise<void> {
    const st = ws.getUserData();
    const roomRef = st.rooms.get(room);
    const what = body === undefined ? 'deleting' : 'editing';
    if (!roomRef) return this.reply(ws, errorFrame('not_joined', `join ${room} before ${what} in it`, { room, ref }));
    const wait = st.sendBucket.take(this.now());
    if (wait > 0) return this.reply(ws, errorFrame('rate_limited', `at most ${this.d.limits.sendRate} messages and changes a second`, { room, ref, retry_after: wait }));
    try {
      const event = await this.d.edits.apply({ room: roomRef, user: st.user, target, body });
      this.d.feed.publishMessages([event]);
      this.reply(ws, withRef({ t: 'ack', cid: event.cid, room, id: event.id, seq: event.seq, at: event.at }, ref));
    } catch (err) {
      if (err instanceof MessageChangeRefused) {
        return this.reply(ws, errorFrame(err.reason === 'forbidden' ? 'forbidden' : 'not_found', err.message, { room, ref }));
      }
      this.d.log.warn({ err: (err as Error).message, room }, `${what} a message failed`);
      this.reply(ws, errorFrame('unavailable', 'the message store is unavailable; nothing was changed, try again', { room, ref }));
    }
  }

  /** Stores how far the user has read and tells their other sockets; answered (with the position) only when asked with a ref. */
  private async read(ws: Socket, room: string, seq: number, ref: string | number | undefined): Promise<void> {
    const st = ws.getUserData();
    const roomRef = st.rooms.get(room);
    if (!roomRef) return this.reply(ws, errorFrame('not_joined', `join ${room} before marking it read`, { room, ref }));
    const known = st.readUpTo.get(room) ?? -1;
    if (seq <= known) {
      if (ref !== undefined) this.reply(ws, { t: 'read', room, seq: known, ref });
      return;
    }
    st.readUpTo.set(room, seq);
    try {
      const stored = await this.d.reads.markRead(st.user.id, roomRef, seq);
      this.d.lists.toUser(st.user.id, { t: 'read', room, seq: stored });
      if (ref !== undefined) this.reply(ws, { t: 'read', room, seq: stored, ref });
    } catch (err) {
      if (st.readUpTo.get(room) === seq) st.readUpTo.set(room, known);
      this.d.log.warn({ err: (err as Error).message, room }, 'storing a read position failed');
      this.reply(ws, errorFrame('unavailable', 'the read position could not be stored; try again', { room, ref }));
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
