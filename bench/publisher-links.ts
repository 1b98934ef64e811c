/**
 * A publisher's WebSocket joined to its rooms, for ws-publisher.ts: `ws` speaking Parley's
 * protocol to Parley and the bare uWS server (binary MessagePack; `join` answered by
 * `joined`, `send` by `ack` or an `error` frame), socket.io-client to Socket.IO (`join`
 * answered by `joined`, `send` through its ack callback). Opening resolves once every room
 * is joined; after that, what arrives goes to the caller's LinkEvents.
 */
import { Packr } from 'msgpackr';
import { isMsgFrame, openProtocolSocket, openSocketIo } from './load-sockets.js';

const OPEN_TIMEOUT_MS = 30_000;

const packr = new Packr({ useRecords: false });

type Frame = Record<string, unknown>;

/** What an open socket reports, whichever client library it is. */
export interface LinkEvents {
  acked(cid: string): void;
  /** An `error` frame; `room` when it names one. */
  refused(code: string, room: string | undefined): void;
  /** A `msg` frame: a copy of a post to one of its rooms. */
  copy(): void;
  /** Closed by the other side (or the network) after joining. */
  closed(why: string): void;
}

/** A socket joined to its rooms. */
export interface Link {
  send(room: string, body: string, cid: string): void;
  /** Closes it; settles once it has closed. */
  close(): Promise<void>;
}

/** The server said no (an `error` frame, a refused upgrade or connection): trying again would not change that. */
export class Refusal extends Error {}

/**
 * The state of one socket's opening: joined to every one of `rooms` (resolve), or failed
 * (reject); after it, a close not asked for is reported to the link's events.
 */
function opening(rooms: string[], abort: () => void, resolve: () => void, reject: (err: Error) => void) {
  let state: 'opening' | 'open' | 'closing' | 'failed' = 'opening';
  const waiting = new Set(rooms);
  const timer = setTimeout(() => fail(new Error(`not joined within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
  const fail = (err: Error) => {
    if (state !== 'opening') return;
    state = 'failed';
    clearTimeout(timer);
    abort();
    reject(err);
  };
  return {
    isOpen: () => state === 'open',
    isOpening: () => state === 'opening',
    fail,
    joined(room: string) {
      if (state !== 'opening' || !waiting.delete(room) || waiting.size > 0) return;
      state = 'open';
      clearTimeout(timer);
      resolve();
    },
    /** The transport closed: a failure while opening; after joining, `closed` unless we closed it. */
    ended(why: string, events: LinkEvents) {
      if (state === 'open') events.closed(why);
      fail(new Error(`closed (${why}) before joining`));
    },
    closing() {
      state = 'closing';
    },
  };
}

/** Parley and the bare uWS server: binary MessagePack frames on `<url>/ws`. */
export function openProtocolLink(url: string, cookie: string | undefined, rooms: string[], events: LinkEvents): Promise<Link> {
  return new Promise((resolve, reject) => {
    const ws = openProtocolSocket(url, cookie);
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    const link: Link = {
      send: (room, body, cid) => ws.send(packr.pack({ t: 'send', room, body, cid })),
      close: () => {
        o.closing();
        ws.close(1000);
        return closed;
      },
    };
    const o = opening(rooms, () => ws.terminate(), () => resolve(link), reject);
    ws.on('open', () => {
      for (const room of rooms) ws.send(packr.pack({ t: 'join', room }));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      if (isMsgFrame(data)) {
        if (o.isOpen()) events.copy();
        return;
      }
      let f: Frame;
      try {
        f = packr.unpack(data) as Frame;
      } catch {
        return;
      }
      const room = typeof f.room === 'string' ? f.room : undefined;
      if (f.t === 'ack') events.acked(String(f.cid));
      else if (f.t === 'joined' && room !== undefined) o.joined(room);
      else if (f.t === 'error') {
        if (o.isOpening()) o.fail(new Refusal(`join ${room ?? ''}: ${String(f.code)} ${String(f.message)}`));
        else events.refused(String(f.code), room);
      }
    });
    ws.on('unexpected-response', (_req, res) => o.fail(new Refusal(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.on('error', (err) => o.fail(err));
    ws.on('close', (code) => o.ended(String(code), events));
  });
}

/** Socket.IO: `join` answered by `joined`, `send` answered through its ack callback. */
export function openSocketIoLink(url: string, rooms: string[], events: LinkEvents): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = openSocketIo(url, OPEN_TIMEOUT_MS);
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    const link: Link = {
      send: (room, body, cid) => socket.emit('send', { room, body, cid }, () => events.acked(cid)),
      close: () => {
        o.closing();
        socket.disconnect();
        return closed;
      },
    };
    const o = opening(rooms, () => socket.disconnect(), () => resolve(link), reject);
    socket.on('connect', () => {
      for (const room of rooms) socket.emit('join', room);
    });
    socket.on('joined', (f: Frame) => o.joined(String(f.room)));
    socket.on('msg', () => {
      if (o.isOpen()) events.copy();
    });
    // The server's refusal (a CONNECT_ERROR packet) comes with `data`; transport errors and the timeout without.
    socket.on('connect_error', (err) => o.fail('data' in err ? new Refusal(err.message) : err));
    socket.on('disconnect', (reason) => {
      o.ended(reason, events);
      resolveClosed();
    });
  });
}
