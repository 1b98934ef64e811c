/**
 * A reader that stops reading is closed with 1013 once its output queue passes
 * WS_MAX_BUFFERED_BYTES, and the room's other members are not held back by it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestServer, type TestServer } from './harness.js';
import type { WsClient } from './ws-client.js';

const LIMIT = 256 * 1024;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ WS_MAX_BUFFERED_BYTES: String(LIMIT), SEND_RATE: '100000', SEND_BURST: '100000' });
});

afterAll(async () => {
  await server?.cleanup();
});

describe('slow readers', () => {
  it('closes a socket that stopped reading with 1013, and keeps serving the others', async () => {
    const slow = await newUser(server, 'slowpoke');
    const fast = await newUser(server, 'quick');
    const sender = await newUser(server, 'chatty');
    const slowWs = await slow.connect();
    const fastWs = await fast.connect();
    const senderWs = await sender.connect();
    for (const ws of [slowWs, fastWs, senderWs]) expect((await ws.join('firehose')).t).toBe('joined');

    // Stop reading on the slow socket: the kernel buffers fill, then the server's queue grows.
    (slowWs.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const body = 'x'.repeat(4000);
    const leftRoom = (frames: WsClient['frames']) =>
      frames.some((f) => f.t === 'presence' && f.leaves.some((m: { name: string }) => m.name === 'slowpoke'));
    let sent = 0;
    // The server says the slow user left the room when it closes their only socket.
    while (!leftRoom(fastWs.frames)) {
      expect(sent, 'the slow socket was never closed').toBeLessThan(20_000);
      for (let i = 0; i < 40; i++) senderWs.send({ t: 'send', room: 'firehose', body, cid: `m${sent++}` });
      await new Promise((r) => setTimeout(r, 25));
    }
    (slowWs.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await slowWs.whenClosed(20_000);
    expect(closed.code).toBe(1013);

    // The fast reader got every message up to the last one sent, in order, and is still open.
    await fastWs.until((frames) => frames.filter((f) => f.t === 'msg').length === sent, 20_000);
    const seqs = fastWs.all('msg', 'firehose').map((f) => f.seq);
    expect(seqs).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    expect(fastWs.closed).toBeUndefined();
    expect(senderWs.closed).toBeUndefined();
  }, 60_000);
});
