/** Room directory: create, list, look up. Online counts come from the presence view. */
import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from './api-error.js';
import { jsonBody, requireSession, type AppEnv } from './app.js';
import { parse } from './auth-routes.js';
import { RoomStore } from '../store/room-store.js';
import { ROOM_NAME } from '../protocol/names.js';

export interface Member {
  id: number;
  name: string;
}

/** What HTTP needs to know of who is online (filled in by the realtime gateway). */
export interface OnlineView {
  roomMembers(room: string): Member[];
}

export interface RoomDeps {
  rooms: RoomStore;
  online: OnlineView;
}

const NewRoom = z.object({
  name: z.string().regex(ROOM_NAME),
  topic: z.string().max(200).nullish(),
});

export function roomRoutes(deps: RoomDeps) {
  const r = new Hono<AppEnv>();

  r.post('/rooms', async (c) => {
    requireSession(c);
    const { name, topic } = parse(NewRoom, await jsonBody(c), 'room names match ^[a-z0-9][a-z0-9_-]{0,63}$, topics are at most 200 characters');
    const room = await deps.rooms.create(name, topic ?? null);
    if (!room) throw new ApiError('taken', `a room named ${name} exists`);
    return c.json({ room: { ...RoomStore.view(room), online: 0 } }, 201);
  });

  r.get('/rooms', async (c) => {
    const s = requireSession(c);
    const rooms = await deps.rooms.listFor(s.user.id);
    return c.json({ rooms: rooms.map((v) => ({ ...v, online: deps.online.roomMembers(v.name).length })) });
  });

  r.get('/rooms/:name', async (c) => {
    const s = requireSession(c);
    const name = c.req.param('name');
    if (!ROOM_NAME.test(name)) throw new ApiError('invalid', 'bad room name');
    const room = await deps.rooms.find(name);
    if (!room) throw new ApiError('not_found', `no room named ${name}`);
    if (!(await deps.rooms.isMember(room, s.user.id))) throw new ApiError('forbidden', 'not a member of this room');
    const members = deps.online.roomMembers(name);
    return c.json({ room: { ...RoomStore.view(room), online: members.length }, members });
  });

  return r;
}
