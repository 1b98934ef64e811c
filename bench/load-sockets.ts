/**
 * How the load processes (subscribers.ts, ws-publisher.ts) open their WebSockets: `ws`
 * speaking Parley's protocol (binary MessagePack, the session cookie on the upgrade) to
 * Parley and to the bare uWS server, socket.io-client to Socket.IO; and how they tell a
 * `msg` frame from the others without decoding it.
 */
import WebSocket from 'ws';
import { decode } from '@msgpack/msgpack';
import { io, type Socket } from 'socket.io-client';

/** A WebSocket to `<url>/ws` (http -> ws), with the session cookie when there is one. */
export function openProtocolSocket(url: string, cookie: string | undefined): WebSocket {
  return new WebSocket(url.replace(/^http/, 'ws') + '/ws', { headers: cookie ? { cookie } : {}, perMessageDeflate: false });
}

/** A Socket.IO client on the WebSocket transport only, with a connection of its own and no reconnection. */
export function openSocketIo(url: string, timeoutMs: number): Socket {
  // forceNew: without it every client to the same URL shares one underlying connection.
  return io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: timeoutMs });
}

/** Whether a binary frame is a `msg`: read `t` in place when it is the first key, else decode. */
export function isMsgFrame(b: Buffer): boolean {
  const h = b[0]!;
  const key = h >= 0x80 && h <= 0x8f ? 1 : h === 0xde ? 3 : h === 0xdf ? 5 : -1;
  // "t" as fixstr (a1 74), then "msg" as fixstr (a3 6d 73 67)
  if (key > 0 && b[key] === 0xa1 && b[key + 1] === 0x74) {
    return b[key + 2] === 0xa3 && b[key + 3] === 0x6d && b[key + 4] === 0x73 && b[key + 5] === 0x67;
  }
  try {
    return (decode(b) as Record<string, unknown>)?.t === 'msg';
  } catch {
    return false;
  }
}
