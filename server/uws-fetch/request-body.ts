/**
 * A request's body as uWS hands it over in chunks: collected into one buffer when its length
 * is declared, streamed when it is chunked. Both are capped (413), and both copy each chunk
 * at once, because uWS reuses the chunk's memory after its callback returns.
 */
import { guarded, refuse, type Exchange } from './exchange.js';
import { TOO_LARGE } from './request-head.js';

/**
 * Reads a body of declared length into one buffer before the handler runs. Almost every API
 * request has a small JSON body with a Content-Length, and a Request built on bytes is far
 * cheaper than one built on a stream (a CPU profile of message posts showed the stream and
 * its Request as a third of the bridge's cost).
 */
export function collectBody(x: Exchange, length: number, done: (bytes: Uint8Array<ArrayBuffer>) => void): void {
  const bytes = new Uint8Array(length);
  let received = 0;
  x.res.onData((chunk, isLast) =>
    guarded(x, () => {
      if (x.responded) return;
      if (received + chunk.byteLength > length) {
        refuse(x, TOO_LARGE);
        return;
      }
      bytes.set(new Uint8Array(chunk), received);
      received += chunk.byteLength;
      if (isLast) done(received === length ? bytes : bytes.subarray(0, received));
    }),
  );
}

/** Turns uWS body chunks into a ReadableStream with a byte cap. */
export function bodyStream(x: Exchange, limit: number): ReadableStream<Uint8Array> {
  let received = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      x.res.onData((chunk, isLast) =>
        guarded(x, () => {
          if (x.responded) return;
          received += chunk.byteLength;
          if (received > limit) {
            controller.error(new Error('body too large'));
            refuse(x, TOO_LARGE);
            return;
          }
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
