/** The contact list (every user, with online flags) and opening direct rooms. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApiError } from './api-error.js';
import { jsonBody, requireSession, type AppEnv } from './app.js';
import { Username, parse } from './auth-routes.js';
import { allowRoomCreation, type OnlineView } from './room-routes.js';
import { RoomStore, directRoomName } from '../store/room-store.js';
import type { AbuseGuards } from '../limits/abuse-guards.js';
import { User } from '../store/entities.js';

export interface UserDeps {
  orm: MikroORM;
  rooms: RoomStore;
  online: OnlineView;
  guards: AbuseGuards;
}

const USERS_MAX = 1000;
const UsersQuery = z.object({ q: z.string().max(32).optional() });
const NewDirect = z.object({ user: Username });

export function userRoutes(deps: UserDeps) {
  const r = new Hono<AppEnv>();

  r.get('/users', async (c) => {
    requireSession(c);
    const { q } = parse(UsersQuery, c.req.query(), 'q is a name prefix of at most 32 characters');
    const prefix = q?.toLowerCase().replace(/[^a-z0-9_]/g, '');
    const where = prefix ? { name: { $like: `${prefix.replace(/_/g, '\\_')}%` } } : {};
    const rows = await deps.orm.em.fork().find(User, where, { orderBy: { name: 'asc' }, limit: USERS_MAX, fields: ['id', 'name'] });
    return c.json({ users: rows.map((u) => ({ id: u.id, name: u.name, online: deps.online.isOnline(u.id) })) });
  });

  r.post('/dms', async (c) => {
    const s = requireSession(c);
    const { user: name } = parse(NewDirect, await jsonBody(c), 'user is a username');
    const other = await deps.orm.em.fork().findOne(User, { name });
    if (!other) throw new ApiError('not_found', `no user named ${name}`);
    if (other.id === s.user.id) throw new ApiError('invalid', 'a direct room needs another user');
    // Opening a direct room that does not exist yet creates one: it counts as a new room.
    if (!(await deps.rooms.ref(directRoomName(s.user.id, other.id)))) allowRoomCreation(deps.guards, s.user.id);
    const { ref, created } = await deps.rooms.openDirect(s.user, { id: other.id, name: other.name });
    const view = await deps.rooms.view(ref, s.user.id);
    return c.json({ room: { ...view, online: deps.online.roomMembers(ref.name).length } }, created ? 201 : 200);
  });

  return r;
}
