/**
 * Serves any Fetch-style handler (Hono's app.fetch) on uWebSockets.js.
 *
 * uWS hands us a stack-allocated request that dies when the handler returns, so everything
 * is copied out synchronously. A body of declared length is collected into one buffer and
 * handed over in a BufferedRequest; a chunked one arrives through onData into a
 * ReadableStream (copied: uWS reuses the chunk's memory). Both are capped at maxBodyBytes
 * (413). The Response is written back in corked batches, honouring backpressure through
 * onWritable, and a client abort cancels both streams and stops every further touch of `res`.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uws-current';
import { BufferedRequest, checkRequestHead, HeaderList, TOO_LARGE, UNREPRESENTABLE, type Refusal } from './bridge-request.js';
import { PREPARED_BODY_HEADER, preparedBody } from './prepared-body.js';

export type FetchHandler = (req: Request, env: BridgeEnv) => Response | Promise<Response>;

export interface BridgeEnv {
  remoteAddress: string;
}

export interface BridgeOptions {
  maxBodyBytes: number;
  /** Called when the handler throws; must not throw itself. */
  onError?: (err: unknown) => void;
}

/**
 * Headers not copied as they are: uWS writes the framing ones itself (writing them again
 * would corrupt framing), Set-Cookie goes one line per cookie, and the prepared-body name is ours.
 */
const NOT_COPIED = new Set(['content-length', 'transfer-encoding', 'connection', 'set-cookie', PREPARED_BODY_HEADER]);

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found',
  304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 417: 'Expectation Failed', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 501: 'Not Implemented',
  503: 'Service Unavailable',
};

function statusLine(status: number, statusText: string): string {
  return `${status} ${statusText || STATUS_TEXT[status] || 'Status'}`;
}

interface Exchange {
  res: HttpResponse;
  onError: ((err: unknown) => void) | undefined;
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

/**
 * Answers a request the bridge refuses itself (a 413 body, a head it cannot trust) and closes
 * the connection: what the client sends next on it would be read as a request. A refusal
 * whose body framing holds (keepAlive) leaves the connection to uWS, which drops the body.
 */
function refuse(x: Exchange, refusal: Refusal, isHead = false): void {
  if (x.aborted || x.responded) return;
  x.responded = true;
  x.finished = true;
  const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
  const close = !refusal.keepAlive;
  x.res.cork(() => {
    x.res.writeStatus(statusLine(refusal.status, '')).writeHeader('content-type', 'application/json');
    // HEAD: no body. This uWS closes only through endWithoutBody(0, true) (saying length 0):
    // without a length it writes a garbage one, and with one above 0 it drops the connection.
    if (isHead) x.res.endWithoutBody(0, true);
    else x.res.end(body, close);
  });
}

function respondTooLarge(x: Exchange): void {
  refuse(x, TOO_LARGE);
}

/** The handler or the bridge failed: a 500 while nothing was sent, else the connection is cut. */
function fail(x: Exchange, err: unknown): void {
  // After a refusal (the 413) the handler's failed body read is expected, and `res` is gone.
  if (x.aborted || x.finished) return;
  x.onError?.(err);
  if (!x.responded) {
    x.responded = true;
    x.res.cork(() => {
      x.res.writeStatus(statusLine(500, '')).writeHeader('content-type', 'application/json').end(internalErrorBody, x.bodyPending);
    });
  } else {
    // Head already sent: the only honest signal left is to cut the connection.
    x.res.close();
  }
}

const internalErrorBody = JSON.stringify({ error: { code: 'internal', message: 'internal error' } });

/**
 * Runs a uWS callback's body. An exception thrown out of a uWS callback ends the process, so
 * one from the bridge's own code becomes the request's 500 instead.
 */
function guarded(x: Exchange, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    fail(x, err);
  }
}

/**
 * Reads a body of declared length into one buffer before the handler runs. Almost every API
 * request has a small JSON body with a Content-Length, and a Request built on bytes is far
 * cheaper than one built on a stream (a CPU profile of message posts showed the stream and
 * its Request as a third of the bridge's cost).
 */
