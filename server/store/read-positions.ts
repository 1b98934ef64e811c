/**
 * How far each person has read each room. A position only moves forward, and never past the
 * room's last seq: a late or repeated `read` from an older tab cannot make a room unread again.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { RoomRef } from './room-store.js';

export class ReadPositions {
  constructor(private readonly orm: MikroORM) {}

  /** Moves the user's position in the room to seq (if later); returns where it now stands. */
  async markRead(userId: number, room: RoomRef, seq: number): Promise<number> {
    const rows = await this.orm.em.fork().execute<Array<{ seq: number }>>(
      `INSERT INTO read_positions (user_id, room_id, seq)
       SELECT ?, r.id, LEAST(?, r.last_seq) FROM rooms r WHERE r.id = ?
       ON CONFLICT (user_id, room_id) DO UPDATE SET seq = GREATEST(read_positions.seq, EXCLUDED.seq)
       RETURNING seq`,
      [userId, seq, room.id],
    );
    return Number(rows[0]?.seq ?? 0);
  }

  /** The user's position in one room (0 when they have read nothing there). */
  async of(userId: number, room: RoomRef): Promise<number> {
    const rows = await this.orm.em.fork().execute<Array<{ seq: number }>>('SELECT seq FROM read_positions WHERE user_id = ? AND room_id = ?', [userId, room.id]);
    return Number(rows[0]?.seq ?? 0);
  }
}
