/**
 * Validation of frames from clients. A frame that is not a map, has an unknown `t` or a field
 * of the wrong type is `bad_frame`; one with a value out of bounds is `invalid`. Limits come
 * from the configuration, so the parser is built from them.
 */
import { z } from 'zod';
import { ROOM_NAME } from './names.js';
import type { ClientFrame, ErrorCode, Ref } from './frames.js';

export interface FrameLimits {
  maxBodyChars: number;
}

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; message: string; ref?: Ref };

const CID_MAX = 64;
const REF_MAX = 128;

/** Length in Unicode code points, so an emoji counts as one character. */
function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const ref = z.union([z.string().max(REF_MAX), z.number().int()]).optional();
const room = z.string().regex(ROOM_NAME, 'room names match ^[a-z0-9][a-z0-9_-]{0,63}$');
/** seq is a PostgreSQL integer. */
const SEQ_MAX = 2 ** 31 - 1;
const seq = z.number().int().min(1).max(SEQ_MAX);

/** Half of a UTF-16 surrogate pair without its other half: no Unicode character at all. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What PostgreSQL can store as it was sent: text cannot hold U+0000, and a lone surrogate
 * (JSON's "\ud800") is stored as U+FFFD, so a cid would come back changed and its message
 * could not be matched to its sender.
 */
export const STORABLE_TEXT = [
  (s: string) => !s.includes('\u0000') && !LONE_SURROGATE.test(s),
  'must not contain the character U+0000 or a lone surrogate',
] as const;

/** A message body: 1..max characters, not only whitespace. Shared with the HTTP API. */
export function messageBody(maxChars: number) {
  return z
    .string()
    .refine((s) => s.trim().length > 0, 'body must not be empty or only whitespace')
    .refine(...STORABLE_TEXT)
    .refine((s) => chars(s) <= maxChars, `body must be at most ${maxChars} characters`);
}

/** A client message id: 1..64 characters. */
export const messageCid = z
  .string()
  .min(1, 'cid must be 1..64 characters')
  .refine((s) => chars(s) <= CID_MAX, 'cid must be 1..64 characters')
  .refine(...STORABLE_TEXT);

function schemas(limits: FrameLimits) {
  const body = messageBody(limits.maxBodyChars);
  return {
    join: z.object({ t: z.literal('join'), room, since: z.number().int().min(0).optional(), ref }),
    leave: z.object({ t: z.literal('leave'), room, ref }),
    send: z.object({
      t: z.literal('send'),
      room,
      body,
      cid: messageCid,
      ref,
    }),
    typing: z.object({ t: z.literal('typing'), room, ref }),
    watch: z.object({ t: z.literal('watch'), ref }),
    edit: z.object({ t: z.literal('edit'), room, seq, body, ref }),
    delete: z.object({ t: z.literal('delete'), room, seq, ref }),
    read: z.object({ t: z.literal('read'), room, seq: z.number().int().min(0).max(SEQ_MAX), ref }),
  } as const;
}

/** Issue codes that mean "a field has the wrong type or is missing" rather than "out of bounds". */
const TYPE_ISSUES = new Set(['invalid_type', 'invalid_union', 'unrecognized_keys', 'invalid_key', 'invalid_element']);

export function frameParser(limits: FrameLimits): (value: unknown) => ParsedFrame {
  const byType: Record<string, z.ZodType<ClientFrame>> = schemas(limits);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      return { ok: false, code: 'bad_frame', message: 'a frame must be one MessagePack map' };
    }
    const raw = value as Record<string, unknown>;
    // Echoed on an error exactly when the same ref would be accepted on a valid frame.
    const echo = ref.safeParse(raw.ref).success ? (raw.ref as Ref | undefined) : undefined;
    const t = raw.t;
    const schema = typeof t === 'string' && Object.hasOwn(byType, t) ? byType[t] : undefined;
    if (!schema) {
      return { ok: false, code: 'bad_frame', message: `unknown frame type ${JSON.stringify(t) ?? 'undefined'}; expected join, leave, send, typing, watch, edit, delete or read`, ref: echo };
    }
    const r = schema.safeParse(raw);
    if (r.success) return { ok: true, frame: r.data };
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || 't';
    const code: ErrorCode = TYPE_ISSUES.has(issue.code) ? 'bad_frame' : 'invalid';
    const what = code === 'bad_frame' ? `${field} is missing or has the wrong type` : `${field}: ${issue.message}`;
    return { ok: false, code, message: `${t}: ${what}`, ref: echo };
  };
}
