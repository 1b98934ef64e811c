/**
 * One WebSocket's state (uWS user data) and the only ways the gateway writes to a socket:
 * every write checks that the socket is still open, corks, and enforces the output limit.
 */
import type { WebSocket } from 'uws-current';
import type { TokenBucket } from '../limits/token-bucket.js';
import type { RoomRef } from '../store/room-store.js';
import { CloseCode, type ErrorCode, type Member, type Ref, type ServerFrame } from '../protocol/frames.js';
import { encodeFrame } from '../protocol/codec.js';

export interface ConnState {
  id: number;
  user: Member;
  sessionId: string;
  /** Rooms this connection has joined (subscribed to). */
  rooms: Map<string, RoomRef>;
  /** Joins in progress: room -> attempt number, so a leave or a newer join can cancel one. */
  joining: Map<string, number>;
  sendBucket: TokenBucket;
  /** Per room, the highest read position this connection has stored: a repeat costs no write. */
  readUpTo: Map<string, number>;
  /** Set in the close handler; after it the socket must not be touched. */
  closed: boolean;
}

export type Socket = WebSocket<ConnState>;

/**
 * Sends one frame, if the socket is still open; a reader too far behind is closed with 1013.
 * True when this write closed it so.
 */
export function sendFrame(ws: Socket, frame: ServerFrame, maxBuffered: number): boolean {
  const state = ws.getUserData();
  if (state.closed) return false;
  const bytes = encodeFrame(frame);
  let closed = false;
  ws.cork(() => {
    ws.send(bytes, true);
    closed = closeIfTooFarBehind(ws, maxBuffered);
  });
  return closed;
}

/** Ends a socket with more output queued than the limit: 1013, and the client catches up with `since`. True when it did. */
export function closeIfTooFarBehind(ws: Socket, maxBuffered: number): boolean {
  if (ws.getBufferedAmount() <= maxBuffered || ws.getUserData().closed) return false;
  closeSocket(ws, CloseCode.overloaded, 'too slow a reader; reconnect and rejoin with since');
  return true;
}

/** What the gateway and the frame handlers tell the metrics (server/metrics.ts). */
export interface SocketObserver {
  errorSent(code: string): void;
  slowReaderClosed(): void;
  /** A send frame was read `seconds` before its ack was written. */
  acked(seconds: number): void;
}

/** Sends a frame and tells the observer of an error frame, and of a slow reader it closed. */
export function sendObserved(ws: Socket, frame: ServerFrame, maxBuffered: number, observer: SocketObserver | undefined): void {
  if (frame.t === 'error') observer?.errorSent(frame.code);
  if (sendFrame(ws, frame, maxBuffered)) observer?.slowReaderClosed();
}

export function errorFrame(code: ErrorCode, message: string, extra: { room?: string; retry_after?: number; ref?: Ref } = {}): ServerFrame {
  const frame: ServerFrame = { t: 'error', code, message };
  if (extra.room !== undefined) frame.room = extra.room;
  if (extra.retry_after !== undefined) frame.retry_after = extra.retry_after;
  if (extra.ref !== undefined) frame.ref = extra.ref;
  return frame;
}

/** Adds `ref` to a reply when the request carried one (and leaves the key out otherwise). */
export function withRef<F extends ServerFrame>(frame: F, ref: Ref | undefined): F {
  if (ref !== undefined) (frame as { ref?: Ref }).ref = ref;
  return frame;
}

export function closeSocket(ws: Socket, code: number, reason: string): void {
  const state = ws.getUserData();
  if (state.closed) return;
  ws.cork(() => ws.end(code, reason));
}
