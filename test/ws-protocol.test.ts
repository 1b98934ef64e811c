/**
 * The WebSocket protocol against a real server (uWS + embedded PostgreSQL) with real
 * WebSocket clients speaking plain MessagePack (@msgpack/msgpack): the upgrade (cookie,
 * Origin, connections per user), bad frames, the frame size limit, the send rate limit,
 * typing, rooms per connection, direct rooms, the HTTP message routes as seen from a socket,
 * and sockets closed when their session is revoked.
 *
 * Two servers: one with the default limits, one with low limits for the tests that need them.
 */
import { ExtData, encode } from '@msgpack/msgpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, newUser, startTestServer, type TestServer } from './harness.js';
import { WsClient, type Frame } from './ws-client.js';
import { JumpingClock } from './manual-clock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every socket a test opened, closed before its server stops. */
const sockets: WsClient[] = [];
function track(ws: WsClient): WsClient {
  sockets.push(ws);
  return ws;
}
function closeAll(): void {
  for (const ws of sockets.splice(0)) ws.close();
}

type User = Awaited<ReturnType<typeof newUser>>;

async function tab(u: User, headers?: Record<string, string>): Promise<WsClient> {
  return track(await u.connect(headers));
}

/** Opens a socket with a given cookie (or none) and returns what the refused upgrade said. */
async function refusal(server: TestServer, cookie: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const outcome = await WsClient.connect(server.url, cookie, headers).then(
    (ws) => {
      ws.close();
      return undefined;
    },
    (err: { status?: number; body?: string }) => err,
  );
  if (!outcome) throw new Error('the upgrade was accepted');
  if (outcome.status === undefined) throw outcome;
  let body: unknown = outcome.body;
  try {
    body = JSON.parse(outcome.body ?? '');
  } catch {
    /* keep the text: the assertion on it will show it */
  }
  return { status: outcome.status, body };
}

/** The reply to a request: the next frame that is not a broadcast (msg, presence, typing). */
async function reply(ws: WsClient): Promise<Frame> {
  return ws.next((f) => f.t !== 'msg' && f.t !== 'presence' && f.t !== 'typing');
}

/** The frame carrying this ref, wherever it arrived among the others (replies may overtake each other). */
async function replyTo(ws: WsClient, ref: string | number): Promise<Frame> {
  await ws.until((fs) => fs.some((f) => f.ref === ref));
  return ws.frames.find((f) => f.ref === ref)!;
}

/** A `send` that must be acknowledged; returns the ack. */
async function sendOk(ws: WsClient, room: string, body: string, cid: string): Promise<Frame> {
  const ack = await ws.request({ t: 'send', room, body, cid });
  expect(ack).toMatchObject({ t: 'ack', room, cid, id: expect.any(Number), seq: expect.any(Number), at: expect.any(Number) });
  return ack;
}

async function joinOk(ws: WsClient, room: string): Promise<Frame> {
  const j = await ws.join(room);
  expect(j).toMatchObject({ t: 'joined', room });
  return j;
}

