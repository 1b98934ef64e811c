/**
 * The sidebar's live lists as the server pushes them after `watch`: who is online (online
 * counts of public rooms, ids of online users) and the rooms and users created since. The
 * Connection holds one LiveLists and replaces it frame by frame; the sidebar lays it over
 * the room and people lists it loaded over HTTP (`liveRooms`, `liveContacts`). Pure and
 * browser-safe.
 *
 * Usage:
 *   let lists = watchSent(noLiveLists);        // on each socket open, with the `watch` frame
 *   lists = applyLists(lists, listsFrame);     // `lists`: the snapshot, then diffs
 *   lists = applyDirectory(lists, dirFrame);   // `directory`: new rooms and users
 *   const shown = liveRooms(pagesFromHttp, lists);
 *
 * Special considerations:
 *   - A diff that arrives before the snapshot answering the latest `watch` is dropped, not
 *     held back as Phoenix holds its diffs: a diff carries absolute values (a room's count,
 *     who is online), not increments, and the snapshot is computed after it, so the snapshot
 *     already says everything the diff would.
 *   - A later snapshot (after a reconnection) replaces the online state whole. Until it
 *     comes, the last state known stays on screen.
 *   - Rooms and users announced by `directory` are kept for the whole connection's life:
 *     they stay true (nothing is ever deleted), and HTTP lists loaded before they were
 *     announced lack them. Listed ones win over announced ones (they are newer).
 *   - Only public rooms have online counts in the snapshot; a direct room keeps the count
 *     the HTTP list gave it.
 */
import type { Contact, RoomSummary } from '../api/parley-api.js';
import type { RoomPages } from '../api/room-pages.js';
import type { Member, RoomListing, ServerFrame } from '../../server/protocol/frames.js';

export type ListsFrame = Extract<ServerFrame, { t: 'lists' }>;
export type DirectoryFrame = Extract<ServerFrame, { t: 'directory' }>;
export type MembershipFrame = Extract<ServerFrame, { t: 'membership' }>;

export interface LiveLists {
  /** How many `watch` frames were sent: one per socket opened. */
  watches: number;
  /** The snapshot answering the latest `watch` arrived: diffs apply from now on. */
  synced: boolean;
  /**
   * Who is online, from the last snapshot and the diffs since; undefined before any
   * snapshot (the HTTP lists' own `online` fields are shown until then).
   */
  online: { rooms: ReadonlyMap<string, number>; users: ReadonlySet<number> } | undefined;
  /** Rooms announced by `directory`, by name. */
  rooms: ReadonlyMap<string, RoomListing>;
  /** Users announced by `directory`, by id. */
  users: ReadonlyMap<number, Member>;
  /** Rooms the reader joined (true) or left (false) since the lists loaded, with their listing. */
  memberships: ReadonlyMap<string, { room: RoomListing; member: boolean }>;
}

export const noLiveLists: LiveLists = { watches: 0, synced: false, online: undefined, rooms: new Map(), users: new Map(), memberships: new Map() };

/** The reader joined or left a room (in this tab or another). */
export function applyMembership(lists: LiveLists, f: MembershipFrame): LiveLists {
  const memberships = new Map(lists.memberships);
  memberships.set(f.room.name, { room: f.room, member: f.member });
  return { ...lists, memberships };
}

/** A `watch` went out on a new socket: diffs wait for its snapshot. */
export function watchSent(lists: LiveLists): LiveLists {
  return { ...lists, watches: lists.watches + 1, synced: false };
}

export function applyLists(lists: LiveLists, f: ListsFrame): LiveLists {
  if (f.full) {
    const rooms = new Map<string, number>();
    for (const [name, n] of Object.entries(f.rooms ?? {})) if (n > 0) rooms.set(name, n);
    return { ...lists, synced: true, online: { rooms, users: new Set(f.users ?? []) } };
  }
  if (!lists.synced || !lists.online) return lists;
  const rooms = new Map(lists.online.rooms);
  for (const [name, n] of Object.entries(f.rooms ?? {})) {
    if (n > 0) rooms.set(name, n);
    else rooms.delete(name);
  }
  const users = new Set(lists.online.users);
  for (const id of f.on ?? []) users.add(id);
  for (const id of f.off ?? []) users.delete(id);
  return { ...lists, online: { rooms, users } };
}

/** Adds the rooms and users a `directory` frame announces; one announced twice is merged. */
export function applyDirectory(lists: LiveLists, f: DirectoryFrame): LiveLists {
  let { rooms, users } = lists;
  if (f.rooms?.length) {
    const next = new Map(rooms);
    for (const r of f.rooms) {
      const held = next.get(r.name);
      next.set(r.name, held ? mergeListing(held, r) : r);
    }
    rooms = next;
  }
  if (f.users?.length) {
    const next = new Map(users);
    for (const u of f.users) next.set(u.id, u);
    users = next;
  }
  return rooms === lists.rooms && users === lists.users ? lists : { ...lists, rooms, users };
}

