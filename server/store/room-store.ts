/**
 * Rooms and direct-room membership in PostgreSQL, with an in-process cache of room
 * identities: a room's id, name, kind and (for direct rooms) its two members never change,
 * so the realtime path resolves and authorizes a room without a query after the first time.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Room, RoomMember, User } from './entities.js';
import { pgTimeMs } from './pg-time.js';
import { UNREAD_COUNT_MAX, type Member, type RoomListing, type RoomReading } from '../protocol/frames.js';

/** A room as the API lists it: the contract's listing (also what `directory` frames carry). */
export type RoomView = RoomListing;

/** What the realtime path needs of a room. */
export interface RoomRef {
  id: number;
  name: string;
  kind: 'public' | 'direct';
  /** The two members of a direct room. */
  members?: readonly [number, number];
}

/** Direct rooms are named `dm-<lower id>-<higher id>`; public names may not use the prefix. */
export const DIRECT_PREFIX = 'dm-';

export function directRoomName(a: number, b: number): string {
  return `${DIRECT_PREFIX}${Math.min(a, b)}-${Math.max(a, b)}`;
}

export function canAccess(room: RoomRef, userId: number): boolean {
  return room.kind === 'public' || (room.members?.includes(userId) ?? false);
}

const CACHE_MAX = 100_000;

interface ListedRoom {
  name: string;
  kind: 'public' | 'direct';
  topic: string | null;
  last_seq: number;
  last_at: string | Date | null;
  with_id: number | null;
  with_name: string | null;
  member: boolean;
  read_seq: number;
  unread: number;
  mentions: number;
}

/** A room as GET /api/rooms lists it to one person. */
export type ListedView = RoomView & RoomReading;

/**
 * `@name` as a word of its own, for PostgreSQL's case-insensitive `~*`: not inside an e-mail
 * address or a longer name. Names are [a-z0-9_], so the name needs no escaping.
 */
export function mentionPattern(name: string): string {
  return `(^|[^a-z0-9_@])@${name}([^a-z0-9_]|$)`;
}

export class RoomStore {
  private refs = new Map<string, RoomRef>();

  constructor(private orm: MikroORM) {}

  static view(room: Room, other?: User): RoomView {
    const v: RoomView = {
      name: room.name,
      kind: room.kind,
      topic: room.topic ?? null,
      lastSeq: room.lastSeq,
      lastAt: room.lastAt ? room.lastAt.getTime() : null,
    };
    if (other) v.with = { id: other.id, name: other.name };
    return v;
  }

