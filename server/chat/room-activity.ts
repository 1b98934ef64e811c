/**
 * Tells people about messages in rooms they are not looking at, so their sidebars can show
 * unread rooms and counts without joining every room:
 *
 * - public rooms: every watcher hears, per room, the seqs of the new messages (edit and
 *   delete events left out), gathered for ACTIVITY_FLUSH_MS into one `lists` frame
 *   (`activity`), so a client counts exactly those after its read position;
 * - direct rooms: the other person hears each message as an `activity` frame on their own
 *   topic (with the author and a short preview, for a desktop notification);
 * - a mention (`@name` in a public room) goes the same way to the person named.
 *
 * Only the node that committed a message reports it, and the frames are relayed to the other
 * nodes' topics (LiveLists.publish), so each watcher hears each message once.
 */
import type { Logger } from 'pino';
import type { ChatMessage, Member, ServerFrame } from '../protocol/frames.js';
import { DIRECT_PREFIX } from '../store/room-store.js';

export const ACTIVITY_FLUSH_MS = 250;
const PREVIEW_CHARS = 140;
/** Seqs reported per room and flush at most. */
const SEQS_PER_FLUSH_MAX = 100;
/** At most this many people are notified by one message's mentions. */
const MENTIONS_MAX = 20;

/** `@name` as a word of its own (not inside an e-mail address), as the client highlights it. */
const MENTION = /(?:^|[^a-z0-9_@])@([a-z0-9_]{3,32})(?![a-z0-9_])/gi;

export function mentionedNames(body: string): string[] {
  const names = new Set<string>();
  for (const m of body.matchAll(MENTION)) names.add(m[1]!.toLowerCase());
  return [...names].slice(0, MENTIONS_MAX);
}

/** The two members of a direct room, from its name (dm-<id>-<id>). */
export function directMembers(room: string): [number, number] | undefined {
  const m = /^dm-(\d+)-(\d+)$/.exec(room);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function preview(body: string): string {
  const chars = [...body.replace(/\s+/g, ' ').trim()];
  return chars.length > PREVIEW_CHARS ? `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…` : chars.join('');
}

export interface ActivityDeps {
  /** Frames to one user's sockets, and to every watcher, on every node. */
  lists: { toUser(userId: number, frame: ServerFrame): void; toWatchers(frame: ServerFrame): void };
  users: { byNames(names: string[]): Promise<Member[]> };
  log: Logger;
  flushMs?: number;
}

export class RoomActivity {
  private pending = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: ActivityDeps) {}

  /** Messages this node committed (events included: they move seq but are not new messages). */
  committed(messages: readonly ChatMessage[]): void {
    for (const m of messages) {
      if (m.room.startsWith(DIRECT_PREFIX)) {
        if (m.kind === undefined) this.direct(m);
        continue;
      }
      if (m.kind !== undefined) continue;
      const seqs = this.pending.get(m.room) ?? [];
      // A room past the cap in one flush keeps its latest seqs: the newest are what a reader lacks.
      if (seqs.length >= SEQS_PER_FLUSH_MAX) seqs.shift();
      seqs.push(m.seq);
      this.pending.set(m.room, seqs);
      if (m.body.includes('@')) void this.mentions(m);
    }
    if (this.pending.size && !this.timer) {
      this.timer = setTimeout(() => this.flush(), this.d.flushMs ?? ACTIVITY_FLUSH_MS);
      this.timer.unref?.();
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const activity: Record<string, number[]> = Object.fromEntries(this.pending);
    this.pending.clear();
    this.d.lists.toWatchers({ t: 'lists', rooms: {}, activity });
  }

  private direct(m: ChatMessage): void {
    const members = directMembers(m.room);
    if (!members) return;
    for (const id of members) {
      if (id !== m.user.id) this.d.lists.toUser(id, { t: 'activity', room: m.room, seq: m.seq, by: m.user, preview: preview(m.body), mention: false });
    }
  }

  private async mentions(m: ChatMessage): Promise<void> {
    const names = mentionedNames(m.body).filter((n) => n !== m.user.name);
    if (names.length === 0) return;
    try {
      for (const user of await this.d.users.byNames(names)) {
        this.d.lists.toUser(user.id, { t: 'activity', room: m.room, seq: m.seq, by: m.user, preview: preview(m.body), mention: true });
      }
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message, room: m.room }, 'looking up mentioned users failed; no mention notices for this message');
    }
  }
}
