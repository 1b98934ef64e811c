/** Search over the messages the caller may read (see store/message-search.ts). */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { signedIn } from '../middleware/session.js';
import { validQuery } from '../middleware/validate.js';
import { accessibleRoom } from '../room-access.js';
import type { RoomStore } from '../../store/room-store.js';
import type { MessageSearch } from '../../store/message-search.js';

export interface SearchDeps {
  rooms: RoomStore;
  search: MessageSearch;
}

const SEARCH_MAX = 50;

const SearchQuery = z.object({
  q: z.string().trim().min(1).max(200),
  room: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(SEARCH_MAX).default(20),
  before: z.coerce.number().int().min(1).optional(),
});

export function searchRoutes(deps: SearchDeps) {
  const r = new Hono<AppEnv>();
  r.get(
    '/search',
    signedIn,
    validQuery(SearchQuery, `q is 1..200 characters, room a room name, limit 1..${SEARCH_MAX}, before the id of the last result of the page before`),
    async (c) => {
      const { q, room, limit, before } = c.req.valid('query');
      // A named room must be one the caller may read: the same 400/403/404 as its history.
      if (room !== undefined) await accessibleRoom(deps.rooms, room, c.var.me.user.id);
      const results = await deps.search.search(c.var.me.user, q, { room, limit: limit + 1, beforeId: before });
      const more = results.length > limit;
      const page = results.slice(0, limit);
      return c.json({ results: page, next: more ? page[page.length - 1]!.message.id : null });
    },
  );
  return r;
}
