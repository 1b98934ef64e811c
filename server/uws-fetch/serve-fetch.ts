/**
 * Serves any Fetch-style handler (a Hono app's `fetch`, or any `(Request) => Response`) on
 * uWebSockets.js. It knows HTTP and uWS, nothing of the app behind it.
 *
 * uWS hands over a stack-allocated request that dies when the handler returns, so everything
 * is copied out synchronously. The head is checked before anything is built from it
 * (request-head.ts). A body of declared length is collected into one buffer and handed over
 * in a BufferedRequest; a chunked one arrives through onData into a ReadableStream. Both are
 * capped at maxBodyBytes (413). The answer goes back through response-writer.ts, straight
 * from a LightResponse when the handler made one (installLightResponse), and a client abort
 * cancels both streams and stops every further touch of `res`.
 */
import type { HttpRequest, TemplatedApp } from 'uws-current';
import { BufferedRequest } from './buffered-request.js';
import { fail, guarded, plainErrorBody, refuse, type ErrorBody, type Exchange } from './exchange.js';
import { installLightResponse } from './light-response.js';
import { bodyStream, collectBody } from './request-body.js';
import { checkRequestHead, HeaderList, UNKNOWN_METHOD, UNREPRESENTABLE } from './request-head.js';
import { writeResponse } from './response-writer.js';

/** What the handler gets beside the Request (Hono's `c.env`). */
export interface BridgeEnv {
  remoteAddress: string;
}

export type FetchHandler = (req: Request, env: BridgeEnv) => Response | Promise<Response>;

export interface BridgeOptions {
  /** Largest request body accepted; beyond it the bridge answers 413 itself. */
  maxBodyBytes: number;
  /** Called when the handler throws; must not throw itself. */
  onError?: (err: unknown) => void;
  /** The body of the errors the bridge answers itself (default: the message as plain text). */
  errorBody?: ErrorBody;
  /**
   * Make LightResponse the global Response (default true), so the handler's answers are
   * written without a stream in between. Once installed it stays, for the whole process.
   */
  lightResponses?: boolean;
}

export function serveFetch(app: TemplatedApp, pattern: string, handler: FetchHandler, opts: BridgeOptions): void {
  if (opts.lightResponses ?? true) installLightResponse();
  const errorBody = opts.errorBody ?? plainErrorBody;
  app.any(pattern, (res, req) => {
    const x: Exchange = { res, onError: opts.onError, errorBody, aborted: false, responded: false, finished: false, onAbort: [], writable: false, bodyPending: false };
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
  const method = req.getCaseSensitiveMethod();
  const path = req.getUrl();
  const query = req.getQuery();
  const headers = new HeaderList();
  req.forEach((key, value) => headers.append(key, value));
  const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();

  if (method !== method.toUpperCase()) return refuse(x, UNKNOWN_METHOD);
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
      .then((response) => writeResponse(x, response, method === 'HEAD'))
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
