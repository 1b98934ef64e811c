/**
 * The WebSocket endpoint, GET /ws, on uWS: authenticated upgrade, per-socket lifecycle,
 * frame decoding and validation, output limits, and closing the sockets of revoked sessions.
 *
 * Upgrade: headers are copied out of the request at once (uWS reuses it after the handler
 * returns), onAborted is registered before the session lookup, and the upgrade itself is
 * corked once the lookup is back. Refusals are plain HTTP with the contract's JSON error.
 */
import type { HttpResponse, TemplatedApp, us_socket_context_t } from 'uws-current';
import type { Logger } from 'pino';
import type { Uws } from '../uws/load-uws.js';
import type { Limits } from '../config.js';
import type { SessionCookie } from '../auth/session-cookie.js';
import type { SessionStore, SessionUser } from '../auth/session-store.js';
import type { OriginPolicy } from '../auth/origin-policy.js';
import type { Presence } from '../presence/presence.js';
import { TokenBucket } from '../limits/token-bucket.js';
import { decodeFrame } from '../protocol/codec.js';
import { frameParser } from '../protocol/client-frames.js';
import { CloseCode } from '../protocol/frames.js';
import { errorBody } from '../protocol/error-body.js';
import { closeIfTooFarBehind, closeSocket, errorFrame, sendObserved, type ConnState, type Socket, type SocketObserver } from './connection.js';
import type { RoomHandlers } from './room-handlers.js';
import type { RoomMembership } from './room-membership.js';

export interface GatewayDeps {
  uws: Uws;
  log: Logger;
  limits: Limits;
  cookie: SessionCookie;
  sessions: SessionStore;
  origins: OriginPolicy;
  presence: Presence;
  membership: RoomMembership;
  handlers: RoomHandlers;
  /** Counts the frames published to topics (the sweep of output queues skips quiet times). */
  topics: { readonly published: number };
  /** The clock of the per-connection send limit. */
  now: () => number;
  observer?: SocketObserver;
}

/**
 * How often socket output queues are checked against the limit. A socket over it is ended
 * with 1013, which reaches the client after the data queued before it. uWS's own cut-off
 * (closeOnBackpressureLimit) sits at HARD_BACKPRESSURE_FACTOR times the limit, for bursts
 * faster than the sweep; it drops the socket without a close frame (the client sees 1006).
 */
const BACKPRESSURE_SWEEP_MS = 100;
const HARD_BACKPRESSURE_FACTOR = 8;

/**
 * uWS drops a socket without a close frame (the client sees 1006) when a frame is over its
 * maxPayloadLength. The contract wants 1009, so uWS gets a higher ceiling and the limit is
 * enforced here; only frames over the ceiling are cut off at the transport, unread.
 */
export function transportFrameCeiling(maxFrameBytes: number): number {
  return Math.max(maxFrameBytes * 16, 1024 * 1024);
}

export class WsGateway {
  private nextId = 1;
  private sockets = new Set<Socket>();
  private bySession = new Map<string, Set<Socket>>();
  private sweepTimer: NodeJS.Timeout | undefined;
  /** topics.published at the last sweep. */
  private sweptAt = -1;
  private readonly parse;

  constructor(private readonly d: GatewayDeps) {
    this.parse = frameParser(d.limits);
    d.sessions.onRevoke((ids) => this.closeSessions(ids));
  }

  attach(app: TemplatedApp): void {
    const { limits } = this.d;
    app.ws<ConnState>('/ws', {
      compression: this.d.uws.DISABLED,
      maxPayloadLength: transportFrameCeiling(limits.maxFrameBytes),
      idleTimeout: limits.idleTimeoutSeconds,
      sendPingsAutomatically: true,
      maxBackpressure: limits.maxBufferedBytes * HARD_BACKPRESSURE_FACTOR,
      closeOnBackpressureLimit: true,
      upgrade: (res, req, context) => this.upgrade(res, req.getHeader('cookie'), req.getHeader('origin'), req.getHeader('host'), req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context),
      open: (ws) => this.open(ws),
      message: (ws, message, isBinary) => this.message(ws, message, isBinary),
      close: (ws, code, message) => this.close(ws, code, message),
    });
    this.sweepTimer = setInterval(() => this.sweepSlowReaders(), BACKPRESSURE_SWEEP_MS);
    this.sweepTimer.unref();
  }

