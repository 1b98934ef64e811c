/**
 * Unread state as the sidebar and the tab title show it: per room, how many messages by
 * others came after the reader's read position, and how many of them mention the reader.
 * Pure and browser-safe.
 *
 * The counts the room list loaded over HTTP are exact as of that load (`base`). After it,
 * the socket reports what happened (`live`): the seqs of new messages in public rooms,
 * direct messages and mentions one by one, and the reader's read
 * position moving (in this tab or another). A room's count is the base count plus what
 * came after the base's last seq and after the read position; reading up to the latest
 * seq known clears it. A reload of the list replaces the base, and live reports older than
 * it stop counting by themselves (their seq is not after the base's).
 *
 * The reports do not say who wrote a public room's message; the reader's own never count
 * because sending one moves their read position to it (Connection marks it read on `ack`),
 * which every tab hears.
 */

export interface RoomReadingBase {
  name: string;
  kind: 'public' | 'direct';
  member: boolean;
  readSeq: number;
  lastSeq: number;
  unread: number;
  mentions: number;
}

export interface LiveReport {
  seq: number;
  /** Messages the report stands for. */
  count: number;
  mention: boolean;
}

export interface RoomLive {
  readSeq: number;
  reports: LiveReport[];
}

export type LiveUnread = ReadonlyMap<string, RoomLive>;

export const noLiveUnread: LiveUnread = new Map();

/** Reports kept per room; older ones no longer matter once the list reloads. */
const REPORTS_MAX = 200;

function withRoom(live: LiveUnread, room: string, fn: (r: RoomLive) => RoomLive): LiveUnread {
  const next = new Map(live);
  next.set(room, fn(live.get(room) ?? { readSeq: 0, reports: [] }));
  return next;
}

/** Messages came in a room (activity batch, direct message or mention). */
export function reported(live: LiveUnread, room: string, report: LiveReport): LiveUnread {
  return withRoom(live, room, (r) => {
    // One message can be reported twice (a direct message that mentions the reader, or a
    // mention beside its room's activity batch): the mention marks the report already there.
    const same = r.reports.findIndex((x) => x.seq === report.seq && x.count === 1 && report.count === 1);
    if (same >= 0) {
      const reports = r.reports.slice();
      reports[same] = { ...reports[same]!, mention: reports[same]!.mention || report.mention };
      return { ...r, reports };
    }
    return { ...r, reports: [...r.reports, report].slice(-REPORTS_MAX) };
  });
}

/** The reader's read position moved (never backwards). */
export function readUpTo(live: LiveUnread, room: string, seq: number): LiveUnread {
  const held = live.get(room);
  if (held && held.readSeq >= seq) return live;
  return withRoom(live, room, (r) => ({ ...r, readSeq: seq }));
}

export interface Counts {
  unread: number;
  mentions: number;
  readSeq: number;
}

/** A room's counts now: its base from the list with the live reports laid over. */
export function countsOf(base: RoomReadingBase | undefined, live: RoomLive | undefined): Counts {
  const baseRead = base?.readSeq ?? 0;
  const baseLast = base?.lastSeq ?? 0;
  const readSeq = Math.max(baseRead, live?.readSeq ?? 0);
  const after = (live?.reports ?? []).filter((r) => r.seq > baseLast && r.seq > readSeq);
  const latest = Math.max(baseLast, ...(live?.reports ?? []).map((r) => r.seq));
  if (readSeq >= latest) return { unread: 0, mentions: 0, readSeq };
  // Read further than the base knew: what the base counted may be read; count only reports.
  const fromBase = readSeq > baseRead ? { unread: 0, mentions: 0 } : { unread: base?.unread ?? 0, mentions: base?.mentions ?? 0 };
  const direct = base?.kind === 'direct';
  const unread = fromBase.unread + after.reduce((n, r) => n + r.count, 0);
  // Every direct message is addressed to the reader: it counts as a mention does.
  const mentions = direct ? unread : fromBase.mentions + after.filter((r) => r.mention).length;
  return { unread, mentions, readSeq };
}

/** What the tab title shows: unread messages over the rooms the reader belongs to. */
export function totalUnread(rooms: readonly RoomReadingBase[], live: LiveUnread): number {
  let total = 0;
  for (const r of rooms) if (r.member) total += countsOf(r, live.get(r.name)).unread;
  return total;
}

/** "3", or "99+" past the server's counting limit. */
export function countLabel(n: number): string {
  return n > 99 ? '99+' : String(n);
}

/** The tab title with the unread total in front: "(3) #general · Parley". */
export function titleWithUnread(title: string, total: number): string {
  return total > 0 ? `(${countLabel(total)}) ${title}` : title;
}
