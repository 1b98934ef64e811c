/** Room directory: create, list, look up, with online counts from presence. */
import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from './api-error.js';
import { jsonBody, requireSession, type AppEnv } from './app.js';
import { parse } from './auth-routes.js';
import { DIRECT_PREFIX, RoomStore, canAccess, type RoomRef } from '../store/room-store.js';
import { ROOM_NAME } from '../protocol/names.js';
import { NO_NUL } from '../protocol/client-frames.js';
import type { Member } from '../protocol/frames.js';
import type { AbuseGuards } from '../limits/abuse-guards.js';

/** What HTTP needs to know of who is online (filled in by the realtime gateway). */
export interface OnlineView {
  roomMembers(room: string): Member[];
  isOnline(userId: number): boolean;
}

export interface RoomDeps {
  rooms: RoomStore;
  online: OnlineView;
  guards: AbuseGuards;
}

/** Rooms per page of GET /api/rooms: the default, and the most a caller may ask for. */
export const ROOMS_PAGE = 100;
export const ROOMS_PAGE_MAX = 500;

const RoomsQuery = z.object({
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(ROOMS_PAGE_MAX).default(ROOMS_PAGE),
});

/** Room creation is limited per user (LIMIT_ROOM_CREATE); throws `rate_limited` past it. */
export function allowRoomCreation(guards: AbuseGuards, userId: number): void {
  const wait = guards.roomCreate.attempt(String(userId), guards.now());
  if (wait > 0) throw new ApiError('rate_limited', `too many new rooms; retry in ${Math.ceil(wait / 1000)} s`, wait);
}

const NewRoom = z.object({
  name: z
    .string()
    .regex(ROOM_NAME)
    .refine((n) => !n.startsWith(DIRECT_PREFIX)),
  topic: z.string().max(200).refine(...NO_NUL).nullish(),
});

/** Resolves a room by name for a caller: 400 bad name, 404 missing, 403 someone else's direct room. */
export async function accessibleRoom(rooms: RoomStore, name: string, userId: number): Promise<RoomRef> {
  if (!ROOM_NAME.test(name)) throw new ApiError('invalid', 'room names match ^[a-z0-9][a-z0-9_-]{0,63}$');
  const ref = await rooms.ref(name);
  if (!ref) throw new ApiError('not_found', `no room named ${name}`);
  if (!canAccess(ref, userId)) throw new ApiError('forbidden', `${name} is a direct room of two other people`);
  return ref;
}

export function roomRoutes(deps: RoomDeps) {
  const r = new Hono<AppEnv>();

  r.post('/rooms', async (c) => {
    const s = requireSession(c);
    const { name, topic } = parse(
      NewRoom,
      await jsonBody(c),
      `room names match ^[a-z0-9][a-z0-9_-]{0,63}$ and do not start with ${DIRECT_PREFIX}; topics are at most 200 characters`,
    );
    allowRoomCreation(deps.guards, s.user.id);
    const room = await deps.rooms.create(name, topic ?? null);
    if (!room) throw new ApiError('taken', `a room named ${name} exists`);
    return c.json({ room: { ...RoomStore.view(room), online: 0 } }, 201);
  });

  r.get('/rooms', async (c) => {
    const s = requireSession(c);
    const page = parse(RoomsQuery, c.req.query(), `after is a room name (the last one of the page before), limit is 1..${ROOMS_PAGE_MAX}`);
    const { rooms, next } = await deps.rooms.listFor(s.user.id, page);
    return c.json({ rooms: rooms.map((v) => ({ ...v, online: deps.online.roomMembers(v.name).length })), next });
  });

  r.get('/rooms/:name', async (c) => {
    const s = requireSession(c);
    const ref = await accessibleRoom(deps.rooms, c.req.param('name'), s.user.id);
    const view = await deps.rooms.view(ref, s.user.id);
    if (!view) throw new ApiError('not_found', `no room named ${ref.name}`);
    const members = deps.online.roomMembers(ref.name);
    return c.json({ room: { ...view, online: members.length }, members });
  });

  return r;
}