function collectBody(x: Exchange, length: number, done: (bytes: Uint8Array<ArrayBuffer>) => void): void {
  const bytes = new Uint8Array(length);
  let received = 0;
  x.res.onData((chunk, isLast) =>
    guarded(x, () => {
      if (x.responded) return;
      if (received + chunk.byteLength > length) {
        respondTooLarge(x);
        return;
      }
      // uWS reuses the chunk's memory after this callback: copy now.
      bytes.set(new Uint8Array(chunk), received);
      received += chunk.byteLength;
      if (isLast) done(received === length ? bytes : bytes.subarray(0, received));
    }),
  );
}

/** Turns uWS body chunks into a ReadableStream with a byte cap. */
function bodyStream(x: Exchange, limit: number): ReadableStream<Uint8Array> {
  let received = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      x.res.onData((chunk, isLast) =>
        guarded(x, () => {
          if (x.responded) return;
          received += chunk.byteLength;
          if (received > limit) {
            controller.error(new Error('body too large'));
            respondTooLarge(x);
            return;
          }
          // uWS reuses the chunk's memory after this callback: copy.
          controller.enqueue(new Uint8Array(chunk.slice(0)));
          if (isLast) {
            x.bodyPending = false;
            controller.close();
          }
        }),
      );
      x.onAbort.push(() => {
        try {
          controller.error(new Error('client aborted'));
        } catch {
          /* already closed */
        }
      });
    },
  });
}

/**
 * Installs the response's only onWritable handler, before its first write. One handler per
 * wait stalls: the write loop resumes inside uWS's onWritable call and registers the next
 * handler there, uWS then restores the handler it was calling over it, and the loop waits
 * on a promise nothing resolves. A single handler waking whoever waits cannot be lost.
 */
function watchWritable(x: Exchange): void {
  x.res.onWritable(() => {
    const wake = x.wake;
    x.wake = undefined;
    if (wake) wake();
    else x.writable = true;
    return true;
  });
  x.onAbort.push(() => x.wake?.());
}

/** Resolves when uWS reports the socket writable again (or the client went away). */
function drained(x: Exchange): Promise<void> {
  if (x.writable || x.aborted) {
    x.writable = false;
    return Promise.resolve();
  }
  return new Promise((resolve) => (x.wake = resolve));
}

async function writeResponse(x: Exchange, request: Request, response: Response, isHead: boolean): Promise<void> {
  if (x.aborted || x.responded) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  x.responded = true;
  const { res } = x;
  // An answer that ends before a streamed body has ended closes the connection (every end()
  // below passes x.bodyPending). uWS re-arms its idle timeout when a response ends, unless the
  // request's body is still being read, and the body's end does not arm it either: such a
  // connection stayed open for good (a fast 404 to a chunked POST whose last chunk came in the
  // same packet; found by the fuzzer).
  const writeHead = () => {
    res.writeStatus(statusLine(response.status, response.statusText));
    response.headers.forEach((value, key) => {
      if (!NOT_COPIED.has(key)) res.writeHeader(key, value);
    });
    for (const cookie of response.headers.getSetCookie()) res.writeHeader('set-cookie', cookie);
  };
  const prepared = preparedBody(request, response);
  const body = response.body;
  if (!body || isHead || response.status === 204 || response.status === 304) {
    await body?.cancel().catch(() => {});
    const declared = prepared === undefined ? response.headers.get('content-length') : String(Buffer.byteLength(prepared));
    res.cork(() => {
      writeHead();
      // HEAD tells the GET's length when the Response declares one. Written as a header:
      // endWithoutBody(length) leaves uWS expecting that many bytes, and it drops the
      // connection at the next request on it (found with a pipelined HEAD + GET).
      if (isHead && declared !== null) res.writeHeader('content-length', declared);
      // Without a declared length, HEAD omits Content-Length (end() would claim 0).
      // (To close as well, see refuse(): only endWithoutBody(0, true) does, saying length 0.)
      if (isHead || response.status === 204 || response.status === 304) {
        if (x.bodyPending) res.endWithoutBody(0, true);
        else res.endWithoutBody();
      } else res.end(prepared ?? '', x.bodyPending);
    });
    return;
  }
  const reader = body.getReader();
  try {
    let first = await reader.read();
    if (x.aborted) return;
    // Most API answers are one chunk: write head and body and finish in one corked batch.
    let next = first.done ? first : await reader.read();
    if (x.aborted) return;
    if (next.done) {
      res.cork(() => {
        writeHead();
        res.end(first.value ?? new Uint8Array(0), x.bodyPending);
      });
      return;
    }
    let backpressured = false;
    watchWritable(x);
    res.cork(() => {
      writeHead();
      backpressured = !res.write(first.value!);
    });
    while (!next.done) {
      if (backpressured) await drained(x);
      if (x.aborted) return;
      const chunk = next.value;
      res.cork(() => {
        backpressured = !res.write(chunk);
      });
      next = await reader.read();
      if (x.aborted) return;
    }
    res.cork(() => (x.bodyPending ? res.end('', true) : res.end()));
  } finally {
    if (x.aborted) await reader.cancel().catch(() => {});
  }
}

