/** Rooms and direct-room membership in PostgreSQL. */
import type { MikroORM } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Room, RoomMember, User } from './entities.js';

export interface RoomView {
  name: string;
  kind: 'public' | 'direct';
  topic: string | null;
  lastSeq: number;
  lastAt: number | null;
  with?: { id: number; name: string };
}

export class RoomStore {
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

  async isMember(room: Room, userId: number): Promise<boolean> {
    if (room.kind === 'public') return true;
    const n = await this.orm.em.fork().count(RoomMember, { room: room.id, user: userId });
    return n > 0;
  }

  /** Public rooms and the caller's direct rooms, each direct room naming the other member. */
  async listFor(userId: number): Promise<RoomView[]> {
    const em = this.orm.em.fork();
    const publicRooms = await em.find(Room, { kind: 'public' }, { orderBy: { name: 'asc' } });
    const memberships = await em.find(RoomMember, { user: userId }, { populate: ['room'] });
    const directRooms = memberships.map((m) => m.room);
    const others = directRooms.length
      ? await em.find(RoomMember, { room: { $in: directRooms.map((r) => r.id) }, user: { $ne: userId } }, { populate: ['user'] })
      : [];
    const otherByRoom = new Map(others.map((o) => [o.room.id, o.user]));
    return [
      ...publicRooms.map((r) => RoomStore.view(r)),
      ...directRooms.map((r) => RoomStore.view(r, otherByRoom.get(r.id))),
    ];
  }
}
