/**
 * `npm run bench:send-buffers`: does a uWebSockets.js build give a socket's send-buffer
 * memory back once a slow reader has caught up? Bare uWS (bench/servers/send-buffer-server.ts),
 * no Parley: this is the ceiling's own behaviour, which the soak's memory figures inherit.
 *
 * Each round, every connection stops reading, asks for a burst (BURST_FRAMES x 4 KiB, below
 * Parley's 8 MiB cut-off) that the kernel's buffers cannot hold, and is read while uWS holds the
 * rest; then every connection reads to the end. A build that frees what it held returns to
 * about its connected RSS after each round; one that keeps its buffers' capacity does not.
 *
 *   npm run bench:send-buffers                          # every build and allocator here
 *   BENCH_NODE=/path/to/node npm run bench:send-buffers # the servers on another node binary
 *   npm run bench:send-buffers -- --sockets 100 --rounds 3 --frames 1500
 *
 * Each server starts through Parley's launcher (server/start.sh), once with jemalloc where the
 * machine has it and once on the system's malloc, and says which it got.
 *
 * Writes bench/results/send-buffers.md (or --out DIR).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ROOT } from './server-process.js';

const BUILDS = ['uws-current', 'uws-compat'];
const MiB = 1024 * 1024;
/** After a drain, before RSS is read: past jemalloc's default 10 s decay of freed pages. */
const SETTLE_MS = 11_000;

interface Stat {
  rss: number;
  buffered: number;
  open: number;
  node: string;
  glibc: string;
  allocator: string;
}

interface Round {
  heldRss: number;
  heldBuffered: number;
  drainedRss: number;
}

interface Row {
  build: string;
  allocator: string;
  error?: string;
  /** The server's Node version and C library. */
  runtime?: string;
  connectedRss?: number;
  rounds: Round[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sockets: { type: 'string' }, rounds: { type: 'string' }, frames: { type: 'string' }, out: { type: 'string' } },
  });
  const sockets = Number(values.sockets ?? 100);
  const rounds = Number(values.rounds ?? 3);
  const frames = Number(values.frames ?? 1500);
  const out = values.out ?? join(ROOT, 'bench/results');
  const node = process.env.BENCH_NODE || process.execPath;
  const rows: Row[] = [];
  for (const build of BUILDS) {
    for (const malloc of ['jemalloc', 'system']) {
      const row = await measure(node, build, malloc, { sockets, rounds, frames });
      // Without jemalloc on the machine the launcher fell back to the system's malloc: that row is next.
      if (malloc === 'jemalloc' && row.allocator === 'system') continue;
      rows.push(row);
      console.log(rowLine(row));
    }
  }
  mkdirSync(out, { recursive: true });
  const file = join(out, 'send-buffers.md');
  writeFileSync(file, report(rows, { node, sockets, rounds, frames }));
  console.log(`wrote ${file}`);
}

/** `malloc` is PARLEY_MALLOC for the launcher; the row's allocator is what the server says it got. */
async function measure(
  node: string,
  build: string,
  malloc: string,
  o: { sockets: number; rounds: number; frames: number },
): Promise<Row> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE: node, PARLEY_MALLOC: malloc, UWS_BUILD: build, BURST_FRAMES: String(o.frames) };
  // The launcher keeps an LD_PRELOAD it is given: only PARLEY_MALLOC should choose.
  delete env.LD_PRELOAD;
  const server = spawn('sh', [join(ROOT, 'server/start.sh'), 'bench/servers/send-buffer-server.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const row: Row = { build, allocator: malloc, rounds: [] };
  try {
    const said = await firstLine(server);
    if ('error' in said) return { ...row, error: String(said.error) };
    const port = Number(said.port);
    const stat = async (): Promise<Stat> => (await fetch(`http://127.0.0.1:${port}/stat`)).json() as Promise<Stat>;
    const clients = await Promise.all(Array.from({ length: o.sockets }, () => openWebSocket(port)));
    await sleep(500);
    const connected = await stat();
    row.connectedRss = connected.rss;
    row.allocator = connected.allocator;
    row.runtime = `Node ${connected.node}, glibc ${connected.glibc}`;
    for (let r = 0; r < o.rounds; r++) {
      for (const c of clients) c.pause();
      for (const c of clients) c.write(maskedFrame('burst'));
      await sleep(1500);
      const held = await stat();
      const drainStart = performance.now();
      for (const c of clients) c.resume();
      let now = await stat();
      while (now.buffered > 0 && performance.now() - drainStart < 60_000) {
        await sleep(100);
        now = await stat();
      }
      await sleep(SETTLE_MS);
      row.rounds.push({ heldRss: held.rss, heldBuffered: held.buffered, drainedRss: (await stat()).rss });
    }
    for (const c of clients) c.destroy();
    return row;
  } finally {
    server.kill('SIGKILL');
  }
}

function firstLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end >= 0) resolve(JSON.parse(text.slice(0, end)) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`send-buffer server exited (${code}) before listening`)));
  });
}

/** A WebSocket client at the TCP level, so that "not reading" is a paused socket and nothing else. */
function openWebSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let head = '';
    const onHandshake = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onHandshake);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${head.split('\r\n')[0]}`));
      socket.on('data', () => {}); // read and drop the bursts
      resolve(socket);
    };
    socket.on('data', onHandshake);
  });
}

/** A client's text frame: clients must mask (RFC 6455 5.3). Short payloads only. */
function maskedFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  return frame;
}

const mb = (bytes: number | undefined) => (bytes === undefined ? '-' : (bytes / MiB).toFixed(0));

function rowLine(row: Row): string {
  if (row.error) return `${row.build} ${row.allocator}: does not load (${row.error})`;
  const rounds = row.rounds.map((r, i) => `round ${i + 1}: held ${mb(r.heldBuffered)} MB, RSS ${mb(r.heldRss)} → ${mb(r.drainedRss)} MB`);
  return `${row.build} ${row.allocator}: connected ${mb(row.connectedRss)} MB; ${rounds.join('; ')}`;
}

function report(rows: Row[], o: { node: string; sockets: number; rounds: number; frames: number }): string {
  const lines = [
    '# uWebSockets.js send buffers after a slow reader catches up',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · \`npm run bench:send-buffers\` · servers on \`${o.node}\` (${[...new Set(rows.flatMap((r) => r.runtime ?? []))].join('; ')})` +
      ` · ${o.sockets} connections, each round a burst of ${o.frames} × 4 KiB frames to every connection while it does not read, then read to the end.`,
    '',
    `RSS of the bare uWS server in MB: when connected, while the bursts are held (and how much uWS says it holds), and ${SETTLE_MS / 1000} s after every connection has read everything (jemalloc hands freed pages back to the system over 10 s).`,
    '',
    `| build | allocator | connected | ${Array.from({ length: o.rounds }, (_, i) => `round ${i + 1} held (buffered) | round ${i + 1} drained`).join(' | ')} |`,
    `|---|---|--:|${'--:|--:|'.repeat(o.rounds)}`,
  ];
  for (const row of rows) {
    if (row.error) {
      lines.push(`| ${row.build} | ${row.allocator} | does not load here: ${row.error.replace(/\|/g, '/')} |`);
      continue;
    }
    const cells = row.rounds.map((r) => `${mb(r.heldRss)} (${mb(r.heldBuffered)}) | ${mb(r.drainedRss)}`);
    lines.push(`| ${row.build} | ${row.allocator} | ${mb(row.connectedRss)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

await main();
