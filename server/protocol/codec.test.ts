import { describe, expect, it } from 'vitest';
import { decode as plainDecode, encode as plainEncode, ExtData } from '@msgpack/msgpack';
import { Packr } from 'msgpackr';
import { decodeFrame, encodeFrame } from './codec.js';
import { frameParser } from './client-frames.js';
import type { ServerFrame } from './frames.js';

/**
 * The MessagePack type of every value in `bytes`, read straight from the format (spec:
 * github.com/msgpack/msgpack/blob/master/spec.md), independent of both libraries. Throws
 * when the bytes are not exactly one well-formed value.
 */
type Kind = 'nil' | 'bool' | 'int' | 'float' | 'str' | 'bin' | 'array' | 'map' | 'ext';
function scan(bytes: Uint8Array): Array<{ kind: Kind; at: number; path: string }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seen: Array<{ kind: Kind; at: number; path: string }> = [];
  let pos = 0;
  const skip = (n: number): void => {
    if (pos + n > bytes.length) throw new Error(`truncated at ${pos}`);
    pos += n;
  };
  const u8 = (): number => (skip(1), view.getUint8(pos - 1));
  const u16 = (): number => (skip(2), view.getUint16(pos - 2));
  const u32 = (): number => (skip(4), view.getUint32(pos - 4));
  const items = (n: number, path: string): void => {
    for (let i = 0; i < n; i++) value(`${path}[${i}]`);
  };
  const entries = (n: number, path: string): void => {
    for (let i = 0; i < n; i++) {
      const keyAt = pos;
      value(`${path}<key>`);
      seen.pop(); // the key itself is not interesting; read it back to name the path
      value(`${path}.${String(plainDecode(bytes.subarray(keyAt, pos)))}`);
    }
  };
  /** [kind, payload bytes to skip] for the fixed-layout markers. */
  const fixed: Record<number, [Kind, number]> = {
    0xc0: ['nil', 0], 0xc2: ['bool', 0], 0xc3: ['bool', 0],
    0xca: ['float', 4], 0xcb: ['float', 8],
    0xcc: ['int', 1], 0xcd: ['int', 2], 0xce: ['int', 4], 0xcf: ['int', 8],
    0xd0: ['int', 1], 0xd1: ['int', 2], 0xd2: ['int', 4], 0xd3: ['int', 8],
    0xd4: ['ext', 2], 0xd5: ['ext', 3], 0xd6: ['ext', 5], 0xd7: ['ext', 9], 0xd8: ['ext', 17],
  };
  function value(path: string): void {
    const at = pos;
    const b = u8();
    const note = (kind: Kind) => void seen.push({ kind, at, path });
    if (b <= 0x7f || b >= 0xe0) return note('int');
    if (b <= 0x8f) return note('map'), entries(b & 0x0f, path);
    if (b <= 0x9f) return note('array'), items(b & 0x0f, path);
    if (b <= 0xbf) return note('str'), skip(b & 0x1f);
    const f = fixed[b];
    if (f) return note(f[0]), skip(f[1]);
    switch (b) {
      case 0xc4: return note('bin'), skip(u8());
      case 0xc5: return note('bin'), skip(u16());
      case 0xc6: return note('bin'), skip(u32());
      case 0xc7: return note('ext'), skip(u8() + 1);
      case 0xc8: return note('ext'), skip(u16() + 1);
      case 0xc9: return note('ext'), skip(u32() + 1);
      case 0xd9: return note('str'), skip(u8());
      case 0xda: return note('str'), skip(u16());
      case 0xdb: return note('str'), skip(u32());
      case 0xdc: return note('array'), items(u16(), path);
      case 0xdd: return note('array'), items(u32(), path);
      case 0xde: return note('map'), entries(u16(), path);
      case 0xdf: return note('map'), entries(u32(), path);
    }
    throw new Error(`byte 0x${b.toString(16)} at ${at} is not a MessagePack type`);
  }
  value('$');
  if (pos !== bytes.length) throw new Error(`${bytes.length - pos} bytes after the value`);
  return seen;
}

const alice = { id: 1, name: 'alice' };
const NOW = 1_767_225_600_000; // 2026-01-01, a realistic `at`

