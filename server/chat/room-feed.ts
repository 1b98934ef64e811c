/**
 * What goes out to a room's sockets on this node: committed messages in seq order, each once,
 * and typing notices and presence diffs as they come. Frames are packed once and published
 * to the room's uWS topic; messages and typing notices are also relayed to the other nodes
 * through the broker, once per event.
 *
 * A room is held while a socket of this node is in it or joining it; only then does the node
 * subscribe to the room's broker channel and keep its delivery order (RoomSequence). Messages
 * from this node's writer and from other nodes meet there: one that arrives early waits for
 * the ones before it, and a gap that does not close by itself is filled from PostgreSQL.
 * In a cluster the feed also compares each held room with PostgreSQL's last seq every few
 * seconds and after the broker's link comes back, since the broker drops what it cannot
 * deliver: every socket ends up with every message, in order, once.
 *
 * A join window records the messages delivered while a join reads its backlog, so that the
 * `joined` it builds meets the live stream exactly (see room-join.ts).
 */
import type { Logger } from 'pino';
import { roomChannel, type Broker } from '../broker/broker.js';
import { roomTopic, type RoomTopics } from '../broker/room-topics.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import type { ChatMessage } from '../protocol/frames.js';
import type { RoomRef } from '../store/room-store.js';
import type { Clock } from '../clock.js';
import { RoomSequence } from './room-sequence.js';

/** Reads committed messages back, for gaps: seq in (after, upTo], ascending, at most `limit`. */
export interface MessageSource {
  range(room: RoomRef, after: number, upTo: number, limit: number): Promise<ChatMessage[]>;
  /** Each room's last seq now. */
  lastSeqs(rooms: RoomRef[]): Promise<Map<number, number>>;
}

export interface JoinWindow {
  /** Messages delivered since the window opened with seq > after, ascending. */
  deliveredAfter(after: number): ChatMessage[];
  close(): void;
}

export interface RoomFeedOptions {
  topics: RoomTopics;
  broker: Broker;
  source: MessageSource;
  log: Logger;
  clock: Clock;
  /** How often held rooms are compared with PostgreSQL (cluster only; undefined: never). */
  reconcileEveryMs?: number;
}

interface Delivery {
  message: ChatMessage;
  bytes: Uint8Array;
}

interface HeldRoom {
  ref: RoomRef;
  /** Sockets of this node in the room or joining it. */
  holders: number;
  sequence: RoomSequence<Delivery>;
  windows: Set<ChatMessage[]>;
  subscribed: Promise<void>;
  filling: boolean;
  fillTimer: NodeJS.Timeout | undefined;
}

/** How long an early message waits for the ones before it before they are read from PostgreSQL. */
const GAP_WAIT_MS = 25;
/** Messages read per query when filling a gap. */
const FILL_PAGE = 500;

export class RoomFeed {
  private rooms = new Map<string, HeldRoom>();
  private stopReconcile: (() => void) | undefined;
  private reconciling = false;

  constructor(private readonly d: RoomFeedOptions) {
    if (d.reconcileEveryMs !== undefined) {
      this.stopReconcile = d.clock.every(d.reconcileEveryMs, () => this.reconcile());
      d.broker.onReconnect(() => this.reconcile());
    }
  }

  /** Publishes messages this node committed: relayed to the other nodes, delivered here in seq order. */
  publishMessages(messages: readonly ChatMessage[]): void {
    for (const m of messages) {
      const bytes = encodeFrame({ t: 'msg', ...m });
      this.d.broker.publish(roomChannel(m.room), bytes);
      this.arrive(m.room, { message: m, bytes });
    }
  }

  /** Relays a typing notice to the other nodes (the typist's node publishes it to its own sockets). */
  relayTyping(room: string, bytes: Uint8Array): void {
    this.d.broker.publish(roomChannel(room), bytes);
  }

  /** Publishes a packed presence frame to this node's sockets in the room (every node computes its own). */
  publishLocal(room: string, bytes: Uint8Array): void {
    this.d.topics.publish(roomTopic(room), bytes);
  }

  /**
   * A socket of this node starts joining the room: the room is held (and subscribed on the
   * broker) until release(). Resolves once other nodes' events for it flow.
   */
  hold(ref: RoomRef): Promise<void> {
    let held = this.rooms.get(ref.name);
    if (!held) {
      const room = ref.name;
      held = { ref, holders: 0, sequence: new RoomSequence(), windows: new Set(), subscribed: Promise.resolve(), filling: false, fillTimer: undefined };
      held.subscribed = this.d.broker.subscribe(roomChannel(room), (frame) => this.remote(room, frame));
      this.rooms.set(room, held);
    }
    held.holders++;
    return held.subscribed;
  }

