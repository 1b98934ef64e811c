/**
 * Raw HTTP/1.1 over node:net for the tests where framing, pipelining or aborts matter:
 * fetch and node:http would normalise or refuse the very bytes under test.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Map<string, string[]>;
  body: Buffer;
}

/** Parses one HTTP/1.1 response (Content-Length framed) from the start of buf, or null if incomplete. */
export function parseResponse(buf: Buffer): (RawResponse & { consumed: number }) | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0]!)?.[1]);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).trim().toLowerCase();
    headers.set(k, [...(headers.get(k) ?? []), line.slice(i + 1).trim()]);
  }
  const len = Number(headers.get('content-length')?.[0] ?? 0);
  if (buf.length < end + 4 + len) return null;
  return { status, headers, body: buf.subarray(end + 4, end + 4 + len), consumed: end + 4 + len };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens a raw TCP connection, writes `chunks` (with an optional pause between), collects bytes
 * until `done` or close; rejects when neither happens within `timeoutMs`.
 */
export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  done: (received: Buffer) => boolean,
  gapMs = 0,
  timeoutMs = 4000,
): Promise<{ received: Buffer; closedByPeer: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let finished = false;
    const finish = (closedByPeer: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ received, closedByPeer });
    };
    const timer = setTimeout(() => {
      finished = true;
      sock.destroy();
      reject(new Error(`raw exchange timed out; got: ${JSON.stringify(received.toString('latin1').slice(0, 300))}`));
    }, timeoutMs);
    sock.on('data', (d) => {
      received = Buffer.concat([received, d]);
      if (done(received)) finish(false);
    });
    // The server may answer (and hang up) before we finished sending: that is fine.
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('connect', async () => {
      for (const c of chunks) {
        if (finished || sock.destroyed) return;
        sock.write(c);
        if (gapMs) await sleep(gapMs);
      }
    });
  });
}

/** One chunk of a chunked body. */
export function chunk(data: string): string {
  return `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
}