export function serveFetch(app: TemplatedApp, pattern: string, handler: FetchHandler, opts: BridgeOptions): void {
  app.any(pattern, (res: HttpResponse, req: HttpRequest) => {
    const x: Exchange = { res, onError: opts.onError, aborted: false, responded: false, finished: false, onAbort: [], writable: false, bodyPending: false };
    res.onAborted(() => {
      x.aborted = true;
      for (const fn of x.onAbort) fn();
    });
    guarded(x, () => serve(x, req, handler, opts.maxBodyBytes));
  });
}

function serve(x: Exchange, req: HttpRequest, handler: FetchHandler, maxBodyBytes: number): void {
  const { res } = x;
  // Copy everything out of `req` now: it is invalid once this function returns.
  const method = req.getCaseSensitiveMethod().toUpperCase();
  const path = req.getUrl();
  const query = req.getQuery();
  const headers = new HeaderList();
  req.forEach((key, value) => headers.append(key, value));
  const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();

  // Size, Host, Expect and the body's framing, before anything is built from the head.
  const framing = checkRequestHead(headers, path.length + (query ? query.length : 0), maxBodyBytes);
  if (typeof framing === 'object') return refuse(x, framing, method === 'HEAD');
  const url = `http://${headers.get('host')}${path}${query ? `?${query}` : ''}`;
  // uWS reads and drops the body of a GET or HEAD; the handler gets none.
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const dispatchStream = (body: ReadableStream<Uint8Array>) => {
    let request: Request;
    try {
      // No `signal`: nothing downstream listens to one, and linking it costs more than the
      // rest of the Request. Our own abort listeners still end the body stream.
      request = new Request(url, { method, headers: [...headers], body, duplex: 'half' } as RequestInit);
    } catch {
      // A method or header value the Fetch API refuses (CONNECT, TRACE...): the client's doing.
      return refuse(x, UNREPRESENTABLE);
    }
    run(request);
  };
  const run = (request: Request) =>
    Promise.resolve()
      .then(() => handler(request, { remoteAddress }))
      .then((response) => writeResponse(x, request, response, method === 'HEAD'))
      .catch((err: unknown) => fail(x, err));

  const buffered = (bytes: Uint8Array<ArrayBuffer> | undefined) => run(new BufferedRequest(url, method, headers, bytes) as unknown as Request);
  if (!hasBody || framing === 0) buffered(undefined);
  else if (framing !== 'chunked') collectBody(x, framing, buffered);
  else {
    // Without a length (chunked), the body streams in as it arrives.
    x.bodyPending = true;
    dispatchStream(bodyStream(x, maxBodyBytes));
  }
}
