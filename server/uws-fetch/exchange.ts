/**
 * One request and its answer, as the bridge tracks them, and the ways an exchange can end
 * early: a refusal the bridge answers itself, and a failure of the handler or the bridge.
 *
 * Every rule about touching uWS's `res` after the fact lives in these flags: once the client
 * has gone (`aborted`) or a whole answer went out (`finished`), nothing touches `res` again.
 */
import type { HttpResponse } from 'uws-current';
import type { Refusal } from './request-head.js';

/** The text of an error answer the bridge writes itself (a refusal, or a 500). */
export type ErrorBody = (code: string, message: string) => { contentType: string; text: string };

/** Without an ErrorBody of the app's: the message as plain text. */
export const plainErrorBody: ErrorBody = (_code, message) => ({ contentType: 'text/plain; charset=utf-8', text: message });

export interface Exchange {
  res: HttpResponse;
  onError: ((err: unknown) => void) | undefined;
  errorBody: ErrorBody;
  aborted: boolean;
  responded: boolean;
  /** The whole response went out (a refusal): nothing may touch `res` again. */
  finished: boolean;
  /** Run once when the client goes away (ends the body stream, wakes the write loop). */
  onAbort: Array<() => void>;
  /** Wakes the write loop while it waits in drained(). */
  wake?: () => void;
  /** uWS reported writable while the write loop was not waiting. */
  writable: boolean;
  /** A streamed (chunked) body whose last chunk has not arrived yet. */
  bodyPending: boolean;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found',
  304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 417: 'Expectation Failed', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 501: 'Not Implemented',
  503: 'Service Unavailable',
};

export function statusLine(status: number, statusText: string): string {
  return `${status} ${statusText || STATUS_TEXT[status] || 'Status'}`;
}

/**
 * Answers a request the bridge refuses itself (a 413 body, a head it cannot trust) and closes
 * the connection: what the client sends next on it would be read as a request. A refusal
 * whose body framing holds (keepAlive) leaves the connection to uWS, which drops the body.
 */
export function refuse(x: Exchange, refusal: Refusal, isHead = false): void {
  if (x.aborted || x.responded) return;
  x.responded = true;
  x.finished = true;
  const body = x.errorBody(refusal.code, refusal.message);
  const close = !refusal.keepAlive;
  x.res.cork(() => {
    x.res.writeStatus(statusLine(refusal.status, '')).writeHeader('content-type', body.contentType);
    // HEAD: no body. This uWS closes only through endWithoutBody(0, true) (saying length 0):
    // without a length it writes a garbage one, and with one above 0 it drops the connection.
    if (isHead) x.res.endWithoutBody(0, true);
    else x.res.end(body.text, close);
  });
}

/** The handler or the bridge failed: a 500 while nothing was sent, else the connection is cut. */
export function fail(x: Exchange, err: unknown): void {
  // After a refusal (the 413) the handler's failed body read is expected, and `res` is gone.
  if (x.aborted || x.finished) return;
  x.onError?.(err);
  if (!x.responded) {
    x.responded = true;
    const body = x.errorBody('internal', 'internal error');
    x.res.cork(() => {
      x.res.writeStatus(statusLine(500, '')).writeHeader('content-type', body.contentType).end(body.text, x.bodyPending);
    });
  } else {
    // Head already sent: the only honest signal left is to cut the connection.
    x.res.close();
  }
}

/**
 * Runs a uWS callback's body. An exception thrown out of a uWS callback ends the process, so
 * one from the bridge's own code becomes the request's 500 instead.
 */
export function guarded(x: Exchange, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    fail(x, err);
  }
}
