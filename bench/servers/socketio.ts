/**
 * The usual alternative in the fan-out benchmark: Socket.IO 4 rooms on node:http, with the
 * default (JSON) parser and defaults otherwise (no per-message deflate). No auth, no
 * database: the same routes and frame shapes as Parley.
 *
 *   POST /api/rooms/:name/messages {body, cid?} -> io.to(room).emit('msg', frame), 201 {id, seq, at}
 *   Socket.IO: emit('join', room) -> joins the room, answered by emit('joined', {...})
 *              emit('send', {room, body, cid}, ack) -> the same io.to(room).emit('msg', frame)
 *                                                 (the sender gets it too), then ack({id, seq, at})
 *
 * Listens on 127.0.0.1:$PORT (0: any free port) and prints {"port": N} on stdout once
 * listening. SIGTERM or SIGINT closes everything and exits.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Server } from 'socket.io';

const PUBLISHER = { id: 1, name: 'publisher' };
const POST_PATH = /^\/api\/rooms\/([^/]+)\/messages$/;

const seqByRoom = new Map<string, number>();
let nextId = 1;

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function postMessage(req: IncomingMessage, res: ServerResponse, room: string): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let posted: { body?: unknown; cid?: unknown };
    try {
      posted = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof posted;
    } catch {
      return answer(res, 400, { error: { code: 'bad_json', message: 'not JSON' } });
    }
    answer(res, 201, publishMessage(room, posted.body, posted.cid));
  });
}

/** Gives a post the room's next seq and an id and emits its `msg` frame to every socket in the room. */
function publishMessage(room: string, body: unknown, cid: unknown): { id: number; seq: number; at: number } {
  const seq = (seqByRoom.get(room) ?? 0) + 1;
  seqByRoom.set(room, seq);
  const id = nextId++;
  const at = Date.now();
  io.to(room).emit('msg', { t: 'msg', room, id, seq, at, user: PUBLISHER, body, cid: cid ?? `c${id}` });
  return { id, seq, at };
}

// Socket.IO takes over /socket.io/ and passes every other request to this handler.
const http = createServer((req, res) => {
  const m = req.method === 'POST' ? POST_PATH.exec(req.url ?? '') : null;
  if (m) return postMessage(req, res, decodeURIComponent(m[1]!));
  answer(res, 404, { error: { code: 'not_found', message: 'no such route' } });
});
http.keepAliveTimeout = 60_000;

const io = new Server(http, { serveClient: false });
io.on('connection', (socket) => {
  socket.on('join', (room: unknown) => {
    if (typeof room !== 'string') return;
    void socket.join(room);
    socket.emit('joined', { t: 'joined', room, seq: seqByRoom.get(room) ?? 0, members: [], messages: [], truncated: false });
  });
  socket.on('send', (m: { room?: unknown; body?: unknown; cid?: unknown } | null, ack: unknown) => {
    if (typeof m?.room !== 'string') return;
    const answer = publishMessage(m.room, m.body, m.cid);
    if (typeof ack === 'function') ack(answer);
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = http.address();
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }) + '\n');
});

const stop = () => {
  io.close();
  http.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
