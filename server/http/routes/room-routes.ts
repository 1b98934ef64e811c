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
  /** `joined=1`: only the rooms the caller is a member of (the sidebar), direct rooms included. */
  joined: z.enum(['0', '1', 'true', 'false']).optional(),
});

const TOPIC_MAX = 200;
const topic = z.string().max(TOPIC_MAX).refine(...STORABLE_TEXT);

const TopicChange = z.object({ topic: topic.nullable() });

const NewRoom = z.object({
  name: z
    .string()
    .regex(ROOM_NAME)
    .refine((n) => !n.startsWith(DIRECT_PREFIX)),
  topic: topic.nullish(),
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
      const listing = RoomStore.view(room);
      deps.directory.roomAdded(listing);
      // Whoever makes a room belongs to it.
      const ref = await deps.rooms.ref(name);
      if (ref && (await deps.rooms.addMember(ref, c.var.me.user.id))) deps.directory.membership(c.var.me.user.id, listing, true);
      return c.json({ room: { ...listing, online: 0, member: true, readSeq: 0, unread: 0, mentions: 0 } }, 201);
    },
  );

  r.get(
    '/rooms',
    validQuery(RoomsQuery, `after is a room name (the last one of the page before), limit is 1..${ROOMS_PAGE_MAX}, joined is 0 or 1`),
    async (c) => {
      const { after, limit, joined } = c.req.valid('query');
      const { rooms, next } = await deps.rooms.listFor(c.var.me.user, { after, limit, joined: joined === '1' || joined === 'true' });
      return c.json({ rooms: rooms.map((v) => ({ ...v, online: deps.online.count(v.name) })), next });
    },
  );

  r.get('/rooms/:name', signedIn, roomParam(deps.rooms), async (c) => {
    const { me, room: ref } = c.var;
    const view = await deps.rooms.listedFor(me.user, ref.name);
    if (!view) throw new ApiError('not_found', `no room named ${ref.name}`);
    const members = deps.online.members(ref.name);
    return c.json({ room: { ...view, online: members.length }, members });
  });

  r.patch('/rooms/:name', signedIn, roomParam(deps.rooms), validJson(TopicChange, `topic is text of at most ${TOPIC_MAX} characters, or null`), async (c) => {
    const { me, room: ref } = c.var;
    if (ref.kind !== 'public') throw new ApiError('invalid', 'direct rooms have no topic');
    const text = c.req.valid('json').topic?.trim() || null;
    const room = await deps.rooms.setTopic(ref, text);
    if (!room) throw new ApiError('not_found', `no room named ${ref.name}`);
    deps.directory.roomChanged(RoomStore.view(room));
    const view = await deps.rooms.listedFor(me.user, ref.name);
    return c.json({ room: { ...view, online: deps.online.count(ref.name) } });
  });

  // Membership of public rooms: joining one over the WebSocket also makes you a member.
  const membership = (member: boolean) =>
    r.on(member ? 'PUT' : 'DELETE', '/rooms/:name/membership', signedIn, roomParam(deps.rooms), async (c) => {
      const { me, room: ref } = c.var;
      if (ref.kind !== 'public') throw new ApiError('invalid', member ? 'direct rooms keep their two members' : 'a direct conversation cannot be left');
      const changed = member ? await deps.rooms.addMember(ref, me.user.id) : await deps.rooms.removeMember(ref, me.user.id);
      if (changed) {
        const view = await deps.rooms.view(ref, me.user.id);
        if (view) deps.directory.membership(me.user.id, view, member);
      }
      return c.body(null, 204);
    });
  membership(true);
  membership(false);

  return r;
}