  release(room: string): void {
    const held = this.rooms.get(room);
    if (!held || --held.holders > 0) return;
    if (held.fillTimer) clearTimeout(held.fillTimer);
    this.rooms.delete(room);
    this.d.broker.unsubscribe(roomChannel(room));
  }

  /** The last seq delivered to the room's sockets here, or undefined before the first join set it. */
  deliveredSeq(room: string): number | undefined {
    return this.rooms.get(room)?.sequence.delivered;
  }

  /**
   * The first join of a held room read the room up to `seq`: delivery starts after it.
   * Messages that arrived meanwhile with a later seq go out now, to the sockets subscribed.
   */
  startAt(room: string, seq: number): void {
    const held = this.rooms.get(room);
    if (!held || held.sequence.delivered !== undefined) return;
    for (const d of held.sequence.start(seq)) this.deliver(room, held, d);
    this.checkGap(room, held);
  }

  openWindow(room: string): JoinWindow {
    const held = this.rooms.get(room);
    const seen: ChatMessage[] = [];
    held?.windows.add(seen);
    return {
      deliveredAfter: (after) => seen.filter((m) => m.seq > after),
      close: () => held?.windows.delete(seen),
    };
  }

  close(): void {
    this.stopReconcile?.();
    for (const held of this.rooms.values()) if (held.fillTimer) clearTimeout(held.fillTimer);
  }

  private remote(room: string, frame: Uint8Array): void {
    let value: unknown;
    try {
      value = decodeFrame(frame);
    } catch {
      this.d.log.warn({ room }, 'broker: undecodable room event dropped');
      return;
    }
    const f = value as { t?: unknown; seq?: unknown; room?: unknown };
    if (f.room !== room) return;
    if (f.t === 'typing') return this.d.topics.publish(roomTopic(room), frame);
    if (f.t === 'msg' && typeof f.seq === 'number') {
      const { t: _t, ...message } = value as { t: 'msg' } & ChatMessage;
      this.arrive(room, { message, bytes: frame });
    }
  }

  private arrive(room: string, d: Delivery): void {
    const held = this.rooms.get(room);
    // Not held: no socket of this node is in the room, nobody here to tell.
    if (!held) return;
    for (const ready of held.sequence.offer(d.message.seq, d)) this.deliver(room, held, ready);
    this.checkGap(room, held);
  }

  private deliver(room: string, held: HeldRoom, d: Delivery): void {
    this.d.topics.publish(roomTopic(room), d.bytes);
    for (const w of held.windows) w.push(d.message);
  }

  private checkGap(room: string, held: HeldRoom): void {
    if (!held.sequence.gap() || held.fillTimer || held.filling) return;
    held.fillTimer = setTimeout(() => {
      held.fillTimer = undefined;
      void this.fill(room, held);
    }, GAP_WAIT_MS);
  }

  /** Reads the missing messages of a gap from PostgreSQL (seq > delivered, up to `upTo` or the held ones). */
  private async fill(room: string, held: HeldRoom, upTo?: number): Promise<void> {
    if (held.filling) return;
    held.filling = true;
    try {
      for (;;) {
        if (this.rooms.get(room) !== held) return;
        const gap = held.sequence.gap();
        const after = held.sequence.delivered;
        const until = gap?.upTo ?? upTo;
        if (after === undefined || until === undefined || until <= after) return;
        const rows = await this.d.source.range(held.ref, after, until, FILL_PAGE);
        if (this.rooms.get(room) !== held) return;
        for (const m of rows) this.arrive(room, { message: m, bytes: encodeFrame({ t: 'msg', ...m }) });
        if (rows.length === 0 || (held.sequence.delivered ?? 0) <= after) {
          // Nothing came back for a gap PostgreSQL should hold: try again on the next round.
          this.d.log.warn({ room, after, until }, 'room feed: gap not found in the store yet');
          return;
        }
      }
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message, room }, 'room feed: filling a gap failed; retrying');
      if (!held.fillTimer && this.rooms.get(room) === held) {
        held.fillTimer = setTimeout(() => {
          held.fillTimer = undefined;
          void this.fill(room, held, upTo);
        }, 500);
      }
    } finally {
      held.filling = false;
    }
  }

  /** Compares every held room with PostgreSQL's last seq and reads what this node has not delivered. */
  private async reconcile(): Promise<void> {
    if (this.reconciling) return;
    const started = [...this.rooms.entries()].filter(([, h]) => h.sequence.delivered !== undefined);
    if (started.length === 0) return;
    this.reconciling = true;
    try {
      const last = await this.d.source.lastSeqs(started.map(([, h]) => h.ref));
      for (const [room, held] of started) {
        const seq = last.get(held.ref.id);
        if (seq !== undefined && seq > (held.sequence.delivered ?? seq)) await this.fill(room, held, seq);
      }
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message }, 'room feed: reconciling with the store failed');
    } finally {
      this.reconciling = false;
    }
  }
}