function bytes(...b: number[]): Uint8Array {
  return Uint8Array.from(b);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Changes one character in the middle of the cookie's sealed value, keeping its shape. */
function tamper(cookie: string): string {
  for (let i = Math.floor(cookie.length / 2); i < cookie.length; i++) {
    if (/[A-Za-z0-9]/.test(cookie[i]!)) return cookie.slice(0, i) + (cookie[i] === 'A' ? 'B' : 'A') + cookie.slice(i + 1);
  }
  throw new Error('no character to tamper with');
}

async function history(http: Client, room: string, query = ''): Promise<{ messages: Frame[]; more: boolean }> {
  const r = await http.get(`/api/rooms/${room}/messages${query}`);
  expect(r.status).toBe(200);
  return r.body;
}

const EMOJI = '\u{1F600}'; // one character, two UTF-16 units, four UTF-8 bytes

// ===================================================================================
// Default limits
// ===================================================================================
describe('with the default limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    closeAll();
    await server?.cleanup();
  });

  describe('upgrade', () => {
    it('without a cookie is 401 unauthorized, as JSON, with no socket', async () => {
      const r = await refusal(server, undefined);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    });

    it('with a tampered cookie is 401', async () => {
      const u = await newUser(server, 'tamper_victim');
      const r = await refusal(server, tamper(u.http.cookie!));
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
      // The genuine cookie still works, so it was the tampering that was refused.
      const ws = await tab(u);
      expect(ws.closed).toBeUndefined();
    });

    it('with the cookie of a logged-out session is 401', async () => {
      const u = await newUser(server, 'logged_out');
      const stolen = u.http.cookie!;
      track(await WsClient.connect(server.url, stolen)).close();
      expect((await u.http.post('/api/auth/logout')).status).toBe(204);
      const r = await refusal(server, stolen);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    });

    it('from a foreign Origin is 403 forbidden, even with a valid cookie', async () => {
      const u = await newUser(server, 'origin_user');
      const port = new URL(server.url).port;
      for (const origin of ['https://evil.example', 'null', `http://localhost:${port}`, `http://127.0.0.1:${Number(port) + 1}`]) {
        const r = await refusal(server, u.http.cookie, { origin });
        expect(r.status, origin).toBe(403);
        expect(r.body, origin).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
      }
    });

    it("from the server's own origin, or with no Origin at all, is accepted", async () => {
      const u = await newUser(server, 'origin_ok');
      const same = await tab(u, { origin: server.url });
      expect(await same.join('origin-room')).toMatchObject({ t: 'joined', room: 'origin-room' });
      const none = await tab(u);
      expect(await none.join('origin-room')).toMatchObject({ t: 'joined', room: 'origin-room' });
    });
  });

  describe('bad frames: an error frame each, and the connection stays usable', () => {
    const ROOM = 'frames';
    const OTHER = 'frames-elsewhere';
    let u: User;
    let ws: WsClient;
    beforeAll(async () => {
      u = await newUser(server, 'framer');
      ws = await tab(u);
      await joinOk(ws, ROOM);
    });

    type Payload = Uint8Array | { text: string } | Frame;
    interface Case {
      name: string;
      data: Payload;
      /** The error code, or 'ack' / 'joined' for frames that must be accepted. */
      expect: string;
      /** The ref the reply must carry; undefined: the reply must carry none. */
      ref?: string | number;
      /** The room the error must name; undefined: it must name none. */
      room?: string;
    }
    const send = (extra: Frame): Frame => ({ t: 'send', room: ROOM, body: 'hello', cid: `c-${Math.random().toString(36).slice(2)}`, ...extra });
    const long = (n: number, unit = 'x') => unit.repeat(n);

    const cases: Case[] = [
      // Not one MessagePack map
      { name: 'a text frame', data: { text: JSON.stringify({ t: 'join', room: ROOM, ref: 'txt' }) }, expect: 'bad_frame' },
      { name: 'an empty binary frame', data: bytes(), expect: 'bad_frame' },
      { name: 'the never-used byte 0xc1', data: bytes(0xc1), expect: 'bad_frame' },
      { name: 'bytes that are not MessagePack', data: Uint8Array.from(Buffer.from('this is not msgpack, just text in a binary frame')), expect: 'bad_frame' },
      { name: 'a truncated map', data: encode({ t: 'join', room: ROOM, ref: 'cut' }).subarray(0, -3), expect: 'bad_frame' },
      { name: 'a map header promising more entries than follow', data: bytes(0x83, 0xa1, 0x74, 0xa4, 0x6a, 0x6f, 0x69, 0x6e), expect: 'bad_frame' },
      { name: 'two maps concatenated in one frame', data: concat(encode({ t: 'join', room: ROOM, ref: 'a' }), encode({ t: 'join', room: ROOM, ref: 'b' })), expect: 'bad_frame' },
      { name: 'a map followed by a stray byte', data: concat(encode({ t: 'join', room: ROOM, ref: 'stray' }), bytes(0x00)), expect: 'bad_frame' },
      { name: 'an array', data: encode([{ t: 'join', room: ROOM }]), expect: 'bad_frame' },
      { name: 'a string', data: encode('join'), expect: 'bad_frame' },
      { name: 'an integer', data: encode(42), expect: 'bad_frame' },
      { name: 'nil', data: encode(null), expect: 'bad_frame' },
      { name: 'a boolean', data: encode(true), expect: 'bad_frame' },
      { name: 'a bin value', data: encode(Uint8Array.from([1, 2, 3])), expect: 'bad_frame' },
      { name: 'a timestamp (ext -1)', data: encode(new Date(0)), expect: 'bad_frame' },
      { name: 'a bare ext value of an unknown type', data: encode(new ExtData(5, Uint8Array.from([1, 2, 3]))), expect: 'bad_frame' },
      { name: 'an ext 8 of type 0x72 with three bytes', data: bytes(0xc7, 0x03, 0x72, 0x01, 0x02, 0x03), expect: 'bad_frame' },
      { name: 'a map with an unknown ext value inside', data: encode({ t: 'join', room: new ExtData(5, Uint8Array.from([9])), ref: 'ext-in' }), expect: 'bad_frame' },
      // `t`
      { name: 'a map without t', data: { room: ROOM, ref: 'no-t' }, expect: 'bad_frame', ref: 'no-t' },
      { name: 'an unknown t', data: { t: 'shout', room: ROOM, ref: 7 }, expect: 'bad_frame', ref: 7 },
      { name: 't not a string', data: { t: 1, room: ROOM, ref: 'num-t' }, expect: 'bad_frame', ref: 'num-t' },
      { name: "t 'JOIN' (case matters)", data: { t: 'JOIN', room: ROOM, ref: 'upper' }, expect: 'bad_frame', ref: 'upper' },
      // join
      { name: 'join without room', data: { t: 'join', ref: 'j0' }, expect: 'bad_frame', ref: 'j0' },
      { name: 'join with room as an integer', data: { t: 'join', room: 5, ref: 'j1' }, expect: 'bad_frame', ref: 'j1' },
      { name: 'join with room as a timestamp', data: { t: 'join', room: new Date(0), ref: 'j2' }, expect: 'bad_frame', ref: 'j2' },
      { name: "join with room 'Bad Name'", data: { t: 'join', room: 'Bad Name', ref: 'j3' }, expect: 'invalid', ref: 'j3' },
      { name: "join with room ''", data: { t: 'join', room: '', ref: 'j4' }, expect: 'invalid', ref: 'j4' },
      { name: 'join with a 65-character room', data: { t: 'join', room: long(65, 'a'), ref: 'j5' }, expect: 'invalid', ref: 'j5' },
      { name: "join with room '-x'", data: { t: 'join', room: '-x', ref: 'j6' }, expect: 'invalid', ref: 'j6' },
      { name: 'join with since -1', data: { t: 'join', room: ROOM, since: -1, ref: 'j7' }, expect: 'invalid', ref: 'j7' },
      { name: "join with since '3'", data: { t: 'join', room: ROOM, since: '3', ref: 'j8' }, expect: 'bad_frame', ref: 'j8' },
      { name: 'join with a 64-character room', data: { t: 'join', room: long(64, 'a'), ref: 'j9' }, expect: 'joined', ref: 'j9' },
      { name: 'join with ref 0', data: { t: 'join', room: ROOM, ref: 0 }, expect: 'joined', ref: 0 },
      // leave
      { name: 'leave without room', data: { t: 'leave', ref: 'l0' }, expect: 'bad_frame', ref: 'l0' },
      // send: body
      { name: "send with body ''", data: send({ body: '', ref: 's1' }), expect: 'invalid', ref: 's1' },
      { name: "send with body '   '", data: send({ body: '   ', ref: 's2' }), expect: 'invalid', ref: 's2' },
      { name: 'send with a body of tabs and newlines', data: send({ body: '\n\t \r\n', ref: 's3' }), expect: 'invalid', ref: 's3' },
      { name: 'send with a 4001-character body', data: send({ body: long(4001), ref: 's4' }), expect: 'invalid', ref: 's4' },
      { name: 'send with a body of 4001 emoji', data: send({ body: long(4001, EMOJI), ref: 's5' }), expect: 'invalid', ref: 's5' },
      { name: 'send without body', data: { t: 'send', room: ROOM, cid: 'nobody', ref: 's6' }, expect: 'bad_frame', ref: 's6' },
      { name: 'send with body as an integer', data: send({ body: 12, ref: 's7' }), expect: 'bad_frame', ref: 's7' },
      { name: 'send with a 4000-character body', data: send({ body: long(4000), ref: 's8' }), expect: 'ack', ref: 's8' },
      { name: 'send with a body of 4000 emoji', data: send({ body: long(4000, EMOJI), ref: 's9' }), expect: 'ack', ref: 's9' },
      // send: cid
      { name: "send with cid ''", data: send({ cid: '', ref: 'c1' }), expect: 'invalid', ref: 'c1' },
      { name: 'send with a 65-character cid', data: send({ cid: long(65, 'k'), ref: 'c2' }), expect: 'invalid', ref: 'c2' },
      { name: 'send without cid', data: { t: 'send', room: ROOM, body: 'x', ref: 'c3' }, expect: 'bad_frame', ref: 'c3' },
      { name: 'send with cid as an integer', data: send({ cid: 17, ref: 'c4' }), expect: 'bad_frame', ref: 'c4' },
      { name: 'send with a 64-character cid', data: send({ cid: long(64, 'k'), ref: 'c5' }), expect: 'ack', ref: 'c5' },
      { name: 'send with a cid of 64 emoji', data: send({ cid: long(64, EMOJI), ref: 'c6' }), expect: 'ack', ref: 'c6' },
      // not joined
      { name: 'send to a room not joined', data: send({ room: OTHER, ref: 'n1' }), expect: 'not_joined', ref: 'n1', room: OTHER },
      { name: 'typing in a room not joined', data: { t: 'typing', room: OTHER, ref: 'n2' }, expect: 'not_joined', ref: 'n2', room: OTHER },
      { name: 'send to a room not joined, without ref', data: send({ room: OTHER }), expect: 'not_joined', room: OTHER },
      { name: 'send to a bad room name (checked before membership)', data: send({ room: 'No Such', ref: 'n3' }), expect: 'invalid', ref: 'n3' },
      // ref
      { name: 'ref as a map', data: { t: 'join', room: ROOM, ref: { a: 1 } }, expect: 'bad_frame' },
      { name: 'ref as an array', data: { t: 'join', room: ROOM, ref: ['x'] }, expect: 'bad_frame' },
      { name: 'ref as a float', data: { t: 'join', room: ROOM, ref: 1.5 }, expect: 'bad_frame' },
      { name: 'ref as a boolean', data: { t: 'join', room: ROOM, ref: true }, expect: 'bad_frame' },
      { name: 'ref as nil', data: { t: 'join', room: ROOM, ref: null }, expect: 'bad_frame' },
      { name: 'a negative integer ref is echoed', data: { t: 'join', room: 'Bad Name', ref: -42 }, expect: 'invalid', ref: -42 },
    ];

    const accepted: Frame[] = [];

    it.each(cases)('$name → $expect', async (c) => {
      if (c.data instanceof Uint8Array) ws.sendRaw(Buffer.from(c.data));
      else if (typeof c.data.text === 'string' && Object.keys(c.data).length === 1) ws.sendRaw(c.data.text as string, false);
      else ws.send(c.data);
      const f = await reply(ws);
      if (c.expect === 'ack' || c.expect === 'joined') {
        expect(f.t).toBe(c.expect);
        expect(f.ref).toBe(c.ref);
        accepted.push({ ...(c.data as Frame), ack: f });
      } else {
        const want: Frame = { t: 'error', code: c.expect, message: expect.any(String) };
        if (c.ref !== undefined) want.ref = c.ref;
        if (c.room !== undefined) want.room = c.room;
        expect(f).toEqual(want);
      }
      expect(ws.closed).toBeUndefined();
    });

    it('accepted sends were broadcast with the body and cid as sent (emoji intact)', async () => {
      const acks = accepted.filter((a) => a.t === 'send');
      expect(acks).toHaveLength(4);
      for (const a of acks) {
        await ws.until((fs) => fs.some((m) => m.t === 'msg' && m.cid === a.cid));
        const msg = ws.all('msg', ROOM).find((m) => m.cid === a.cid)!;
        expect(msg).toEqual({ t: 'msg', room: ROOM, id: a.ack.id, seq: a.ack.seq, at: a.ack.at, user: u.user, body: a.body, cid: a.cid });
      }
      const page = await history(u.http, ROOM);
      expect(page.messages.map((m) => m.body)).toEqual(acks.map((a) => a.body));
      expect(page.messages.map((m) => m.cid)).toEqual(acks.map((a) => a.cid));
    });

    it('after the whole table, the same socket joins and sends', async () => {
      expect(ws.closed).toBeUndefined();
      await joinOk(ws, 'frames-after');
      const ack = await sendOk(ws, 'frames-after', 'still here', 'after-table');
      expect(ack.seq).toBe(1);
    });

    it('a frame using msgpackr records (ext 0x72) is bad_frame, and the socket stays usable', async () => {
      // fixext 1 of type 0x72 defines record 0 with keys [t, room, ref], then its values follow.
      const str = (s: string) => concat(bytes(0xa0 | s.length), Uint8Array.from(Buffer.from(s)));
      const frame = concat(bytes(0xd4, 0x72, 0x40, 0x93), str('t'), str('room'), str('ref'), str('join'), str('frames-rec'), str('rec'));
      ws.sendRaw(Buffer.from(frame));
      const f = await reply(ws);
      // Plain MessagePack only: the record extension is refused before msgpackr reads it.
      expect(f).toMatchObject({ t: 'error', code: 'bad_frame' });
      await sendOk(ws, 'frames-after', 'after the record', 'after-record');
    });

    it('join with since beyond the 32-bit seq range is answered as joined or invalid, not as a store failure', async () => {
      const f = await ws.request({ t: 'join', room: 'frames-after', since: 2 ** 31 });
      if (f.t === 'error') expect(f.code).toBe('invalid');
      else expect(f).toMatchObject({ t: 'joined', room: 'frames-after', messages: [] });
    });
  });

  // PostgreSQL text cannot hold U+0000. Let through, it would fail the group commit's one
  // statement for the whole batch, telling everyone in it "unavailable"; it is `invalid`.
  describe('U+0000 in a message', () => {
    let u: User;
    let ws: WsClient;
    beforeAll(async () => {
      u = await newUser(server, 'nul_sender');
      ws = await tab(u);
      await joinOk(ws, 'nul-room');
    });

    const refused = (f: Frame) => {
      expect(f).toMatchObject({ t: 'error', code: 'invalid' });
    };

    it('a body with U+0000 is refused as invalid', async () => {
      refused(await ws.request({ t: 'send', room: 'nul-room', body: 'nul\u0000inside', cid: 'nul-body' }));
    });

    it('a cid with U+0000 is refused as invalid', async () => {
      refused(await ws.request({ t: 'send', room: 'nul-room', body: 'plain', cid: 'nul\u0000cid' }));
    });

    it('POST with a U+0000 body is 400 invalid', async () => {
      const r = await u.http.post('/api/rooms/nul-room/messages', { body: 'nul\u0000again', cid: 'nul-http' });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid');
    });

    it("another user's send next to a U+0000 send is still acked", async () => {
      const victim = await newUser(server, 'nul_victim');
      const vw = await tab(victim);
      await joinOk(vw, 'nul-room');
      for (let i = 0; i < 5; i++) {
        // The primer starts a commit; what arrives while it is in flight goes in the next batch together.
        ws.send({ t: 'send', room: 'nul-room', body: 'primer', cid: `primer-${i}` });
        ws.send({ t: 'send', room: 'nul-room', body: 'poison\u0000', cid: `poison-${i}` });
        const f = await vw.request({ t: 'send', room: 'nul-room', body: 'innocent', cid: `innocent-${i}` });
        expect(f).toMatchObject({ t: 'ack', cid: `innocent-${i}` });
      }
    });

    it('the connection is still usable after all that', async () => {
      await sendOk(ws, 'nul-room', 'clean', 'nul-clean');
    });
  });

  describe('frame size (WS_MAX_FRAME_BYTES = 64 KiB)', () => {
    let u: User;
    beforeAll(async () => {
      u = await newUser(server, 'sizer');
    });

    it('a frame of 64 KiB + 1 byte closes the socket with 1009', async () => {
      const ws = await tab(u);
      ws.sendRaw(Buffer.alloc(64 * 1024 + 1, 0xc1));
      const closed = await ws.whenClosed();
      expect(closed.code).toBe(1009);
    });

    it('a text frame of 64 KiB + 1 byte closes with 1009 too', async () => {
      const ws = await tab(u);
      ws.sendRaw('x'.repeat(64 * 1024 + 1), false);
      expect((await ws.whenClosed()).code).toBe(1009);
    });

    it('junk frames of ~60 KiB and of exactly 64 KiB are bad_frame, and the socket stays open', async () => {
      const ws = await tab(u);
      for (const size of [60 * 1024, 64 * 1024]) {
        ws.sendRaw(Buffer.alloc(size, 0xc1));
        expect(await reply(ws)).toMatchObject({ t: 'error', code: 'bad_frame' });
      }
      expect(ws.closed).toBeUndefined();
    });

    it('a well-formed 60 KiB send (body far over 4000 characters) is invalid, and the socket stays open', async () => {
      const ws = await tab(u);
      await joinOk(ws, 'big-frames');
      const body = 'y'.repeat(60 * 1024);
      expect(encode({ t: 'send', room: 'big-frames', body, cid: 'big' }).byteLength).toBeLessThan(64 * 1024);
      const f = await ws.request({ t: 'send', room: 'big-frames', body, cid: 'big' });
      expect(f).toMatchObject({ t: 'error', code: 'invalid' });
      await sendOk(ws, 'big-frames', 'small one', 'small');
      expect(ws.closed).toBeUndefined();
    });

    it('a frame over the transport ceiling (1 MiB) closes that socket and nothing else', async () => {
      const bystander = await tab(u);
      await joinOk(bystander, 'ceiling');
      const ws = await tab(u);
      ws.sendRaw(Buffer.alloc(1024 * 1024 + 1, 0xc1));
      const closed = await ws.whenClosed();
      // The contract says 1009; Parley documents 1006 here (uWS cuts it off unread).
      expect([1009, 1006]).toContain(closed.code);
      await sendOk(bystander, 'ceiling', 'unaffected', 'ceiling-1');
      const fresh = await tab(u);
      await joinOk(fresh, 'ceiling');
    });
  });

  describe('retried cids', () => {
    it('the same cid twice (in flight together, and again later) is one message with one ack value', async () => {
      const u = await newUser(server, 'retrier');
      const ws = await tab(u);
      await joinOk(ws, 'retries');
      ws.send({ t: 'send', room: 'retries', body: 'once', cid: 'dup', ref: 'd1' });
      ws.send({ t: 'send', room: 'retries', body: 'once', cid: 'dup', ref: 'd2' });
      const a1 = await replyTo(ws, 'd1');
      const a2 = await replyTo(ws, 'd2');
      const a3 = await ws.request({ t: 'send', room: 'retries', body: 'a different body', cid: 'dup' });
      for (const a of [a1, a2, a3]) expect(a).toMatchObject({ t: 'ack', cid: 'dup', room: 'retries', id: a1.id, seq: 1, at: a1.at });
      await sendOk(ws, 'retries', 'next', 'next');
      expect(ws.all('msg', 'retries').map((m) => m.cid)).toEqual(['dup', 'next']);
      const page = await history(u.http, 'retries');
      expect(page.messages.map((m) => [m.seq, m.body])).toEqual([
        [1, 'once'],
        [2, 'next'],
      ]);
    });

    it('a cid posted over HTTP and sent again over WebSocket is the same message', async () => {
      const u = await newUser(server, 'crosser');
      const ws = await tab(u);
      await joinOk(ws, 'cross');
      const posted = await u.http.post('/api/rooms/cross/messages', { body: 'via http', cid: 'shared' });
      expect(posted.status).toBe(201);
      const ack = await ws.request({ t: 'send', room: 'cross', body: 'via ws', cid: 'shared' });
      expect(ack).toMatchObject({ t: 'ack', id: posted.body.id, seq: posted.body.seq, at: posted.body.at });
      expect((await history(u.http, 'cross')).messages).toHaveLength(1);
    });
  });

  describe('direct rooms', () => {
    let alice: User;
    let bob: User;
    let carol: User;
    let dm: string;
    beforeAll(async () => {
      alice = await newUser(server, 'dm_alice');
      bob = await newUser(server, 'dm_bob');
      carol = await newUser(server, 'dm_carol');
    });

    it('POST /api/dms opens one room for the pair: 201, then 200 with the same name, from either side', async () => {
      const first = await alice.http.post('/api/dms', { user: 'dm_bob' });
      expect(first.status).toBe(201);
      expect(first.body.room).toMatchObject({ kind: 'direct', with: bob.user, lastSeq: 0 });
      dm = first.body.room.name;
      expect(dm).toMatch(/^dm-/);
      const again = await alice.http.post('/api/dms', { user: 'DM_Bob' });
      expect(again.status).toBe(200);
      expect(again.body.room.name).toBe(dm);
      const back = await bob.http.post('/api/dms', { user: 'dm_alice' });
      expect(back.status).toBe(200);
      expect(back.body.room).toMatchObject({ name: dm, kind: 'direct', with: alice.user });
    });

    it('POST /api/dms: unknown user 404, yourself 400, not a name 400', async () => {
      const unknown = await alice.http.post('/api/dms', { user: 'nobody_at_all' });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('not_found');
      const self = await alice.http.post('/api/dms', { user: 'DM_ALICE' });
      expect(self.status).toBe(400);
      expect(self.body.error.code).toBe('invalid');
      for (const user of [42, 'no spaces', '']) {
        const bad = await alice.http.post('/api/dms', { user });
        expect(bad.status, JSON.stringify(user)).toBe(400);
      }
    });

    it('a third user is refused everywhere: WS join forbidden, HTTP 403 for the room, its history and posting', async () => {
      const ws = await tab(carol);
      const f = await ws.request({ t: 'join', room: dm, ref: 'peek' });
      expect(f).toEqual({ t: 'error', code: 'forbidden', message: expect.any(String), room: dm, ref: 'peek' });
      // Refused, and not joined: sending there is not_joined.
      expect(await ws.request({ t: 'send', room: dm, body: 'hi', cid: 'sneak' })).toMatchObject({ t: 'error', code: 'not_joined', room: dm });
      for (const r of [
        await carol.http.get(`/api/rooms/${dm}`),
        await carol.http.get(`/api/rooms/${dm}/messages`),
        await carol.http.post(`/api/rooms/${dm}/messages`, { body: 'let me in' }),
      ]) {
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe('forbidden');
      }
      expect(ws.closed).toBeUndefined();
    });

    it('the two members join, send and read it over HTTP', async () => {
      const a = await tab(alice);
      const b = await tab(bob);
      await joinOk(a, dm);
      const jb = await joinOk(b, dm);
      expect(jb.members).toEqual(expect.arrayContaining([alice.user, bob.user]));
      const ack = await sendOk(a, dm, 'just us', 'dm-1');
      const got = await b.next((f) => f.t === 'msg' && f.room === dm);
      expect(got).toMatchObject({ body: 'just us', user: alice.user, seq: ack.seq, id: ack.id });
      const posted = await bob.http.post(`/api/rooms/${dm}/messages`, { body: 'over http', cid: 'dm-2' });
      expect(posted.status).toBe(201);
      await a.until((fs) => fs.some((m) => m.t === 'msg' && m.cid === 'dm-2'));
      for (const who of [alice, bob]) {
        const page = await history(who.http, dm);
        expect(page.messages.map((m) => m.body)).toEqual(['just us', 'over http']);
        const room = await who.http.get(`/api/rooms/${dm}`);
        expect(room.status).toBe(200);
        expect(room.body.room).toMatchObject({ name: dm, kind: 'direct', lastSeq: 2 });
      }
      // Carol's refused joins and posts added nothing.
      expect((await history(alice.http, dm)).messages).toHaveLength(2);
    });

    it('GET /api/rooms lists the direct room to its members only, with the other member as `with`', async () => {
      const forBob = await bob.http.get('/api/rooms');
      expect(forBob.status).toBe(200);
      expect(forBob.body.rooms.find((r: Frame) => r.name === dm)).toMatchObject({ kind: 'direct', with: alice.user });
      const forAlice = await alice.http.get('/api/rooms');
      expect(forAlice.body.rooms.find((r: Frame) => r.name === dm)).toMatchObject({ kind: 'direct', with: bob.user });
      const forCarol = await carol.http.get('/api/rooms');
      expect(forCarol.status).toBe(200);
      expect(forCarol.body.rooms.map((r: Frame) => r.name)).not.toContain(dm);
      expect(forCarol.body.rooms.every((r: Frame) => r.kind === 'public')).toBe(true);
    });

    it('joining a missing dm- name is not_found and creates nothing; POST /api/rooms refuses dm- names', async () => {
      const ws = await tab(carol);
      const missing = 'dm-999998-999999';
      expect(await ws.request({ t: 'join', room: missing, ref: 'm' })).toEqual({ t: 'error', code: 'not_found', message: expect.any(String), room: missing, ref: 'm' });
      expect((await carol.http.get(`/api/rooms/${missing}`)).status).toBe(404);
      expect((await carol.http.get('/api/rooms')).body.rooms.map((r: Frame) => r.name)).not.toContain(missing);
      const made = await carol.http.post('/api/rooms', { name: 'dm-x' });
      expect(made.status).toBe(400);
      expect(made.body.error.code).toBe('invalid');
      expect((await carol.http.get('/api/rooms/dm-x')).status).toBe(404);
    });

    it('joining a missing public room creates it', async () => {
      const ws = await tab(carol);
      const j = await joinOk(ws, 'made-by-joining');
      expect(j).toMatchObject({ seq: 0, messages: [], members: [carol.user], truncated: false });
      const list = await carol.http.get('/api/rooms');
      expect(list.body.rooms.find((r: Frame) => r.name === 'made-by-joining')).toMatchObject({ kind: 'public', lastSeq: 0, online: 1 });
      // Other users see it as well.
      expect((await alice.http.get('/api/rooms')).body.rooms.map((r: Frame) => r.name)).toContain('made-by-joining');
    });
  });

  describe('HTTP messages', () => {
    let u: User;
    let ws: WsClient;
    beforeAll(async () => {
      u = await newUser(server, 'poster');
      ws = await tab(u);
      expect((await u.http.post('/api/rooms', { name: 'posts' })).status).toBe(201);
      await joinOk(ws, 'posts');
    });

    it('POST is 201 {id, seq, at} and a joined socket gets the msg', async () => {
      const r = await u.http.post('/api/rooms/posts/messages', { body: 'from http' });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ id: expect.any(Number), seq: 1, at: expect.any(Number) });
      const msg = await ws.next((f) => f.t === 'msg');
      expect(msg).toEqual({ t: 'msg', room: 'posts', id: r.body.id, seq: 1, at: r.body.at, user: u.user, body: 'from http', cid: expect.any(String) });
      expect(msg.cid.length).toBeGreaterThan(0);
    });

    it('the same cid twice is one message: both 201 with the same id and seq', async () => {
      const one = await u.http.post('/api/rooms/posts/messages', { body: 'idempotent', cid: 'http-cid' });
      const two = await u.http.post('/api/rooms/posts/messages', { body: 'idempotent', cid: 'http-cid' });
      expect(one.status).toBe(201);
      expect(two.status).toBe(201);
      expect(two.body).toEqual(one.body);
      const page = await history(u.http, 'posts');
      expect(page.messages.filter((m) => m.cid === 'http-cid')).toHaveLength(1);
    });

    it('bad bodies are 400 invalid, an unknown room 404, a bad room name 400, nothing stored', async () => {
      const before = (await history(u.http, 'posts')).messages.length;
      for (const body of [{ body: '' }, { body: '  \n ' }, { body: 'x'.repeat(4001) }, {}, { body: 7 }, { body: 'ok', cid: '' }, { body: 'ok', cid: 'k'.repeat(65) }]) {
        const r = await u.http.post('/api/rooms/posts/messages', body);
        expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(400);
        expect(r.body.error.code).toBe('invalid');
      }
      const missing = await u.http.post('/api/rooms/no-such-room/messages', { body: 'hello?' });
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('not_found');
      expect((await u.http.get('/api/rooms/no-such-room/messages')).status).toBe(404);
      expect((await u.http.post('/api/rooms/Bad%20Name/messages', { body: 'x' })).status).toBe(400);
      expect((await history(u.http, 'posts')).messages).toHaveLength(before);
      // Posting to a missing room did not create it.
      expect((await u.http.get('/api/rooms/no-such-room')).status).toBe(404);
    });

    it('history pages backwards with before and limit; more says whether older ones exist', async () => {
      expect((await u.http.post('/api/rooms', { name: 'pages' })).status).toBe(201);
      for (let i = 1; i <= 5; i++) {
        const r = await u.http.post('/api/rooms/pages/messages', { body: `m${i}`, cid: `p${i}` });
        expect(r.body.seq).toBe(i);
      }
      const seqs = (p: { messages: Frame[] }) => p.messages.map((m) => m.seq);
      const all = await history(u.http, 'pages');
      expect(seqs(all)).toEqual([1, 2, 3, 4, 5]);
      expect(all.more).toBe(false);
      expect(all.messages[0]).toEqual({ room: 'pages', id: expect.any(Number), seq: 1, at: expect.any(Number), user: u.user, body: 'm1', cid: 'p1' });
      const p1 = await history(u.http, 'pages', '?limit=2');
      expect([seqs(p1), p1.more]).toEqual([[4, 5], true]);
      const p2 = await history(u.http, 'pages', '?limit=2&before=4');
      expect([seqs(p2), p2.more]).toEqual([[2, 3], true]);
      const p3 = await history(u.http, 'pages', '?limit=2&before=2');
      expect([seqs(p3), p3.more]).toEqual([[1], false]);
      const p4 = await history(u.http, 'pages', '?limit=4&before=5');
      expect([seqs(p4), p4.more]).toEqual([[1, 2, 3, 4], false]);
      const p5 = await history(u.http, 'pages', '?limit=3&before=5');
      expect([seqs(p5), p5.more]).toEqual([[2, 3, 4], true]);
      const none = await history(u.http, 'pages', '?before=1');
      expect([seqs(none), none.more]).toEqual([[], false]);
      expect(seqs(await history(u.http, 'pages', '?limit=100'))).toEqual([1, 2, 3, 4, 5]);
      expect(seqs(await history(u.http, 'pages', '?limit=1'))).toEqual([5]);
    });

    it.each(['limit=0', 'limit=101', 'limit=x', 'limit=1.5', 'limit=-1', 'before=0', 'before=x', 'before=-3'])('history ?%s is 400 invalid', async (q) => {
      const r = await u.http.get(`/api/rooms/posts/messages?${q}`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid');
    });
  });

  describe('session revocation closes the sockets of that session only', () => {
    it('logout closes its sockets with 1008; a password change closes the other sessions’ sockets', async () => {
      const password = 'correct horse battery';
      const s1 = await newUser(server, 'revoker');
      const login = async () => {
        const c = new Client(server.url);
        const r = await c.post('/api/auth/login', { username: 'revoker', password });
        expect(r.status).toBe(200);
        return c;
      };
      const s2 = await login();
      const s3 = await login();
      const w1 = track(await WsClient.connect(server.url, s1.http.cookie));
      const w1b = track(await WsClient.connect(server.url, s1.http.cookie));
      const w2 = track(await WsClient.connect(server.url, s2.cookie));
      const w3 = track(await WsClient.connect(server.url, s3.cookie));
      for (const w of [w1, w1b, w2, w3]) await joinOk(w, 'revocation');

      const cookie3 = s3.cookie!;
      expect((await s1.http.post('/api/auth/logout')).status).toBe(204);
      expect((await w1.whenClosed()).code).toBe(1008);
      expect((await w1b.whenClosed()).code).toBe(1008);
      expect(await w2.request({ t: 'join', room: 'revocation-2' })).toMatchObject({ t: 'joined' });
      expect(await w3.request({ t: 'join', room: 'revocation-2' })).toMatchObject({ t: 'joined' });
      expect(w2.closed).toBeUndefined();
      expect(w3.closed).toBeUndefined();

      expect((await s2.post('/api/auth/password', { current: password, next: 'a brand new password' })).status).toBe(204);
      expect((await w3.whenClosed()).code).toBe(1008);
      await sendOk(w2, 'revocation', 'still connected', 'after-password');
      expect(w2.closed).toBeUndefined();
      // The revoked sessions cannot open new sockets; the surviving one can.
      expect((await refusal(server, cookie3)).status).toBe(401);
      const w2b = track(await WsClient.connect(server.url, s2.cookie));
      await joinOk(w2b, 'revocation');
    });
  });
});