const frames: ServerFrame[] = [
  { t: 'joined', room: 'lobby', seq: 0, members: [], messages: [], truncated: false },
  {
    t: 'joined',
    room: 'lobby',
    seq: 2,
    members: [alice, { id: 2, name: 'bob' }],
    messages: [
      { room: 'lobby', id: 10, seq: 1, at: NOW, user: alice, body: 'hi', cid: 'c1' },
      { room: 'lobby', id: 11, seq: 2, at: NOW + 1, user: alice, body: 'there', cid: 'c2' },
    ],
    truncated: true,
    ref: 'j1',
  },
  { t: 'left', room: 'lobby', ref: 3 },
  { t: 'ack', cid: 'c1', room: 'lobby', id: 10, seq: 1, at: NOW, ref: 'r1' },
  { t: 'msg', room: 'lobby', id: 2 ** 31 - 1, seq: 2 ** 31 - 1, at: NOW, user: alice, body: '\u{1F600} caf\u00e9 \u0000 \ud7ff', cid: 'x'.repeat(64) },
  { t: 'presence', room: 'lobby', joins: [alice], leaves: [{ id: 2, name: 'bob' }] },
  { t: 'typing', room: 'lobby', user: alice },
  { t: 'error', code: 'rate_limited', message: 'slow down', room: 'lobby', retry_after: 100, ref: -1 },
  { t: 'error', code: 'bad_frame', message: 'm' },
  { t: 'msg', room: 'r', id: 1, seq: 1, at: NOW, user: alice, body: 'b'.repeat(70_000), cid: 'long' },
];

