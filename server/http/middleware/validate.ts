/**
 * Request validation as middleware: `validJson(schema, hint)` and `validQuery(schema, hint)`
 * check the body or the query against a zod schema before the handler runs, which reads the
 * result, typed, with `c.req.valid('json')` or `c.req.valid('query')`. A failure is an
 * `invalid` error naming the field and the rule (`hint`).
 *
 * The body is read here rather than by Hono's validator('json') so that Parley's own codes
 * hold: 415 without a JSON content type, 400 bad_json for bytes that are not JSON or not
 * UTF-8 (replacing bad bytes with U+FFFD could make two different cids one).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { ApiError } from '../api-error.js';
import type { AppEnv } from '../context.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses with a schema, turning the first issue into an `invalid` error naming the field. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, hint: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.join('.') || 'body';
  throw new ApiError('invalid', `${field}: ${hint}`);
}

/** Reads the body as one JSON object: 415 without a JSON content type, 400 when malformed. */
async function jsonObject(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new ApiError('unsupported_media_type', 'send Content-Type: application/json');
  let bytes: ArrayBuffer;
  try {
    bytes = await c.req.arrayBuffer();
  } catch {
    throw new ApiError('too_large', 'request body too large');
  }
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw new ApiError('bad_json', 'request body is not valid JSON in UTF-8');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError('invalid', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

type Validated<Target extends 'json' | 'query', S extends z.ZodType> = {
  in: { [K in Target]: z.input<S> };
  out: { [K in Target]: z.output<S> };
};

export function validJson<S extends z.ZodType>(schema: S, hint: string): MiddlewareHandler<AppEnv, string, Validated<'json', S>> {
  return async (c, next) => {
    c.req.addValidatedData('json', parse(schema, await jsonObject(c), hint) as object);
    await next();
  };
}

export function validQuery<S extends z.ZodType>(schema: S, hint: string): MiddlewareHandler<AppEnv, string, Validated<'query', S>> {
  return async (c, next) => {
    c.req.addValidatedData('query', parse(schema, c.req.query(), hint) as object);
    await next();
  };
}
