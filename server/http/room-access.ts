/** Which rooms a caller may use and create over HTTP: the checks the room, message and user routes share. */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './api-error.js';
import type { AppEnv } from './context.js';
import { canAccess, type RoomRef, type RoomStore } from '../store/room-store.js';
import { ROOM_NAME } from '../protocol/names.js';
import type { AbuseGuards } from '../limits/abuse-guards.js';

/** Resolves a room by name for a caller: 400 bad name, 404 missing, 403 someone else's direct room. */
export async function accessibleRoom(rooms: RoomStore, name: string, userId: number): Promise<RoomRef> {
  if (!ROOM_NAME.test(name)) throw new ApiError('invalid', 'room names match ^[a-z0-9][a-z0-9_-]{0,63}$');
  const ref = await rooms.ref(name);
  if (!ref) throw new ApiError('not_found', `no room named ${name}`);
  if (!canAccess(ref, userId)) throw new ApiError('forbidden', `${name} is a direct room of two other people`);
  return ref;
}

/** Room creation is limited per user (LIMIT_ROOM_CREATE); throws `rate_limited` past it. */
export function allowRoomCreation(guards: AbuseGuards, userId: number): void {
  const wait = guards.roomCreate.attempt(String(userId), guards.now());
  if (wait > 0) throw new ApiError('rate_limited', `too many new rooms; retry in ${Math.ceil(wait / 1000)} s`, wait);
}

/** Middleware for routes under /rooms/:name, behind signedIn: the room, checked, as `c.var.room`. */
export function roomParam(rooms: RoomStore): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('room', await accessibleRoom(rooms, c.req.param('name') ?? '', c.var.me.user.id));
    await next();
  };
}
