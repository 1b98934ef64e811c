/** The contact list (every user, with online flags) and opening direct rooms. */
import { Hono } from 'hono';
import type { DirectoryEvents } from '../../chat/live-lists.js';
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import type { AppEnv } from '../context.js';
import { signedIn } from '../middleware/session.js';
import { validJson, validQuery } from '../middleware/validate.js';
import { allowRoomCreation } from '../room-access.js';
import { Username } from './schemas.js';
import type { OnlineView } from './room-routes.js';
import { directRoomName, type RoomStore } from '../../store/room-store.js';
import type { AbuseGuards } from '../../limits/abuse-guards.js';
import type { UserStore } from '../../store/user-store.js';

export interface UserDeps {
  users: UserStore;
  rooms: RoomStore;
  online: OnlineView;
  guards: AbuseGuards;
  directory: DirectoryEvents;
}

const USERS_MAX = 1000;
const UsersQuery = z.object({ q: z.string().max(32).optional() });
const NewDirect = z.object({ user: Username });

export function userRoutes(deps: UserDeps) {
  const r = new Hono<AppEnv>();
  r.use('/users', signedIn);
  r.use('/dms', signedIn);

  r.get('/users', validQuery(UsersQuery, 'q is a name prefix of at most 32 characters'), async (c) => {
    const { q } = c.req.valid('query');
    const prefix = q?.toLowerCase().replace(/[^a-z0-9_]/g, '');
    const rows = await deps.users.list({ prefix, limit: USERS_MAX });
    return c.json({ users: rows.map((u) => ({ id: u.id, name: u.name, online: deps.online.isOnline(u.id) })) });
  });

  r.post('/dms', validJson(NewDirect, 'user is a username'), async (c) => {
    const me = c.var.me;
    const { user: name } = c.req.valid('json');
    const other = await deps.users.byName(name);
    if (!other) throw new ApiError('not_found', `no user named ${name}`);
    if (other.id === me.user.id) throw new ApiError('invalid', 'a direct room needs another user');
    // Opening a direct room that does not exist yet creates one: it counts as a new room.
    if (!(await deps.rooms.ref(directRoomName(me.user.id, other.id)))) allowRoomCreation(deps.guards, me.user.id);
    const { ref, created } = await deps.rooms.openDirect(me.user, { id: other.id, name: other.name });
    const view = await deps.rooms.view(ref, me.user.id);
    if (created && view) {
      const { with: _with, ...listing } = view;
      deps.directory.directRoomAdded(listing, me.user, { id: other.id, name: other.name });
    }
    return c.json({ room: { ...view, online: deps.online.count(ref.name) } }, created ? 201 : 200);
  });

  return r;
}