  private draining = false;

  get connections(): number {
    return this.sockets.size;
  }

  /** Room memberships of the open sockets (a socket in 3 rooms counts 3). */
  get joinedRooms(): number {
    let n = 0;
    for (const ws of this.sockets) n += ws.getUserData().rooms.size;
    return n;
  }

  /**
   * The server is stopping: sends, edits and deletes from now on are answered `unavailable`
   * (retry with the same cid elsewhere or later), so what is in flight can finish and be
   * answered before the sockets close.
   */
  drain(): void {
    this.draining = true;
  }

  /** Closes every socket with 1001 so clients reconnect elsewhere (or later) with backoff. */
  shutdown(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const ws of [...this.sockets]) closeSocket(ws, CloseCode.goingAway, 'server shutting down');
  }

  closeSessions(sessionIds: string[]): void {
    for (const id of sessionIds) {
      for (const ws of [...(this.bySession.get(id) ?? [])]) closeSocket(ws, CloseCode.sessionInvalid, 'session ended');
    }
  }

  /**
   * A session known without waiting (a seal verified and a session read in the last few
   * minutes: a browser's page load or the client's last connection) is upgraded right here,
   * inside uWS's handler. Only a cold one waits for the unseal and the database, then
   * upgrades inside res.cork(). That order is also a workaround: the current uWS build
   * (20.57) can close a socket upgraded inside res.cork() right after its open handler
   * (uNetworking/uWebSockets#1928, fixed upstream after that release): about one in a few
   * hundred such upgrades ended in 1006 on Node 24 / Debian 13. A synchronous upgrade never
   * goes through that path, so a cold session is now the only exposure.
   */
  private upgrade(res: HttpResponse, cookie: string, origin: string, host: string, key: string, protocol: string, extensions: string, context: us_socket_context_t): void {
    if (origin && !this.d.origins.allows(origin, host)) {
      return refuse(res, '403 Forbidden', 'forbidden', `origin ${origin} is not allowed`);
    }
    const now = this.knownSession(cookie);
    if (now !== undefined) return this.admit(res, now, key, protocol, extensions, context);
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    this.authenticate(cookie).then(
      (session) => {
        if (!aborted) res.cork(() => this.admit(res, session, key, protocol, extensions, context));
      },
      (err) => {
        // The message only: a whole driver error is about 3 KB, and during an outage every upgrade logs one.
        this.d.log.warn({ err: (err as Error).message }, 'websocket upgrade: session lookup failed');
        if (!aborted) res.cork(() => refuse(res, '503 Service Unavailable', 'unavailable', 'sessions cannot be checked right now; retry'));
      },
    );
  }

  /** Upgrades for a valid session, or answers why not. */
  private admit(res: HttpResponse, session: SessionUser | null, key: string, protocol: string, extensions: string, context: us_socket_context_t): void {
    if (!session) return refuse(res, '401 Unauthorized', 'unauthorized', 'sign in first: the upgrade needs a valid session cookie');
    // Counted over every node of a cluster, as each node last heard.
    if (this.d.presence.connectionsOf(session.user.id) >= this.d.limits.connectionsPerUser) {
      return refuse(res, '429 Too Many Requests', 'too_many_connections', `at most ${this.d.limits.connectionsPerUser} open connections per user; close another tab first`);
    }
    const state: ConnState = {
      id: this.nextId++,
      user: session.user,
      sessionId: session.sessionId,
      rooms: new Map(),
      joining: new Map(),
      sendBucket: new TokenBucket(this.d.limits.sendRate, this.d.limits.sendBurst, this.d.now()),
      readUpTo: new Map(),
      closed: false,
    };
    res.upgrade(state, key, protocol, extensions, context);
  }

  /** The session behind a Cookie header if it is known now (null: none), undefined if it must be read. */
  private knownSession(cookieHeader: string): SessionUser | null | undefined {
    const sid = this.d.cookie.readNow(cookieHeader || undefined);
    if (sid === null) return null;
    return sid === undefined ? undefined : this.d.sessions.lookupNow(sid);
  }

  private async authenticate(cookieHeader: string): Promise<SessionUser | null> {
    const sid = await this.d.cookie.read(cookieHeader || undefined);
    return sid ? this.d.sessions.lookup(sid) : null;
  }

  private open(ws: Socket): void {
    const st = ws.getUserData();
    this.sockets.add(ws);
    let set = this.bySession.get(st.sessionId);
    if (!set) this.bySession.set(st.sessionId, (set = new Set()));
    set.add(ws);
    this.d.presence.connect(st.id, st.user);
    this.d.log.debug({ conn: st.id, user: st.user.id }, 'socket open');
  }

  private message(ws: Socket, message: ArrayBuffer, isBinary: boolean): void {
    const max = this.d.limits.maxBufferedBytes;
    if (message.byteLength > this.d.limits.maxFrameBytes) {
      return closeSocket(ws, CloseCode.tooLarge, `frames are limited to ${this.d.limits.maxFrameBytes} bytes`);
    }
    if (!isBinary) return sendObserved(ws, errorFrame('bad_frame', 'frames must be binary MessagePack, not text'), max, this.d.observer);
    let value: unknown;
    try {
      // Decoding copies everything it keeps out of uWS's buffer, which is reused after we return.
      value = decodeFrame(new Uint8Array(message));
    } catch {
      return sendObserved(ws, errorFrame('bad_frame', 'the frame is not one MessagePack value'), max, this.d.observer);
    }
    const parsed = this.parse(value);
    if (!parsed.ok) return sendObserved(ws, errorFrame(parsed.code, parsed.message, { ref: parsed.ref }), max, this.d.observer);
    const frame = parsed.frame;
    if (this.draining && (frame.t === 'send' || frame.t === 'edit' || frame.t === 'delete')) {
      return sendObserved(ws, errorFrame('unavailable', 'the server is shutting down; retry with the same cid once reconnected', { room: frame.room, ref: frame.ref }), max, this.d.observer);
    }
    const fail = (err: unknown) => {
      this.d.log.error({ err, frame: frame.t }, 'frame handler failed');
      sendObserved(ws, errorFrame('internal', 'internal error', { room: 'room' in frame ? frame.room : undefined, ref: frame.ref }), max, this.d.observer);
    };
    try {
      const pending = this.d.handlers.handle(ws, frame);
      if (pending) pending.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  private close(ws: Socket, code: number, message: ArrayBuffer): void {
    const st = ws.getUserData();
    // Copied now: uWS frees the reason's memory when this handler returns.
    const reason = Buffer.from(message).toString('utf8');
    // A normal close or a departure is routine (debug); anything else is worth a line.
    const routine = code === CloseCode.normal || code === CloseCode.goingAway || code === NO_STATUS;
    this.d.log[routine ? 'debug' : 'info']({ conn: st.id, user: st.user.id, code, reason, rooms: st.rooms.size }, 'socket closed');
    st.closed = true;
    st.joining.clear();
    this.sockets.delete(ws);
    const set = this.bySession.get(st.sessionId);
    set?.delete(ws);
    if (set?.size === 0) this.bySession.delete(st.sessionId);
    this.d.membership.closed(ws);
  }

  private sweepSlowReaders(): void {
    // A queue grows only by sends: frames sent straight to one socket are checked as they
    // go (sendObserved), so with nothing published since the last sweep none can have
    // passed the limit. A quiet server then skips the walk over every socket.
    if (this.d.topics.published === this.sweptAt) return;
    this.sweptAt = this.d.topics.published;
    const max = this.d.limits.maxBufferedBytes;
    for (const ws of this.sockets) {
      if (closeIfTooFarBehind(ws, max)) this.d.observer?.slowReaderClosed();
    }
  }
}

/** What a close without a status code reports (RFC 6455, 1005). */
const NO_STATUS = 1005;

function refuse(res: HttpResponse, status: string, code: string, message: string): void {
  res.writeStatus(status).writeHeader('content-type', 'application/json').end(JSON.stringify(errorBody(code, message)));
}
