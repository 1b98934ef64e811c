/**
 * Bare uWebSockets.js for bench/send-buffers.ts: does a build give back the memory of a
 * socket's send buffer once a slow reader has drained it? Nothing of Parley runs here.
 *
 *   UWS_BUILD=<alias> sh server/start.sh bench/servers/send-buffer-server.ts   (uws-current or uws-compat)
 *
 * A WebSocket that sends any message gets BURST_FRAMES binary frames of FRAME_BYTES in one
 * cork, as a rejoin backlog or a busy room reaches a reader that is behind. GET /stat answers
 * {rss, buffered, open, node, glibc, allocator}: buffered is the bytes uWS still holds for all open sockets. Prints
 * {"port": N} or {"error": "..."} on stdout.
 */
import { createRequire } from 'node:module';
import type { WebSocket } from 'uws-current';
import { glibcVersion, uwsAddonFiles, type Uws } from '../../server/uws/load-uws.js';
import { allocatorInUse } from '../../server/allocator.js';

const FRAME_BYTES = 4096;
const BURST_FRAMES = Number(process.env.BURST_FRAMES ?? 1500);
/** Parley's cut-off (server/gateway): a burst stays below it, as a live reader's would. */
const MAX_BACKPRESSURE = 8 * 1024 * 1024;

const alias = process.env.UWS_BUILD;
const addon = uwsAddonFiles().find((c) => c.alias === alias);
let uws: Uws;
try {
  if (!addon?.file) throw new Error(`${alias}: ${addon?.missing ?? 'unknown build'}`);
  uws = createRequire(import.meta.url)(addon.file) as Uws;
} catch (err) {
  process.stdout.write(JSON.stringify({ error: (err as Error).message.split('\n')[0] }) + '\n');
  process.exit(0);
}

const frame = new Uint8Array(FRAME_BYTES).fill(120);
const sockets = new Set<WebSocket<unknown>>();

const app = uws
  .App()
  .ws('/*', {
    maxBackpressure: MAX_BACKPRESSURE,
    maxPayloadLength: 1024,
    open: (ws) => void sockets.add(ws),
    close: (ws) => void sockets.delete(ws),
    message: (ws) => {
      ws.cork(() => {
        for (let i = 0; i < BURST_FRAMES; i++) ws.send(frame, true);
      });
    },
  })
  .get('/stat', (res) => {
    let buffered = 0;
    for (const ws of sockets) buffered += ws.getBufferedAmount();
    res.end(JSON.stringify({ rss: process.memoryUsage().rss, buffered, open: sockets.size, node: process.version, glibc: glibcVersion(), allocator: allocatorInUse() }));
  });

app.listen('127.0.0.1', 0, (listenSocket) => {
  if (!listenSocket) {
    process.stdout.write(JSON.stringify({ error: 'cannot listen' }) + '\n');
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ port: uws.us_socket_local_port(listenSocket as never) }) + '\n');
});