// ===================================================================================
// Low limits
// ===================================================================================
describe('with low limits', () => {
  let server: TestServer;
  // The send limit's wait is jumped, not slept.
  const clock = new JumpingClock();
  beforeAll(async () => {
    server = await startTestServer({
      CONNECTIONS_PER_USER: '2',
      SEND_RATE: '1',
      SEND_BURST: '3',
      ROOMS_PER_CONNECTION: '2',
      TYPING_INTERVAL_MS: '60000',
    }, { clock });
  });
  afterAll(async () => {
    closeAll();
    await server?.cleanup();
  });

  it('CONNECTIONS_PER_USER=2: the third upgrade is 429 too_many_connections; closing one makes room', async () => {
    const u = await newUser(server, 'many_tabs');
    const t1 = await tab(u);
    const t2 = await tab(u);
    const third = await refusal(server, u.http.cookie);
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ error: { code: 'too_many_connections', message: expect.any(String) } });
    // Per user: someone else still gets in.
    const other = await newUser(server, 'other_tabs');
    await tab(other);

    t1.close();
    await t1.whenClosed();
    let t3: WsClient | undefined;
    for (let i = 0; i < 40 && !t3; i++) {
      t3 = await WsClient.connect(server.url, u.http.cookie).then(track, async (err: { status?: number }) => {
        if (err.status !== 429) throw err;
        await sleep(50); // the server may not have seen the close yet
        return undefined;
      });
    }
    expect(t3).toBeDefined();
    await joinOk(t3!, 'tabs');
    // Back at the limit: the count did not drift.
    expect((await refusal(server, u.http.cookie)).status).toBe(429);
    expect(t2.closed).toBeUndefined();
  });

  it('six upgrades at once for one user: exactly two open, four 429', async () => {
    const u = await newUser(server, 'rush_tabs');
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => WsClient.connect(server.url, u.http.cookie)));
    const opened = results.flatMap((r) => (r.status === 'fulfilled' ? [track(r.value)] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { status?: number }).status] : []));
    expect(opened).toHaveLength(2);
    expect(refused).toEqual([429, 429, 429, 429]);
    for (const ws of opened) await joinOk(ws, 'rush');
  });

  it('SEND_RATE=1 SEND_BURST=3: the 4th quick send is rate_limited with retry_after; the socket stays; the retry is acked', async () => {
    const u = await newUser(server, 'chatty');
    const ws = await tab(u);
    await joinOk(ws, 'rl');
    for (let i = 1; i <= 4; i++) ws.send({ t: 'send', room: 'rl', body: `burst ${i}`, cid: `b${i}`, ref: `b${i}` });
    const replies = [];
    for (let i = 1; i <= 4; i++) replies.push(await replyTo(ws, `b${i}`));
    for (let i = 0; i < 3; i++) expect(replies[i]).toMatchObject({ t: 'ack', cid: `b${i + 1}`, seq: i + 1 });
    const limited = replies[3]!;
    expect(limited).toEqual({ t: 'error', code: 'rate_limited', message: expect.any(String), room: 'rl', ref: 'b4', retry_after: expect.any(Number) });
    expect(Number.isInteger(limited.retry_after)).toBe(true);
    expect(limited.retry_after).toBeGreaterThan(0);
    expect(limited.retry_after).toBeLessThanOrEqual(1000);
    expect(ws.closed).toBeUndefined();

    // The refused message was not stored.
    const page = await history(u.http, 'rl');
    expect(page.messages.map((m) => m.cid)).toEqual(['b1', 'b2', 'b3']);

    clock.jump(limited.retry_after);
    const retry = await ws.request({ t: 'send', room: 'rl', body: 'burst 4', cid: 'b4' });
    expect(retry).toMatchObject({ t: 'ack', cid: 'b4', seq: 4 });
    expect((await history(u.http, 'rl')).messages.map((m) => m.cid)).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(ws.all('msg', 'rl').map((m) => m.cid)).toEqual(['b1', 'b2', 'b3', 'b4']);
  });

  it('the send bucket is per connection: another tab of the same user can still send', async () => {
    const u = await newUser(server, 'two_buckets');
    const a = await tab(u);
    const b = await tab(u);
    await joinOk(a, 'rl-tabs');
    await joinOk(b, 'rl-tabs');
    for (let i = 1; i <= 4; i++) a.send({ t: 'send', room: 'rl-tabs', body: `a${i}`, cid: `a${i}`, ref: `a${i}` });
    expect(await replyTo(a, 'a4')).toMatchObject({ t: 'error', code: 'rate_limited' });
    await sendOk(b, 'rl-tabs', 'from b', 'b1');
  });

  it('HTTP posts have a per-user bucket too: the 4th quick post is 429 rate_limited with Retry-After, not stored', async () => {
    const u = await newUser(server, 'http_chatty');
    expect((await u.http.post('/api/rooms', { name: 'rl-http' })).status).toBe(201);
    for (let i = 1; i <= 3; i++) expect((await u.http.post('/api/rooms/rl-http/messages', { body: `h${i}`, cid: `h${i}` })).status).toBe(201);
    const fourth = await u.http.post('/api/rooms/rl-http/messages', { body: 'h4', cid: 'h4' });
    expect(fourth.status).toBe(429);
    expect(fourth.body.error.code).toBe('rate_limited');
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await history(u.http, 'rl-http')).messages.map((m) => m.cid)).toEqual(['h1', 'h2', 'h3']);
  });

  it('typing reaches the others in the room, not the typing socket; a second one within the interval is dropped', async () => {
    const alice = await newUser(server, 'ty_alice');
    const bob = await newUser(server, 'ty_bob');
    const room = 'typing-room';
    const a = await tab(alice);
    const b1 = await tab(bob);
    const b2 = await tab(bob); // another tab of bob
    for (const w of [a, b1, b2]) await joinOk(w, room);

    b1.send({ t: 'typing', room, ref: 'ty1' });
    const seen = await a.next((f) => f.t === 'typing');
    expect(seen).toEqual({ t: 'typing', room, user: bob.user });
    // The server leaves out only the sending socket, so bob's other tab hears bob typing.
    expect(await b2.next((f) => f.t === 'typing')).toEqual({ t: 'typing', room, user: bob.user });

    // Within TYPING_INTERVAL_MS (60 s here): dropped, from the same tab and from the other one.
    b1.send({ t: 'typing', room });
    b2.send({ t: 'typing', room });
    // Barriers: a send after the typing on each of bob's sockets; its msg reaches alice after
    // any typing that socket's notice would have published.
    await sendOk(b1, room, 'barrier 1', 'ty-barrier-1');
    await sendOk(b2, room, 'barrier 2', 'ty-barrier-2');
    await a.until((fs) => ['ty-barrier-1', 'ty-barrier-2'].every((cid) => fs.some((f) => f.t === 'msg' && f.cid === cid)));
    await b1.until((fs) => fs.some((f) => f.t === 'msg' && f.cid === 'ty-barrier-2'));
    expect(a.all('typing', room)).toHaveLength(1);
    expect(b2.all('typing', room)).toHaveLength(1);
    expect(b1.all('typing')).toEqual([]);
    // typing is answered by nothing, even with a ref.
    expect(b1.frames.filter((f) => f.ref === 'ty1')).toEqual([]);

    // The throttle is per user: alice's first notice goes out to both of bob's tabs.
    a.send({ t: 'typing', room });
    expect(await b1.next((f) => f.t === 'typing')).toEqual({ t: 'typing', room, user: alice.user });
    await b2.until((fs) => fs.filter((f) => f.t === 'typing').length === 2);
    expect(b2.all('typing', room).at(-1)).toEqual({ t: 'typing', room, user: alice.user });
    await sendOk(b1, room, 'barrier 3', 'ty-barrier-3');
    await a.until((fs) => fs.some((f) => f.t === 'msg' && f.cid === 'ty-barrier-3'));
    expect(a.all('typing', room)).toHaveLength(1);
  });

  it('ROOMS_PER_CONNECTION=2: the third join is too_many_rooms; rejoining is free; after a leave a join works', async () => {
    const u = await newUser(server, 'roomy');
    const ws = await tab(u);
    await joinOk(ws, 'r-one');
    await joinOk(ws, 'r-two');
    expect(await ws.request({ t: 'join', room: 'r-three', ref: 'third' })).toEqual({
      t: 'error',
      code: 'too_many_rooms',
      message: expect.any(String),
      room: 'r-three',
      ref: 'third',
    });
    await joinOk(ws, 'r-one'); // already joined: not a third room
    expect(await ws.request({ t: 'leave', room: 'r-one' })).toMatchObject({ t: 'left', room: 'r-one' });
    await joinOk(ws, 'r-three');
    // Left for real: sending to r-one is not_joined; the joined ones take sends.
    expect(await ws.request({ t: 'send', room: 'r-one', body: 'x', cid: 'x1' })).toMatchObject({ t: 'error', code: 'not_joined', room: 'r-one' });
    await sendOk(ws, 'r-three', 'in three', 'x2');
    expect(ws.closed).toBeUndefined();
  });

  it('ROOMS_PER_CONNECTION counts joins still in progress: three joins at once give two joined and one too_many_rooms', async () => {
    const u = await newUser(server, 'roomy_fast');
    const ws = await tab(u);
    for (const room of ['q-one', 'q-two', 'q-three']) ws.send({ t: 'join', room, ref: room });
    const replies = [];
    for (const room of ['q-one', 'q-two', 'q-three']) replies.push(await replyTo(ws, room));
    expect(replies.map((f) => f.t)).toEqual(['joined', 'joined', 'error']);
    expect(replies[2]).toMatchObject({ code: 'too_many_rooms', room: 'q-three' });
  });
});
