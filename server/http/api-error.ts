/**
 * Errors are values with a code from the contract, made in one place, so every route
 * answers `{error:{code,message}}` with the matching status.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorBody } from '../protocol/error-body.js';

export type ErrorCode =
  | 'invalid'
  | 'bad_json'
  | 'bad_credentials'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'taken'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  bad_json: 400,
  bad_credentials: 401,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  taken: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export class ApiError extends Error {
  readonly status: number;
  /**
   * @param retryAfterMs for `rate_limited` and `unavailable`: when trying again may work;
   *   sent as a Retry-After header (whole seconds, at least 1).
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.status = STATUS[code];
  }

  /** Retry-After's value: whole seconds, rounded up, at least 1. */
  get retryAfterSeconds(): string | undefined {
    return this.retryAfterMs === undefined ? undefined : String(Math.max(1, Math.ceil(this.retryAfterMs / 1000)));
  }

  toJSON() {
    return errorBody(this.code, this.message);
  }
}

/** An answer for an ApiError: its status, its body, and Retry-After when it has one. */
export function errorResponse(c: Context, err: ApiError): Response {
  const retryAfter = err.retryAfterSeconds;
  if (retryAfter) c.header('Retry-After', retryAfter);
  return c.json(err.toJSON(), err.status as ContentfulStatusCode);
}
