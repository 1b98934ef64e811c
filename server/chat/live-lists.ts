/**
 * The sidebar's lists, pushed: online counts of public rooms, who is online, and new rooms
 * and users, to every socket that sent `watch`. Replaces polling GET /api/rooms and
 * GET /api/users, and agrees with the members panel because both come from the presence
 * service.
 *
 * Presence changes are gathered for LISTS_FLUSH_MS and go out as one `lists` frame, packed
 * once, to the lists topic: a room whose members come and go in a burst costs one frame per
 * flush, not one per change. Every node computes its own from its cluster-wide presence, so
 * nothing of this crosses the broker; new rooms and users do (they are not presence).
 */
import { DIRECTORY_CHANNEL, type Broker } from '../broker/broker.js';
import { LISTS_TOPIC, userTopic, type RoomTopics } from '../broker/room-topics.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import type { Member, RoomListing, ServerFrame } from '../protocol/frames.js';
import type { Presence, PresenceChanges } from '../presence/presence.js';
import { DIRECT_PREFIX } from '../store/room-store.js';

/** What creates rooms and users tells the lists. */
export interface DirectoryEvents {
  roomAdded(room: RoomListing): void;
  /** A direct room opened between two users: each sees it listed with the other. */
  directRoomAdded(room: RoomListing, a: Member, b: Member): void;
  userAdded(user: Member): void;
  /** A room's listing changed (its topic): everyone watching gets it again. */
  roomChanged(room: RoomListing): void;
  /** The user joined or left a room: their own sockets hear it. */
  membership(userId: number, room: RoomListing, member: boolean): void;
}

export const LISTS_FLUSH_MS = 250;

/** What a socket needs to watch: subscriptions to the lists topic and its user's topic. */
interface Watcher {
  subscribe(topic: string): boolean;
}

export class LiveLists implements DirectoryEvents {
  private rooms = new Set<string>();
  private users = new Set<number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly d: {
      presence: Presence;
      topics: RoomTopics;
      broker: Broker;
      flushMs?: number;
    },
  ) {
    d.presence.onChange((c) => this.changed(c));
  }

  /** Subscribes the broker channel that carries other nodes' new rooms and users. */
  async start(): Promise<void> {
    await this.d.broker.subscribe(DIRECTORY_CHANNEL, (frame) => this.relayed(frame));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The socket asked for live lists: it gets the whole picture now, changes after. */
  watch(ws: Watcher, userId: number): Extract<ServerFrame, { t: 'lists' }> {
    ws.subscribe(LISTS_TOPIC);
    ws.subscribe(userTopic(userId));
    const rooms: Record<string, number> = {};
    for (const [room, n] of this.d.presence.counts()) if (!room.startsWith(DIRECT_PREFIX)) rooms[room] = n;
    return { t: 'lists', full: true, rooms, users: this.d.presence.onlineUsers() };
  }

  roomAdded(room: RoomListing): void {
    this.publish(LISTS_TOPIC, encodeFrame({ t: 'directory', rooms: [room] }));
  }

  directRoomAdded(room: RoomListing, a: Member, b: Member): void {
    this.publish(userTopic(a.id), encodeFrame({ t: 'directory', rooms: [{ ...room, with: b }] }));
    if (a.id !== b.id) this.publish(userTopic(b.id), encodeFrame({ t: 'directory', rooms: [{ ...room, with: a }] }));
  }

  userAdded(user: Member): void {
    this.publish(LISTS_TOPIC, encodeFrame({ t: 'directory', users: [user] }));
  }

  roomChanged(room: RoomListing): void {
    this.roomAdded(room);
  }

  membership(userId: number, room: RoomListing, member: boolean): void {
    this.toUser(userId, { t: 'membership', room, member });
  }

  /** A frame for every watching socket, on every node. */
  toWatchers(frame: ServerFrame): void {
    this.publish(LISTS_TOPIC, encodeFrame(frame));
  }

  /** A frame for one user's sockets, on every node (those that sent `watch`). */
  toUser(userId: number, frame: ServerFrame): void {
    this.publish(userTopic(userId), encodeFrame(frame));
  }

  /** Here and on every other node: the frame goes to the topic on each. */
  private publish(topic: string, frame: Uint8Array): void {
    this.d.topics.publish(topic, frame);
    this.d.broker.publish(DIRECTORY_CHANNEL, encodeFrame({ to: topic, f: frame }));
  }

  private relayed(frame: Uint8Array): void {
    let value: { to?: unknown; f?: unknown };
    try {
      value = decodeFrame(frame) as typeof value;
    } catch {
      return;
    }
    if (typeof value.to === 'string' && value.f instanceof Uint8Array) this.d.topics.publish(value.to, value.f);
  }

  private changed(c: PresenceChanges): void {
    for (const d of c.rooms) if (!d.room.startsWith(DIRECT_PREFIX)) this.rooms.add(d.room);
    for (const m of c.online) this.users.add(m.id);
    for (const m of c.offline) this.users.add(m.id);
    if (!this.timer && (this.rooms.size || this.users.size)) {
      this.timer = setTimeout(() => this.flush(), this.d.flushMs ?? LISTS_FLUSH_MS);
      this.timer.unref?.();
    }
  }

  private flush(): void {
    this.timer = undefined;
    const rooms: Record<string, number> = {};
    for (const room of this.rooms) rooms[room] = this.d.presence.count(room);
    const on: number[] = [];
    const off: number[] = [];
    for (const id of this.users) (this.d.presence.isOnline(id) ? on : off).push(id);
    this.rooms.clear();
    this.users.clear();
    this.d.topics.publish(LISTS_TOPIC, encodeFrame({ t: 'lists', rooms, on, off }));
  }
}
