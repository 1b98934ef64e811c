/**
 * Writes a handler's Response back through uWS: in one corked batch when it is held (a
 * LightResponse) or one chunk long, else chunk by chunk, honouring backpressure through
 * onWritable, and stopping every touch of `res` once the client has gone.
 */
import type { HttpResponse } from 'uws-current';
import { statusLine, type Exchange } from './exchange.js';
import { LightResponse } from './light-response.js';

/**
 * Headers not copied as they are: uWS writes the framing ones itself (writing them again
 * would corrupt framing), and Set-Cookie goes one line per cookie.
 */
const NOT_COPIED = new Set(['content-length', 'transfer-encoding', 'connection', 'set-cookie']);

function writeHead(res: HttpResponse, status: number, statusText: string, headers: Headers): void {
  res.writeStatus(statusLine(status, statusText));
  headers.forEach((value, key) => {
    if (!NOT_COPIED.has(key)) res.writeHeader(key, value);
  });
  for (const cookie of headers.getSetCookie()) res.writeHeader('set-cookie', cookie);
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

/**
 * Finishes an answer without body bytes: HEAD, 204, 304, or no body at all. `declared` is the
 * length a HEAD tells (its GET's), written as a header: endWithoutBody(length) leaves uWS
 * expecting that many bytes, and it drops the connection at the next request on it (found
 * with a pipelined HEAD + GET). Without one, HEAD omits Content-Length (end() would claim 0).
 * To close as well, only endWithoutBody(0, true) works (see refuse()).
 */
function endBodiless(x: Exchange, isHead: boolean, status: number, declared: string | null): void {
  const { res } = x;
  if (isHead && declared !== null) res.writeHeader('content-length', declared);
  if (isHead || status === 204 || status === 304) {
    if (x.bodyPending) res.endWithoutBody(0, true);
    else res.endWithoutBody();
  } else res.end('', x.bodyPending);
}

// An answer that ends before a streamed body has ended closes the connection (every end()
// below passes x.bodyPending). uWS re-arms its idle timeout when a response ends, unless the
// request's body is still being read, and the body's end does not arm it either: such a
// connection stayed open for good (a fast 404 to a chunked POST whose last chunk came in the
// same packet; found by the fuzzer).
export async function writeResponse(x: Exchange, response: Response, isHead: boolean): Promise<void> {
  if (x.aborted || x.responded) {
    // A held answer has nothing to cancel (asking for its body would build one to cancel).
    if (!LightResponse.take(response)) await response.body?.cancel().catch(() => {});
    return;
  }
  x.responded = true;
  const { res } = x;

  const held = LightResponse.take(response);
  if (held) {
    const { status, body } = held;
    res.cork(() => {
      writeHead(res, status, held.statusText, held.headers);
      if (isHead || body === null || status === 204 || status === 304) {
        const declared = held.headers.get('content-length') ?? (body !== null ? String(Buffer.byteLength(body)) : held.lengthOfSource?.toString() ?? null);
        endBodiless(x, isHead, status, declared);
      } else res.end(body, x.bodyPending);
    });
    return;
  }

  const body = response.body;
  if (!body || isHead || response.status === 204 || response.status === 304) {
    await body?.cancel().catch(() => {});
    res.cork(() => {
      writeHead(res, response.status, response.statusText, response.headers);
      endBodiless(x, isHead, response.status, response.headers.get('content-length'));
    });
    return;
  }
  const reader = body.getReader();
  try {
    const first = await reader.read();
    if (x.aborted) return;
    // Most answers are one chunk: write head and body and finish in one corked batch.
    let next = first.done ? first : await reader.read();
    if (x.aborted) return;
    if (next.done) {
      res.cork(() => {
        writeHead(res, response.status, response.statusText, response.headers);
        res.end(first.value ?? new Uint8Array(0), x.bodyPending);
      });
      return;
    }
    let backpressured = false;
    watchWritable(x);
    res.cork(() => {
      writeHead(res, response.status, response.statusText, response.headers);
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
