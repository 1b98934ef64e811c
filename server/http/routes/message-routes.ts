/** Room history and posting over HTTP; posts go through the same group commit as WebSocket sends. */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import type { AppEnv } from '../context.js';
import { signedIn } from '../middleware/session.js';
import { validJson, validQuery } from '../middleware/validate.js';
import { roomParam } from '../room-access.js';
import type { RoomStore } from '../../store/room-store.js';
import type { MessageStore } from '../../store/message-store.js';
import { storeErrorCode, type GroupCommitWriter } from '../../store/group-commit.js';
import { messageBody, messageCid } from '../../protocol/client-frames.js';
import type { AbuseGuards } from '../../limits/abuse-guards.js';

export interface MessageDeps {
  rooms: RoomStore;
  messages: MessageStore;
  writer: GroupCommitWriter;
  /** Body length and the per-user send rate, the same limits as on WebSocket. */
  messageLimits: { maxBodyChars: number; sendRate: number };
  /** posts: the per-user send limit. */
  guards: AbuseGuards;
}

const HistoryQuery = z.object({
  before: z.coerce.number().int().min(1).max(2 ** 31 - 1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export function messageRoutes(deps: MessageDeps) {
  const r = new Hono<AppEnv>();
  const { maxBodyChars, sendRate } = deps.messageLimits;
  const { guards } = deps;
  const NewMessage = z.object({ body: messageBody(maxBodyChars), cid: messageCid.optional() });
  r.use('/rooms/:name/messages', signedIn, roomParam(deps.rooms));

  r.get('/rooms/:name/messages', validQuery(HistoryQuery, 'before is a seq (integer >= 1), limit is 1..100'), async (c) => {
    const q = c.req.valid('query');
    return c.json(await deps.messages.page(c.var.room, q.before, q.limit));
  });

  r.post(
    '/rooms/:name/messages',
    validJson(NewMessage, `body is 1..${maxBodyChars} characters and not only whitespace, cid is 1..64 characters`),
    async (c) => {
      const { me, room } = c.var;
      const { body, cid } = c.req.valid('json');
      const wait = guards.posts.attempt(String(me.user.id), guards.now());
      if (wait > 0) throw new ApiError('rate_limited', `at most ${sendRate} messages a second; retry in ${wait} ms`, wait);
      try {
        const { message } = await deps.writer.submit({ roomId: room.id, room: room.name, user: me.user, body, cid: cid ?? randomUUID() });
        // A retried cid answers like the original post did: same status, same message.
        return c.json({ id: message.id, seq: message.seq, at: message.at }, 201);
      } catch (err) {
        const code = storeErrorCode(err);
        if (code === 'not_found') throw new ApiError('not_found', `no room named ${room.name}`);
        if (code === 'invalid') throw new ApiError('invalid', (err as Error).message);
        throw new ApiError('unavailable', 'the message store is unavailable; nothing was stored, retry with the same cid', 2000);
      }
    },
  );

  return r;
}
