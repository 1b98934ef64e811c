/**
 * Editing and deleting one's own messages. Each change is stored twice in one transaction:
 * on the message itself (new body and edited_at, or an emptied body and deleted_at), so that
 * history reads show the message as it is now; and as an event row with the next seq of the
 * room (kind `edit` or `delete`, target_seq naming the message), so that a client catching up
 * with `since` replays the change in order and never keeps stale text.
 *
 * The room row is locked first, as the group commit does, so the event's seq is the room's
 * next one and two changes to one message are applied one after the other. Deleting also
 * empties the text of the message's earlier edit events and drops it from the search index:
 * deleted words stay deleted. An edit re-indexes the message.
 */
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ChatMessage, Member } from '../protocol/frames.js';
import type { RoomRef } from './room-store.js';

export type ChangeRefusal = 'not_found' | 'forbidden' | 'deleted';

export class MessageChangeRefused extends Error {
  constructor(
    readonly reason: ChangeRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface MessageChange {
  room: RoomRef;
  user: Member;
  /** The seq of the message to change. */
  target: number;
  /** The new text; undefined deletes the message. */
  body?: string;
}

export class MessageEdits {
  constructor(private readonly orm: MikroORM) {}

  /** Stores the change and returns its event, ready to publish; throws MessageChangeRefused. */
  async apply(change: MessageChange): Promise<ChatMessage> {
    const { room, user, target } = change;
    const kind = change.body === undefined ? 'delete' : 'edit';
    const body = change.body ?? '';
    const at = new Date();
    // Server-made: the sender's own cids stay theirs, and an event is never a retried send.
    const cid = `${kind}-${randomUUID()}`;
    const event = await this.orm.em.fork().transactional(async (em) => {
      const locked = await em.execute<Array<{ last_seq: number }>>('SELECT last_seq FROM rooms WHERE id = ? FOR UPDATE', [room.id]);
      if (!locked[0]) throw new MessageChangeRefused('not_found', `no room named ${room.name}`);
      const found = await em.execute<Array<{ id: string; user_id: number; deleted_at: Date | null }>>(
        `SELECT id, user_id, deleted_at FROM messages WHERE room_id = ? AND seq = ? AND kind = 'msg'`,
        [room.id, target],
      );
      const row = found[0];
      if (!row) throw new MessageChangeRefused('not_found', `there is no message ${target} in ${room.name}`);
      if (row.user_id !== user.id) throw new MessageChangeRefused('forbidden', 'only its author may change a message');
      if (row.deleted_at !== null) throw new MessageChangeRefused('deleted', 'that message was deleted');
      const seq = Number(locked[0].last_seq) + 1;
      await em.execute('UPDATE rooms SET last_seq = ?, last_at = ? WHERE id = ?', [seq, at, room.id]);
      if (kind === 'edit') {
        await em.execute('UPDATE messages SET body = ?, edited_at = ? WHERE id = ?', [body, at, row.id]);
        // Not indexed yet: the indexer reads the new text when it comes to it.
        await em.execute(`UPDATE message_search SET tsv = to_tsvector('simple', ?) WHERE message_id = ?`, [body, row.id]);
      } else {
        await em.execute('DELETE FROM message_search WHERE message_id = ?', [row.id]);
        await em.execute(
          `UPDATE messages SET body = '', deleted_at = ? WHERE id = ?`,
          [at, row.id],
        );
        await em.execute(`UPDATE messages SET body = '' WHERE room_id = ? AND target_seq = ? AND kind = 'edit'`, [room.id, target]);
      }
      const inserted = await em.execute<Array<{ id: string }>>(
        `INSERT INTO messages (room_id, seq, user_id, body, cid, created_at, kind, target_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [room.id, seq, user.id, body, cid, at, kind, target],
      );
      return { id: Number(inserted[0]!.id), seq };
    });
    return { room: room.name, id: event.id, seq: event.seq, at: at.getTime(), user, body, cid, kind, target };
  }
}
