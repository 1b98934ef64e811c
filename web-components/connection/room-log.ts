/**
 * One room as a client holds it: messages deduplicated by id and ordered by seq, the
 * members online (snapshot plus presence diffs), who is typing, and this tab's sends that
 * are not acknowledged yet. Pure data and functions, no I/O, so it is tested on its own.
 */
import type { ChatMessage, Member } from '../../server/protocol/frames.js';
import { applyPresenceDiff } from '../../server/protocol/presence-sync.js';

export type PendingState = 'sending' | 'queued' | 'failed';

/** A message this tab sent that has no `ack` yet. It keeps its cid across reconnects. */
export interface PendingMessage {
  cid: string;
  room: string;
  body: string;
  state: PendingState;
  /** Why it failed or is waiting, for the UI. */
  reason?: string;
  createdAt: number;
}

export interface RoomLog {
  room: string;
  /** Ascending by seq, no two with the same id. */
  messages: ChatMessage[];
  /** Highest seq held with nothing missing below it since the first message held. */
  lastSeq: number;
  /** True when older messages exist than the first one held (load them over HTTP). */
  hasOlder: boolean;
  members: Member[];
  typing: Array<{ user: Member; until: number }>;
  pending: PendingMessage[];
  joined: boolean;
  /**
   * The last error the server gave for joining this room, e.g. forbidden or not_found;
   * `retryAt` (epoch ms) when the join was refused for now (rate_limited) and is retried then.
   */
  error?: { code: string; message: string; retryAt?: number };
}

export function emptyLog(room: string): RoomLog {
  return { room, messages: [], lastSeq: 0, hasOlder: false, members: [], typing: [], pending: [], joined: false };
}

/** An edit or delete event rather than a message: it holds a seq but is not shown. */
export function isEvent(m: ChatMessage): boolean {
  return m.kind !== undefined;
}

/** The messages to show: events left out (their effect is already on their targets). */
export function visibleMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.filter((m) => m.kind === undefined);
}

/**
 * Merges messages in, dropping ids already held, keeping seq order. Edit and delete events
 * merged in for the first time are applied, in seq order, to their target when it is held;
 * a target read later from history already shows its latest state.
 */
export function mergeMessages(held: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  if (incoming.length === 0) return held as ChatMessage[];
  const ids = new Set(held.map((m) => m.id));
  const fresh = incoming.filter((m) => !ids.has(m.id) && (ids.add(m.id), true));
  if (fresh.length === 0) return held as ChatMessage[];
  const merged = [...held, ...fresh].sort((a, b) => a.seq - b.seq);
  const events = fresh.filter(isEvent).sort((a, b) => a.seq - b.seq);
  if (events.length === 0) return merged;
  const bySeq = new Map(merged.map((m, i) => [m.seq, i]));
  for (const e of events) {
    const i = bySeq.get(e.target!);
    const target = i === undefined ? undefined : merged[i];
    if (!target || isEvent(target) || target.deleted) continue;
    merged[i!] = e.kind === 'delete' ? { ...target, body: '', deleted: true } : { ...target, body: e.body, edited: e.at };
  }
  return merged;
}

/** The highest seq up to which the log has no holes (what `since` should be on a rejoin). */
export function contiguousSeq(messages: readonly ChatMessage[], from: number): number {
  let seq = from;
  for (const m of messages) {
    if (m.seq <= seq) continue;
    if (m.seq !== seq + 1) break;
    seq = m.seq;
  }
  return seq;
}

/** A `joined` answer: the snapshot of members and the messages the server says we lacked. */
export function applyJoined(log: RoomLog, joined: { seq: number; members: Member[]; messages: ChatMessage[]; truncated: boolean }): RoomLog {
  // A truncated answer leaves a hole before its first message: start over from it, and let
  // the older history come in pages over HTTP.
  const base = joined.truncated ? [] : log.messages;
  const messages = mergeMessages(base, joined.messages);
  const first = messages[0];
  const from = joined.truncated || log.messages.length === 0 ? (first ? first.seq - 1 : joined.seq) : log.lastSeq;
  return {
    ...log,
    joined: true,
    error: undefined,
    members: joined.members,
    messages,
    lastSeq: Math.max(contiguousSeq(messages, from), joined.messages.length === 0 ? joined.seq : 0),
    hasOlder: joined.truncated || log.hasOlder || (log.messages.length === 0 && first !== undefined && first.seq > 1),
  };
}

/** A live `msg`. Returns the log and whether it left a hole (then rejoin with `since`). */
export function applyMessage(log: RoomLog, m: ChatMessage): { log: RoomLog; gap: boolean } {
  const messages = mergeMessages(log.messages, [m]);
  const lastSeq = contiguousSeq(messages, log.lastSeq);
  const typing = log.typing.filter((t) => t.user.id !== m.user.id);
  return { log: { ...log, messages, lastSeq, typing }, gap: m.seq > lastSeq };
}

/**
 * Older messages from the HTTP history, prepended. A page that no longer reaches the oldest
 * message held (a truncated rejoin moved the window while it loaded) is dropped rather than
 * leaving a hole, and a page from inside the window does not change `hasOlder`.
 */
export function applyOlder(log: RoomLog, older: ChatMessage[], more: boolean): RoomLog {
  const first = log.messages[0];
  const last = older[older.length - 1];
  if (first && last && last.seq < first.seq - 1) return log;
  const messages = mergeMessages(log.messages, older);
  const hasOlder = first && older[0] && older[0].seq >= first.seq ? log.hasOlder : more;
  return { ...log, messages, hasOlder, lastSeq: contiguousSeq(messages, log.lastSeq) };
}

export function applyPresence(log: RoomLog, diff: { joins: Member[]; leaves: Member[] }): RoomLog {
  const leaving = new Set(diff.leaves.map((m) => m.id));
  return {
    ...log,
    members: applyPresenceDiff(log.members, diff),
    typing: log.typing.filter((t) => !leaving.has(t.user.id)),
  };
}

/** Someone is typing: shown for `forMs` unless they send or type again. */
export function applyTyping(log: RoomLog, user: Member, now: number, forMs = 4000): RoomLog {
  return { ...log, typing: [...log.typing.filter((t) => t.user.id !== user.id), { user, until: now + forMs }] };
}

export function activeTypists(log: RoomLog, now: number): Member[] {
  return log.typing.filter((t) => t.until > now).map((t) => t.user);
}