describe('codec', () => {
  it.each(frames.map((f) => [f.t, f] as const))('%s: round-trips through encodeFrame/decodeFrame', (_t, frame) => {
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
  });

  it.each(frames.map((f) => [f.t, f] as const))('%s: plain MessagePack (@msgpack/msgpack) reads the same object', (_t, frame) => {
    const decoded = plainDecode(encodeFrame(frame));
    expect(decoded).toEqual(frame);
  });

  it.each(frames.map((f) => [f.t, f] as const))('%s: is exactly one map, with no extension type anywhere', (_t, frame) => {
    const kinds = scan(encodeFrame(frame));
    expect(kinds[0]!.kind).toBe('map');
    expect(kinds.filter((k) => k.kind === 'ext')).toEqual([]);
  });

  it('repeated shapes (many messages of one structure) never turn into records', () => {
    // msgpackr's records kick in for repeated object shapes; pack many of them, repeatedly.
    const messages = Array.from({ length: 200 }, (_, i) => ({ room: 'lobby', id: i + 1, seq: i + 1, at: NOW + i, user: alice, body: `m${i}`, cid: `c${i}` }));
    for (let round = 0; round < 3; round++) {
      const bytes = encodeFrame({ t: 'joined', room: 'lobby', seq: 200, members: [alice], messages, truncated: false });
      expect(scan(bytes).filter((k) => k.kind === 'ext')).toEqual([]);
      expect(plainDecode(bytes)).toMatchObject({ messages });
      for (const m of messages.slice(0, 20)) {
        const one = encodeFrame({ t: 'msg', ...m });
        expect(scan(one).filter((k) => k.kind === 'ext')).toEqual([]);
        expect(plainDecode(one)).toEqual({ t: 'msg', ...m });
      }
    }
  });

  it('keys holding undefined are left out, and undefined in a list is nil, never an extension', () => {
    const bytes = encodeFrame({ t: 'error', code: 'internal', message: 'm', room: undefined, nested: { a: undefined }, list: [undefined, 1] });
    const kinds = scan(bytes);
    expect(kinds.filter((k) => k.kind === 'ext')).toEqual([]);
    expect(kinds.filter((k) => k.kind === 'nil').map((k) => k.path)).toEqual(['$.list[0]']);
    const decoded = plainDecode(bytes);
    expect(decoded).toEqual({ t: 'error', code: 'internal', message: 'm', nested: {}, list: [null, 1] });
  });

  it('a plain decoder finds no ExtData anywhere in any frame', () => {
    const hasExt = (v: unknown): boolean =>
      v instanceof ExtData || (typeof v === 'object' && v !== null && Object.values(v).some(hasExt));
    for (const f of frames) expect(hasExt(plainDecode(encodeFrame(f))), f.t).toBe(false);
  });

  it('integers up to 2^32 are MessagePack ints', () => {
    const kinds = scan(encodeFrame({ a: 0, b: 127, c: -32, d: 255, e: 65_535, f: 2 ** 31 - 1, g: 2 ** 32 - 1, h: -(2 ** 31) }));
    expect(kinds.slice(1).map((k) => `${k.path}:${k.kind}`)).toEqual(['$.a:int', '$.b:int', '$.c:int', '$.d:int', '$.e:int', '$.f:int', '$.g:int', '$.h:int']);
  });

  // BUG (server/protocol/codec.ts, encodeFrame): msgpackr writes integers beyond 32 bits as
  // float64, so every `at` (ms since the epoch, ~1.7e12) goes out as a MessagePack float. The
  // contract says `at: int`; a typed client (Go, Rust, Python `isinstance(at, int)`, a Java
  // unpacker asking for a long) gets a float. JS clients do not notice.
  it('`at` (ms since the epoch) is written as a MessagePack int, not a float', () => {
    const kinds = scan(encodeFrame({ t: 'ack', cid: 'c1', room: 'lobby', id: 1, seq: 1, at: NOW }));
    expect(kinds.find((k) => k.path === '$.at')?.kind).toBe('int');
  });

  it('writes a string with a lone surrogate as UTF-8, U+FFFD in its place, never CESU-8 bytes', () => {
    // Found by the fuzzer: a JSON "\ud800" in a posted body reached every socket in the room as
    // bytes ED A0 80, which no strict MessagePack reader takes (@msgpack/msgpack gives the
    // surrogate back; the server's own decoder refuses them).
    const bytes = encodeFrame({ t: 'msg', room: 'r', id: 1, seq: 1, at: NOW, user: alice, body: 'a\ud800b\udc00', cid: '\ud83d' });
    expect(plainDecode(bytes)).toMatchObject({ body: 'a\ufffdb\ufffd', cid: '\ufffd' });
    expect(decodeFrame(bytes)).toMatchObject({ body: 'a\ufffdb\ufffd', cid: '\ufffd' });
    // A whole pair stays as it is.
    expect(plainDecode(encodeFrame({ body: '\ud83d\ude00' }))).toEqual({ body: '\u{1F600}' });
  });

  it('safe integers beyond 32 bits and fractions keep their value through a plain decoder', () => {
    const value = { a: NOW, b: Number.MAX_SAFE_INTEGER, c: -Number.MAX_SAFE_INTEGER, d: 0.5, e: -1.25 };
    expect(plainDecode(encodeFrame(value))).toEqual(value);
    expect(decodeFrame(encodeFrame(value))).toEqual(value);
  });

  it('decodes what a plain MessagePack library writes (what clients send)', () => {
    const frame = { t: 'send', room: 'lobby', body: 'h\u00e9llo \u{1F600}', cid: 'c1', ref: 12 };
    expect(decodeFrame(plainEncode(frame))).toEqual(frame);
    expect(decodeFrame(plainEncode({ t: 'join', room: 'lobby', since: NOW }))).toEqual({ t: 'join', room: 'lobby', since: NOW });
    // 64-bit ints from clients come back as numbers, not BigInt.
    const big = new Uint8Array([0x81, 0xa1, 0x6e, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(decodeFrame(big)).toEqual({ n: 2 ** 32 });
  });

  it('refuses two frames concatenated in one message', () => {
    const one = encodeFrame({ t: 'join', room: 'a' });
    const two = new Uint8Array([...one, ...encodeFrame({ t: 'join', room: 'b' })]);
    expect(() => decodeFrame(two)).toThrow();
    expect(() => decodeFrame(new Uint8Array([...plainEncode({ t: 'leave', room: 'a' }), 0xc0]))).toThrow();
    expect(() => decodeFrame(new Uint8Array([0x80, 0x80]))).toThrow();
  });

  it('refuses empty and truncated input', () => {
    expect(() => decodeFrame(new Uint8Array())).toThrow();
    const whole = plainEncode({ t: 'send', room: 'lobby', body: 'hello', cid: 'c1' });
    for (let n = 1; n < whole.length; n++) expect(() => decodeFrame(whole.subarray(0, n)), `first ${n} bytes`).toThrow();
  });

  it('refuses strings that are not UTF-8, which would otherwise decode to U+FFFD', () => {
    // {t:'send', room:'a', body:'x', cid: <bytes>} with the cid's str bytes given raw.
    const frame = (cid: number[]) =>
      new Uint8Array([0x84, 0xa1, 0x74, 0xa4, ...Buffer.from('send'), 0xa4, ...Buffer.from('room'), 0xa1, 0x61, 0xa4, ...Buffer.from('body'), 0xa1, 0x78, 0xa3, ...Buffer.from('cid'), 0xa0 | cid.length, ...cid]);
    // Two different invalid cids that a lenient decoder reads as the same "\uFFFD".
    expect(() => decodeFrame(frame([0xff]))).toThrow(/UTF-8/);
    expect(() => decodeFrame(frame([0xfe]))).toThrow(/UTF-8/);
    expect(() => decodeFrame(frame([0xc3]))).toThrow(/UTF-8/); // truncated sequence
    expect(() => decodeFrame(frame([0xed, 0xa0, 0x80]))).toThrow(/UTF-8/); // a lone surrogate
    // str8 form, and inside a nested value
    expect(() => decodeFrame(new Uint8Array([0x81, 0xa1, 0x74, 0xd9, 0x01, 0xff]))).toThrow(/UTF-8/);
    expect(() => decodeFrame(new Uint8Array([0x81, 0xa1, 0x74, 0x91, 0xa1, 0x80]))).toThrow(/UTF-8/);
    // Valid multi-byte text and binary data pass.
    expect(decodeFrame(frame([...Buffer.from('é😀')]))).toMatchObject({ cid: 'é😀' });
    expect(decodeFrame(new Uint8Array([0x81, 0xa1, 0x62, 0xc4, 0x01, 0xff]))).toEqual({ b: new Uint8Array([0xff]) });
  });

  // What the gateway does with bytes: decodeFrame, then the frame parser. Whatever is not one
  // plain map with a known `t` must end as bad_frame, never as a valid frame.
  const parse = frameParser({ maxBodyChars: 4000 });
  const gateway = (bytes: Uint8Array) => {
    let value: unknown;
    try {
      value = decodeFrame(bytes);
    } catch {
      return 'bad_frame';
    }
    const r = parse(value);
    return r.ok ? 'ok' : r.code;
  };

  it('non-map values and odd bytes end as bad_frame', () => {
    expect(gateway(new Uint8Array([0xc1]))).toBe('bad_frame'); // "never used" byte
    expect(gateway(new Uint8Array([0xd6, 0xff, 0, 0, 0, 1]))).toBe('bad_frame'); // timestamp ext
    expect(gateway(new Uint8Array([0xd4, 0x05, 0x00]))).toBe('bad_frame'); // unknown ext
    expect(gateway(new Uint8Array([0xd4, 0x00, 0x00]))).toBe('bad_frame'); // msgpackr's undefined
    expect(gateway(plainEncode([{ t: 'join', room: 'a' }]))).toBe('bad_frame');
    expect(gateway(plainEncode('join'))).toBe('bad_frame');
    expect(gateway(plainEncode(new Uint8Array([1, 2])))).toBe('bad_frame');
    expect(gateway(plainEncode({ t: 'join', room: 'a' }))).toBe('ok');
  });

  it('a __proto__ key does not smuggle fields in through the prototype', () => {
    // { "__proto__": { t: "join", room: "x" } } written by hand.
    const key = [...Buffer.from('__proto__')];
    const bytes = new Uint8Array([0x81, 0xa9, ...key, 0x82, 0xa1, 0x74, 0xa4, ...Buffer.from('join'), 0xa4, ...Buffer.from('room'), 0xa1, 0x78]);
    const value = decodeFrame(bytes) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.t).toBeUndefined();
    expect(gateway(bytes)).toBe('bad_frame');
  });

  // The contract allows only plain MessagePack maps: a msgpackr record (ext type 0x72, as a
  // msgpackr client with useRecords: true writes it) is not one, though msgpackr reads it.
  it('a msgpackr record frame is refused as bad_frame', () => {
    const record = new Packr({ useRecords: true }).pack({ t: 'join', room: 'x' });
    expect(record[0]).toBe(0xd4); // an ext, not a map: no plain decoder reads it as the frame
    expect(() => plainDecode(record)).toThrow();
    expect(gateway(record)).toBe('bad_frame');
    expect(() => decodeFrame(record)).toThrow();
  });

  it('an extension value inside an otherwise valid frame is refused', () => {
    // { t: 'join', room: 'x', since: <fixext1 type 5> } and the same with msgpackr's undefined ext.
    const head = [0x83, 0xa1, 0x74, 0xa4, ...Buffer.from('join'), 0xa4, ...Buffer.from('room'), 0xa1, 0x78, 0xa5, ...Buffer.from('since')];
    expect(gateway(new Uint8Array([...head, 0xd4, 0x05, 0x00]))).toBe('bad_frame');
    expect(gateway(new Uint8Array([...head, 0xd4, 0x00, 0x00]))).toBe('bad_frame');
    expect(gateway(new Uint8Array([...head, 0x00]))).toBe('ok');
  });
});
