/**
 * JSON answers whose text travels beside the Response rather than inside it.
 *
 * undici gives every Response with a body a ReadableStream, and the bridge then reads the
 * bytes back out of it: a CPU profile of message posts under load put building and reading
 * that stream at about a fifth of the server's JavaScript time, for a few dozen bytes of
 * JSON. So `c.json()` keeps its text on the request (the bridge's BufferedRequest) and
 * returns a Response without a body, marked by a header; the bridge writes the request's
 * latest text and drops the header.
 *
 * Why a header and "latest": when an answer replaces an earlier one (an error handler after
 * a handler answered, a header added late), Hono copies the new Response and then every
 * header of the earlier one onto it. The mark survives that copy, an object's identity would
 * not, and an id in the header would be overwritten by the earlier answer's id. The latest
 * text belongs to the latest c.json(); a Response with a body of its own is never prepared.
 */
import type { MiddlewareHandler } from 'hono';
import { BufferedRequest } from './bridge-request.js';

export const PREPARED_BODY_HEADER = 'x-parley-prepared-body';

/** The text to write for this response, when it is a prepared one. */
export function preparedBody(request: Request, response: Response): string | undefined {
  const held = request as unknown;
  if (response.body !== null || !(held instanceof BufferedRequest) || !response.headers.has(PREPARED_BODY_HEADER)) return undefined;
  return held.prepared;
}

/**
 * Hono middleware: `c.json()` answers as before (status, headers, cookies set earlier, the
 * Content-Type), with its text prepared. Requests that did not come through the bridge
 * buffered (a chunked upload, app.request() in a test) get Hono's own json().
 */
export const preparedJson: MiddlewareHandler = async (c, next) => {
  const raw = c.req.raw as unknown;
  if (raw instanceof BufferedRequest) {
    const json = c.json;
    c.json = ((object: unknown, arg?: number | ResponseInit, headers?: Record<string, string | string[]>) => {
      const text = JSON.stringify(object) as string | undefined;
      if (text === undefined) return json(object as never, arg as never, headers);
      raw.prepared = text;
      return c.body(null, arg as never, { 'Content-Type': 'application/json', ...headers, [PREPARED_BODY_HEADER]: '1' });
    }) as typeof c.json;
  }
  await next();
};