/**
 * Two listings of one room: the one further on (higher lastSeq; the one held on a tie)
 * wins, and a topic or other member either knows is kept. Racing creations (a join and a
 * POST) may announce a room twice, only one of them with its topic.
 */
function mergeListing(held: RoomListing, added: RoomListing): RoomListing {
  const [newer, older] = added.lastSeq > held.lastSeq ? [added, held] : [held, added];
  const other = newer.with ?? older.with;
  return { ...newer, topic: newer.topic ?? older.topic, ...(other ? { with: other } : {}) };
}

/**
 * The room pages loaded over HTTP, with the rooms announced since added and the online
 * counts of the live lists. An announced room joins only if the pages held cover its name
 * (`next` is the last name held, or null when all are): past it, it belongs to a page not
 * opened yet, and the list stays in name order with only more pages adding to its end.
 */
export function liveRooms(pages: RoomPages, lists: LiveLists): RoomPages {
  const held = new Set(pages.rooms.map((r) => r.name));
  const fresh: RoomSummary[] = [];
  for (const r of lists.rooms.values()) {
    if (held.has(r.name) || (pages.next !== null && r.name > pages.next)) continue;
    held.add(r.name);
    fresh.push({ ...r, online: 0, member: lists.memberships.get(r.name)?.member ?? r.kind === 'direct', readSeq: 0, unread: 0, mentions: 0 });
  }
  // A room the reader just joined belongs in their list wherever its name falls.
  for (const { room, member } of lists.memberships.values()) {
    if (member && !held.has(room.name)) fresh.push({ ...room, online: 0, member: true, readSeq: 0, unread: 0, mentions: 0 });
  }
  let rooms = fresh.length ? [...pages.rooms, ...fresh].sort(byName) : pages.rooms;
  if (lists.rooms.size) {
    // A room announced again (its topic changed) at or after the listing's seq is newer news.
    rooms = changed(rooms, (r) => {
      const a = lists.rooms.get(r.name);
      return a && a.lastSeq >= r.lastSeq && a.topic !== r.topic ? { ...r, topic: a.topic } : r;
    });
  }
  if (lists.memberships.size) {
    rooms = changed(rooms, (r) => {
      const m = lists.memberships.get(r.name);
      return m && m.member !== r.member ? { ...r, member: m.member } : r;
    });
  }
  const online = lists.online;
  if (online) {
    rooms = changed(rooms, (r) => {
      if (r.kind !== 'public') return r;
      const n = online.rooms.get(r.name) ?? 0;
      return n === r.online ? r : { ...r, online: n };
    });
  }
  return rooms === pages.rooms ? pages : { ...pages, rooms };
}

/** The people loaded over HTTP, with the users announced since added and the live online flags. */
export function liveContacts(contacts: Contact[], lists: LiveLists): Contact[] {
  const held = new Set(contacts.map((c) => c.id));
  const fresh: Contact[] = [];
  for (const u of lists.users.values()) if (!held.has(u.id)) fresh.push({ id: u.id, name: u.name, online: false });
  let people = fresh.length ? [...contacts, ...fresh].sort(byName) : contacts;
  const users = lists.online?.users;
  if (users) {
    people = changed(people, (c) => {
      const on = users.has(c.id);
      return on === c.online ? c : { ...c, online: on };
    });
  }
  return people;
}

/** `xs` mapped, or `xs` itself when `f` changes none: the sidebar then need not redraw. */
function changed<T>(xs: T[], f: (x: T) => T): T[] {
  let out: T[] | undefined;
  for (let i = 0; i < xs.length; i++) {
    const y = f(xs[i]!);
    if (y !== xs[i]) (out ??= xs.slice())[i] = y;
  }
  return out ?? xs;
}

/** Name order in UTF-16 code units, which is byte order for the ASCII names Parley allows: the server's order. */
function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The latest `watch` that lists loaded over HTTP from now on miss nothing of: its snapshot
 * has come, so the server announces every room and user made after the load begins.
 * Before that, something made while no socket watched may be in neither.
 */
export function watchCovered(lists: LiveLists): number {
  return lists.synced ? lists.watches : lists.watches - 1;
}

/** The HTTP lists, loaded when `covered` was the watch covered, need loading again: a later watch is answered. */
export function reloadDue(lists: LiveLists, covered: number): boolean {
  return lists.synced && lists.watches > covered;
}
