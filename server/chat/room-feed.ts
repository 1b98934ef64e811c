/**
 * What goes out to a room: messages after their commit, and presence diffs. Each frame is
 * packed once and handed to the broker as one buffer.
 *
 * It also remembers the last seq published per room and, while someone is joining, the
 * messages published meanwhile. A join reads its backlog from PostgreSQL asynchronously and
 * subscribes later, in one tick with its presence snapshot; with these two it can build a
 * `joined` that meets the stream exactly: nothing published before the subscription is
 * missing from it, and nothing in it arrives again as a `msg`.
 */
import type { Broker } from '../broker/broker.js';
import { roomTopic } from '../broker/broker.js';
import { encodeFrame } from '../protocol/codec.js';
import type { ChatMessage, Member } from '../protocol/frames.js';

export interface JoinWindow {
  /** Messages published since the window opened with seq > after, ascending. */
  publishedAfter(after: number): ChatMessage[];
  close(): void;
}

export class RoomFeed {
  private published = new Map<string, number>();
  private windows = new Map<string, { open: number; messages: ChatMessage[] }>();

  constructor(private readonly broker: Broker) {}

  /** Publishes committed messages; the caller gives them in seq order within each room. */
  publishMessages(messages: readonly ChatMessage[]): void {
    for (const m of messages) {
      this.broker.publish(roomTopic(m.room), encodeFrame({ t: 'msg', ...m }));
      this.published.set(m.room, m.seq);
      this.windows.get(m.room)?.messages.push(m);
    }
  }

  publishPresence(room: string, joins: Member[], leaves: Member[]): void {
    if (joins.length === 0 && leaves.length === 0) return;
    this.broker.publish(roomTopic(room), encodeFrame({ t: 'presence', room, joins, leaves }));
  }

  /** The last seq this process published in the room, or undefined if none since start. */
  publishedSeq(room: string): number | undefined {
    return this.published.get(room);
  }

  openWindow(room: string): JoinWindow {
    let w = this.windows.get(room);
    if (!w) this.windows.set(room, (w = { open: 0, messages: [] }));
    w.open++;
    const start = w.messages.length;
    const win = w;
    let closed = false;
    return {
      publishedAfter: (after) => win.messages.slice(start).filter((m) => m.seq > after),
      close: () => {
        if (closed) return;
        closed = true;
        if (--win.open === 0) this.windows.delete(room);
      },
    };
  }
}
