/** Room directory: create, list in pages, look up, with online counts from presence. */
import { Hono } from 'hono';
import type { DirectoryEvents } from '../../chat/live-lists.js';
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import type { AppEnv } from '../context.js';
import { signedIn } from '../middleware/session.js';
import { validJson, validQuery } from '../middleware/validate.js';
import { allowRoomCreation, roomParam } from '../room-access.js';
import { DIRECT_PREFIX, RoomStore } from '../../store/room-store.js';
import { ROOM_NAME } from '../../protocol/names.js';
import { STORABLE_TEXT } from '../../protocol/client-frames.js';
import type { Member } from '../../protocol/frames.js';
import type { AbuseGuards } from '../../limits/abuse-guards.js';

/** What HTTP needs to know of who is online: the presence service's answers, cluster-wide. */
export interface OnlineView {
  members(room: string): Member[];
  count(room: string): number;
  isOnline(userId: number): boolean;
}

export interface RoomDeps {
  rooms: RoomStore;
  online: OnlineView;
  guards: AbuseGuards;
  /** Told of each new room, for the live lists. */
  directory: DirectoryEvents;
}

/** Rooms per page of GET /api/rooms: the default, and the most a caller may ask for. */
export const ROOMS_PAGE = 100;
export const ROOMS_PAGE_MAX = 500;

const RoomsQuery = z.object({
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(ROOMS_PAGE_MAX).default(ROOMS_PAGE),
});

const NewRoom = z.object({
  name: z
    .string()
    .regex(ROOM_NAME)
    .refine((n) => !n.startsWith(DIRECT_PREFIX)),
  topic: z.string().max(200).refine(...STORABLE_TEXT).nullish(),
});

export function roomRoutes(deps: RoomDeps) {
  const r = new Hono<AppEnv>();
  r.use('/rooms', signedIn);

  r.post(
    '/rooms',
    validJson(NewRoom, `room names match ^[a-z0-9][a-z0-9_-]{0,63}$ and do not start with ${DIRECT_PREFIX}; topics are at most 200 characters`),
    async (c) => {
      const { name, topic } = c.req.valid('json');
      allowRoomCreation(deps.guards, c.var.me.user.id);
      const room = await deps.rooms.create(name, topic ?? null);
      if (!room) throw new ApiError('taken', `a room named ${name} exists`);
      deps.directory.roomAdded(RoomStore.view(room));
      return c.json({ room: { ...RoomStore.view(room), online: 0 } }, 201);
    },
  );

  r.get('/rooms', validQuery(RoomsQuery, `after is a room name (the last one of the page before), limit is 1..${ROOMS_PAGE_MAX}`), async (c) => {
    const { rooms, next } = await deps.rooms.listFor(c.var.me.user.id, c.req.valid('query'));
    return c.json({ rooms: rooms.map((v) => ({ ...v, online: deps.online.count(v.name) })), next });
  });

  r.get('/rooms/:name', signedIn, roomParam(deps.rooms), async (c) => {
    const { me, room: ref } = c.var;
    const view = await deps.rooms.view(ref, me.user.id);
    if (!view) throw new ApiError('not_found', `no room named ${ref.name}`);
    const members = deps.online.members(ref.name);
    return c.json({ room: { ...view, online: members.length }, members });
  });

  return r;
}
