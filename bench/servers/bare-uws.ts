/**
 * The ceiling of the fan-out benchmark: uWebSockets.js topic pub/sub with nothing else. No
 * auth, no database, no validation beyond parsing; the same routes and frame shapes as
 * Parley, so the same subscribers and publisher drive it.
 *
 *   POST /api/rooms/:name/messages {body, cid?} -> publishes a `msg` frame to `room/<name>`
 *                                                  and answers 201 {id, seq, at}
 *   GET  /ws  (binary MessagePack) {t:'join', room} -> subscribes, answers `joined`
 *                                  {t:'send', room, body, cid} -> publishes the same `msg` frame
 *                                                  (the sender gets it too, as in Parley) and
 *                                                  answers {t:'ack', cid, room, id, seq, at}
 *
 * Listens on 127.0.0.1:$PORT (0: any free port) and prints {"port": N} on stdout once
 * listening. SIGTERM or SIGINT closes the listen socket and exits.
 */
import { Packr, Unpackr } from 'msgpackr';
import { loadUws } from '../../server/uws/load-uws.js';

const { uws } = loadUws();
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const PUBLISHER = { id: 1, name: 'publisher' };
/** The same output bound as Parley's uWS cut-off (8 x 1 MiB); beyond it uWS drops frames. */
const MAX_BACKPRESSURE = 8 * 1024 * 1024;

const seqByRoom = new Map<string, number>();
let nextId = 1;

const app = uws.App();

/** Gives a post the room's next seq and an id and publishes its `msg` frame to every socket in the room. */
function publishMessage(room: string, body: unknown, cid: unknown): { id: number; seq: number; at: number } {
  const seq = (seqByRoom.get(room) ?? 0) + 1;
  seqByRoom.set(room, seq);
  const id = nextId++;
  const at = Date.now();
  const frame = { t: 'msg', room, id, seq, at, user: PUBLISHER, body, cid: cid ?? `c${id}` };
  app.publish(`room/${room}`, packr.pack(frame), true);
  return { id, seq, at };
}

app.post('/api/rooms/:name/messages', (res, req) => {
  const room = req.getParameter(0) ?? '';
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const chunks: Buffer[] = [];
  res.onData((chunk, isLast) => {
    // uWS reuses the chunk's memory after this callback: copy it out.
    chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (!isLast || aborted) return;
    let posted: { body?: unknown; cid?: unknown };
    try {
      posted = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof posted;
    } catch {
      res.cork(() => res.writeStatus('400 Bad Request').end('{"error":{"code":"bad_json","message":"not JSON"}}'));
      return;
    }
    const answer = publishMessage(room, posted.body, posted.cid);
    res.cork(() => res.writeStatus('201 Created').writeHeader('content-type', 'application/json').end(JSON.stringify(answer)));
  });
});

app.ws<Record<string, never>>('/ws', {
  compression: uws.DISABLED,
  maxPayloadLength: 64 * 1024,
  maxBackpressure: MAX_BACKPRESSURE,
  idleTimeout: 120,
  sendPingsAutomatically: true,
  message: (ws, message, isBinary) => {
    if (!isBinary) return;
    let frame: { t?: unknown; room?: unknown; ref?: unknown; body?: unknown; cid?: unknown };
    try {
      frame = unpackr.unpack(new Uint8Array(message.slice(0))) as typeof frame;
    } catch {
      return;
    }
    if (typeof frame.room !== 'string') return;
    const room = frame.room;
    if (frame.t === 'send') {
      // app.publish, not ws.publish: the sender's socket gets its copy too, as in Parley.
      const ack: Record<string, unknown> = { t: 'ack', cid: frame.cid, room, ...publishMessage(room, frame.body, frame.cid) };
      if (frame.ref !== undefined) ack.ref = frame.ref;
      ws.send(packr.pack(ack), true);
      return;
    }
    if (frame.t !== 'join') return;
    ws.subscribe(`room/${room}`);
    const joined: Record<string, unknown> = { t: 'joined', room, seq: seqByRoom.get(room) ?? 0, members: [], messages: [], truncated: false };
    if (frame.ref !== undefined) joined.ref = frame.ref;
    ws.send(packr.pack(joined), true);
  },
});

app.any('/*', (res) => {
  res.writeStatus('404 Not Found').end();
});

app.listen('127.0.0.1', Number(process.env.PORT ?? 0), (listenSocket) => {
  if (!listenSocket) {
    console.error('bare-uws: cannot listen');
    process.exit(1);
  }
  const port = uws.us_socket_local_port(listenSocket as never);
  process.stdout.write(JSON.stringify({ port }) + '\n');
  const stop = () => {
    uws.us_listen_socket_close(listenSocket);
    app.close?.();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
