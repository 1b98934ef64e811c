/**
 * Reading message history. Writing goes through the group-commit writer only.
 *
 * The two reads are SQL run by MikroORM (em.execute), not a QueryBuilder or em.find: they
 * are on every join and every history page, and built by MikroORM they cost 1.3 to 2.6 times
 * the Node CPU (QueryBuilder), 3.7 to 6 times (em.find). Per call against 5,000 messages, two
 * runs within 10% of each other, wall-clock medians in the same ratio, as SQL / findOne +
 * QueryBuilder / em.find populating the user: newest 50 (a join) 1.8 / 4.2-4.5 / 6.6-7.0 ms;
 * 500 since a seq (a rejoin) 3.2 / 4.3-4.9 / 19-20 ms; a page of 100 1.0 / 2.6-2.8 / 5.4-5.5 ms.
 * em.find also drops the messages of a missing user (its join is inner). The SQL and the rows
 * are what they were.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ChatMessage } from '../protocol/frames.js';
import type { RoomRef } from './room-store.js';
import { pgTimeMs } from './pg-time.js';

interface Row {
  id: string | number;
  seq: number;
  user_id: number;
  user_name: string;
  body: string;
  cid: string;
  created_at: string | Date;
  kind: 'msg' | 'edit' | 'delete';
  target_seq: number | null;
  edited_at: string | Date | null;
  deleted_at: string | Date | null;
}

export interface Backlog {
  /** The room's last_seq when read; every returned message has seq <= this. */
  seq: number;
  messages: ChatMessage[];
  /** Older messages in the asked range were left out. */
  truncated: boolean;
}

// LEFT JOIN: messages carry no foreign key, so a user removed by hand must not punch a
// hole in a room's seq sequence.
const COLUMNS = `m.id, m.seq, m.user_id, coalesce(u.name, 'deleted') AS user_name, m.body, m.cid, m.created_at,
       m.kind, m.target_seq, m.edited_at, m.deleted_at
  FROM messages m LEFT JOIN users u ON u.id = m.user_id`;

export class MessageStore {
  constructor(private orm: MikroORM) {}

  /**
   * The newest `limit` messages with seq > since (all of them if since is undefined), read
   * against the room's last_seq taken first: READ COMMITTED may show rows committed after
   * that, so the range is capped at it to give a consistent cut.
   */
  async backlog(room: RoomRef, since: number | undefined, limit: number): Promise<Backlog> {
    const em = this.orm.em.fork();
    const head = await em.execute<Array<{ last_seq: number }>>('SELECT last_seq FROM rooms WHERE id = ?', [room.id]);
    const seq = head[0]?.last_seq ?? 0;
    const rows = await em.execute<Row[]>(
      `SELECT ${COLUMNS} WHERE m.room_id = ? AND m.seq <= ? AND m.seq > ? ORDER BY m.seq DESC LIMIT ?`,
      [room.id, seq, since ?? 0, limit + 1],
    );
    const truncated = since !== undefined && rows.length > limit;
    return { seq, messages: rows.slice(0, limit).reverse().map((r) => toMessage(room.name, r)), truncated };
  }

  /** Messages with seq in (after, upTo], ascending, at most `limit`: what a node fills a gap in its live stream with. */
  async range(room: RoomRef, after: number, upTo: number, limit: number): Promise<ChatMessage[]> {
    const rows = await this.orm.em.fork().execute<Row[]>(
      `SELECT ${COLUMNS} WHERE m.room_id = ? AND m.seq > ? AND m.seq <= ? ORDER BY m.seq LIMIT ?`,
      [room.id, after, upTo, limit],
    );
    return rows.map((r) => toMessage(room.name, r));
  }

  /** Each room's last seq (room id -> seq). */
  async lastSeqs(rooms: RoomRef[]): Promise<Map<number, number>> {
    if (rooms.length === 0) return new Map();
    const rows = await this.orm.em
      .fork()
      .execute<Array<{ id: number; last_seq: number }>>(`SELECT id, last_seq FROM rooms WHERE id IN (${rooms.map(() => '?').join(',')})`, rooms.map((r) => r.id));
    return new Map(rows.map((r) => [Number(r.id), Number(r.last_seq)]));
  }

  /** A page of history before a seq (or the newest), ascending, and whether older ones exist. */
  async page(room: RoomRef, before: number | undefined, limit: number): Promise<{ messages: ChatMessage[]; more: boolean }> {
    const rows = await this.orm.em.fork().execute<Row[]>(
      `SELECT ${COLUMNS} WHERE m.room_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
      [room.id, before ?? 2 ** 31 - 1, limit + 1],
    );
    return { messages: rows.slice(0, limit).reverse().map((r) => toMessage(room.name, r)), more: rows.length > limit };
  }
}

/** A stored row as the wire carries it: events name their target, messages say if they changed. */
export function toMessage(room: string, r: Row): ChatMessage {
  const m: ChatMessage = { room, id: Number(r.id), seq: r.seq, at: pgTimeMs(r.created_at), user: { id: r.user_id, name: r.user_name }, body: r.body, cid: r.cid };
  if (r.kind !== 'msg') {
    m.kind = r.kind;
    m.target = r.target_seq!;
  } else {
    if (r.edited_at !== null) m.edited = pgTimeMs(r.edited_at);
    if (r.deleted_at !== null) m.deleted = true;
  }
  return m;
}

export type { Row as MessageRow };
export { COLUMNS as MESSAGE_COLUMNS };
