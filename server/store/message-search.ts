/**
 * Full-text search over the messages a person may read: every public room and their own
 * direct rooms. PostgreSQL's text search with the 'simple' configuration (any language, no
 * stemming) over message_search, kept by the search indexer (search-index.ts) a moment
 * after each commit; each word of the query matches as a word prefix, so "deploy" finds
 * "deployed". Deleted messages and edit events are never found, and an edited message is
 * found by its current text only.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Member } from '../protocol/frames.js';
import { pgTimeMs } from './pg-time.js';

export interface SearchHit {
  room: { name: string; kind: 'public' | 'direct'; with?: Member };
  message: { id: number; seq: number; at: number; user: Member; body: string; edited?: number };
  /** The messages just before and after it in its room, for context. */
  before: { user: Member; body: string } | null;
  after: { user: Member; body: string } | null;
}

/** The words of a query as a tsquery of prefixes, or null when it has none. Only letters, digits and _ pass. */
export function prefixQuery(q: string): string | null {
  const words = q.toLowerCase().match(/[\p{L}\p{N}_]+/gu)?.slice(0, 8) ?? [];
  return words.length ? words.map((w) => `${w}:*`).join(' & ') : null;
}

interface HitRow {
  id: string;
  seq: number;
  created_at: string | Date;
  edited_at: string | Date | null;
  user_id: number;
  user_name: string;
  body: string;
  room_name: string;
  room_kind: 'public' | 'direct';
  with_id: number | null;
  with_name: string | null;
  before_user_id: number | null;
  before_user_name: string | null;
  before_body: string | null;
  after_user_id: number | null;
  after_user_name: string | null;
  after_body: string | null;
}

const NEIGHBOUR = (dir: '<' | '>', order: 'DESC' | 'ASC') => `LEFT JOIN LATERAL (
    SELECT n.user_id, coalesce(nu.name, 'deleted') AS user_name, n.body FROM messages n LEFT JOIN users nu ON nu.id = n.user_id
     WHERE n.room_id = m.room_id AND n.seq ${dir} m.seq AND n.kind = 'msg' AND n.deleted_at IS NULL
     ORDER BY n.seq ${order} LIMIT 1) AS ${dir === '<' ? 'b' : 'a'} ON true`;

export class MessageSearch {
  constructor(private readonly orm: MikroORM) {}

  /** Newest first; `beforeId` pages on (the id of the last hit of the page before). */
  async search(viewer: Member, q: string, opts: { room?: string; limit: number; beforeId?: number }): Promise<SearchHit[]> {
    const query = prefixQuery(q);
    if (!query) return [];
    const params: unknown[] = [viewer.id, viewer.id, query];
    let where = '';
    if (opts.room !== undefined) {
      where += ' AND r.name = ?';
      params.push(opts.room);
    }
    if (opts.beforeId !== undefined) {
      where += ' AND s.message_id < ?';
      params.push(opts.beforeId);
    }
    params.push(opts.limit);
    const rows = await this.orm.em.fork().execute<HitRow[]>(
      `SELECT m.id, m.seq, m.created_at, m.edited_at, m.user_id, coalesce(u.name, 'deleted') AS user_name, m.body,
              r.name AS room_name, r.kind AS room_kind, o.id AS with_id, o.name AS with_name,
              b.user_id AS before_user_id, b.user_name AS before_user_name, b.body AS before_body,
              a.user_id AS after_user_id, a.user_name AS after_user_name, a.body AS after_body
         FROM message_search s
         JOIN messages m ON m.id = s.message_id
         JOIN rooms r ON r.id = m.room_id
         LEFT JOIN users u ON u.id = m.user_id
         LEFT JOIN room_members mine ON mine.room_id = r.id AND mine.user_id = ? AND r.kind = 'direct'
         LEFT JOIN room_members other ON other.room_id = r.id AND other.user_id <> ? AND r.kind = 'direct'
         LEFT JOIN users o ON o.id = other.user_id
         ${NEIGHBOUR('<', 'DESC')}
         ${NEIGHBOUR('>', 'ASC')}
        WHERE m.kind = 'msg' AND m.deleted_at IS NULL
          AND s.tsv @@ to_tsquery('simple'::regconfig, ?)
          AND (r.kind = 'public' OR mine.user_id IS NOT NULL) ${where}
        ORDER BY s.message_id DESC
        LIMIT ?`,
      params,
    );
    return rows.map((r) => {
      const hit: SearchHit = {
        room: { name: r.room_name, kind: r.room_kind },
        message: { id: Number(r.id), seq: r.seq, at: pgTimeMs(r.created_at), user: { id: r.user_id, name: r.user_name }, body: r.body },
        before: r.before_body === null ? null : { user: { id: r.before_user_id!, name: r.before_user_name! }, body: r.before_body },
        after: r.after_body === null ? null : { user: { id: r.after_user_id!, name: r.after_user_name! }, body: r.after_body },
      };
      if (r.edited_at !== null) hit.message.edited = pgTimeMs(r.edited_at);
      if (r.with_id !== null) hit.room.with = { id: r.with_id, name: r.with_name! };
      return hit;
    });
  }
}