  /** Creates a public room; returns undefined when the name is taken. */
  async create(name: string, topic: string | null): Promise<Room | undefined> {
    const em = this.orm.em.fork();
    const room = em.create(Room, { name, kind: 'public', topic, lastSeq: 0, createdAt: new Date() });
    try {
      await em.flush();
      return room;
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) return undefined;
      throw err;
    }
  }

  find(name: string): Promise<Room | null> {
    return this.orm.em.fork().findOne(Room, { name });
  }

  /** The room's identity, from the cache when known; null when there is no such room. */
  async ref(name: string): Promise<RoomRef | null> {
    const hit = this.refs.get(name);
    if (hit) return hit;
    const em = this.orm.em.fork();
    const room = await em.findOne(Room, { name });
    if (!room) return null;
    let members: [number, number] | undefined;
    if (room.kind === 'direct') {
      const rows = await em.find(RoomMember, { room: room.id }, { orderBy: { user: 'asc' } });
      const ids = rows.map((r) => r.user.id);
      members = [ids[0]!, ids[1] ?? ids[0]!];
    }
    return this.remember({ id: room.id, name: room.name, kind: room.kind, members });
  }

  /**
   * The public room of that name, created if missing; null for a missing name in the direct
   * namespace. Joins racing to create the same room all get the one row (the upsert keeps
   * the first and reads it back).
   */
  async refOrCreatePublic(name: string): Promise<RoomRef | null> {
    const known = await this.ref(name);
    if (known || name.startsWith(DIRECT_PREFIX)) return known;
    const room = await this.orm.em
      .fork()
      .upsert(Room, { name, kind: 'public', lastSeq: 0, createdAt: new Date() }, { onConflictFields: ['name'], onConflictAction: 'ignore' });
    // Outside the direct namespace every room is public: no members to read.
    return this.remember({ id: room.id, name: room.name, kind: room.kind });
  }

  /** The direct room of two users, created on first use, with its members in the same transaction. */
  async openDirect(a: Member, b: Member): Promise<{ ref: RoomRef; created: boolean }> {
    const name = directRoomName(a.id, b.id);
    const known = await this.ref(name);
    if (known) return { ref: known, created: false };
    const created = await this.orm.em.fork().transactional(async (em) => {
      // insert … on conflict do nothing: whoever loses the race inserts no row and no members.
      const inserted = await em
        .createQueryBuilder(Room)
        .insert({ name, kind: 'direct', lastSeq: 0, createdAt: new Date() })
        .onConflict('name')
        .ignore()
        .execute('run');
      if (inserted.affectedRows === 0) return false;
      const members = [...new Set([a.id, b.id])].map((user) => ({ room: inserted.insertId as number, user }));
      await em.insertMany(RoomMember, members);
      return true;
    });
    const ref = await this.ref(name);
    if (!ref) throw new Error(`direct room ${name} vanished after creation`);
    return { ref, created };
  }

  /** Full view of one room for the API; `viewer` decides the `with` of a direct room. */
  async view(ref: RoomRef, viewerId: number): Promise<RoomView | null> {
    const em = this.orm.em.fork();
    const room = await em.findOne(Room, { id: ref.id });
    if (!room) return null;
    const otherId = ref.members?.find((id) => id !== viewerId);
    const other = otherId !== undefined ? await em.findOne(User, { id: otherId }) : null;
    return RoomStore.view(room, other ?? undefined);
  }

  /**
   * One page of the rooms a user can see (public rooms and their own direct rooms, each
   * direct room naming the other member), by name after `after`, in byte order so that the
   * cursor means the same on any database collation. `next` is the cursor of the next page.
   * `joined` keeps only the rooms the user is a member of (the sidebar's list).
   *
   * Each room says how much of it the user has read. Unread messages (by others, after the
   * read position) are counted in the rooms the user belongs to, newest first and at most
   * UNREAD_COUNT_MAX of them, so a long-abandoned room costs no more than a busy one.
   */
  async listFor(user: Member, page: { after?: string; limit: number; joined?: boolean; only?: string }): Promise<{ rooms: ListedView[]; next: string | null }> {
    // SQL rather than a QueryBuilder: joins of room_members with their own conditions, the
    // lateral count and the COLLATE "C" order read plainer as written than as raw() fragments.
    const rows = await this.orm.em.fork().execute<ListedRoom[]>(
      `SELECT r.name, r.kind, r.topic, r.last_seq, r.last_at, o.id AS with_id, o.name AS with_name,
              mine.user_id IS NOT NULL AS member, coalesce(rp.seq, 0) AS read_seq,
              coalesce(c.unread, 0) AS unread, coalesce(c.mentions, 0) AS mentions
         FROM rooms r
         LEFT JOIN room_members mine ON mine.room_id = r.id AND mine.user_id = ?
         LEFT JOIN room_members other ON other.room_id = r.id AND other.user_id <> ? AND r.kind = 'direct'
         LEFT JOIN users o ON o.id = other.user_id
         LEFT JOIN read_positions rp ON rp.room_id = r.id AND rp.user_id = ?
         LEFT JOIN LATERAL (
           SELECT count(*)::int AS unread, (count(*) FILTER (WHERE x.body ~* ?))::int AS mentions
             FROM (SELECT body FROM messages
                    WHERE room_id = r.id AND seq > coalesce(rp.seq, 0) AND kind = 'msg' AND deleted_at IS NULL AND user_id <> ?
                    ORDER BY seq DESC LIMIT ${UNREAD_COUNT_MAX}) x
         ) c ON mine.user_id IS NOT NULL AND r.last_seq > coalesce(rp.seq, 0)
        WHERE (r.kind = 'public' OR mine.user_id IS NOT NULL) AND r.name COLLATE "C" > ?
          ${page.joined ? 'AND mine.user_id IS NOT NULL' : ''} ${page.only !== undefined ? 'AND r.name = ?' : ''}
        ORDER BY r.name COLLATE "C"
        LIMIT ?`,
      [user.id, user.id, user.id, mentionPattern(user.name), user.id, page.after ?? '', ...(page.only !== undefined ? [page.only] : []), page.limit + 1],
    );
    const more = rows.length > page.limit;
    const rooms = rows.slice(0, page.limit).map((row) => {
      const v: ListedView = {
        name: row.name,
        kind: row.kind,
        topic: row.topic,
        lastSeq: row.last_seq,
        lastAt: row.last_at === null ? null : pgTimeMs(row.last_at),
        member: row.member,
        readSeq: Number(row.read_seq),
        unread: Number(row.unread),
        mentions: Number(row.mentions),
      };
      if (row.with_id !== null) v.with = { id: row.with_id, name: row.with_name! };
      return v;
    });
    return { rooms, next: more ? rooms[rooms.length - 1]!.name : null };
  }

  /** One room as listFor lists it to this user, or null when they cannot see it. */
  async listedFor(user: Member, name: string): Promise<ListedView | null> {
    const { rooms } = await this.listFor(user, { limit: 1, only: name });
    return rooms[0] ?? null;
  }

  /** Makes the user a member of a public room; true when they were not one before. */
  async addMember(room: RoomRef, userId: number): Promise<boolean> {
    const rows = await this.orm.em
      .fork()
      .execute<Array<{ user_id: number }>>('INSERT INTO room_members (room_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING user_id', [room.id, userId]);
    return rows.length > 0;
  }

  /** Ends the user's membership of a public room (a direct room's two members stay); true when they were one. */
  async removeMember(room: RoomRef, userId: number): Promise<boolean> {
    if (room.kind !== 'public') return false;
    const rows = await this.orm.em
      .fork()
      .execute<Array<{ user_id: number }>>('DELETE FROM room_members WHERE room_id = ? AND user_id = ? RETURNING user_id', [room.id, userId]);
    return rows.length > 0;
  }

  /** Sets a public room's topic (null clears it); the room as now stored, or null if it is gone. */
  async setTopic(room: RoomRef, topic: string | null): Promise<Room | null> {
    const em = this.orm.em.fork();
    const found = await em.findOne(Room, { id: room.id });
    if (!found) return null;
    found.topic = topic;
    await em.flush();
    return found;
  }

  private remember(ref: RoomRef): RoomRef {
    if (this.refs.size >= CACHE_MAX) this.refs.clear();
    this.refs.set(ref.name, ref);
    return ref;
  }
}
