/**
 * WebSocket frames for the fuzzer, each with what the contract says must follow it. Frames of
 * every client type with hostile field values (numbers huge, negative, fractional, NaN; strings
 * long, empty, with U+0000, not UTF-8; nested maps and arrays; ext types), maps with odd keys,
 * values that are not maps, bytes cut short or followed by more, text frames, oversized frames.
 *
 * What follows a frame (the server answers each frame on its own, in the order of its work):
 *   one        exactly one direct reply (error, joined, left or ack)
 *   zeroOrOne  a `typing` (nothing when it is allowed), or bytes too mangled to predict
 *   badFrame   exactly one `error` with code bad_frame and no ref: not one plain MessagePack value,
 *              a string that is not UTF-8, a text frame
 *   close1009  the socket closes with 1009 (larger than the frame limit)
 */
import { Dice } from './dice.js';
import { map, obj, pack, type Packable, type Special } from './msgpack-raw.js';

export type FrameExpectation = 'one' | 'zeroOrOne' | 'badFrame' | 'close1009';

export interface FuzzFrame {
  index: number;
  notes: string[];
  data: Uint8Array | string;
  binary: boolean;
  expect: FrameExpectation;
  /** The ref the reply must carry (none when undefined): what the server can echo, a string of at most 128 UTF-16 units or a safe integer. */
  ref?: string | number;
  /** Bytes too mangled to say which ref, if any, the reply carries. */
  anyRef?: boolean;
  /**
   * A string ref within 128 code points but over 128 UTF-16 units: the schema takes it (and a
   * valid frame's reply echoes it), the error path measures it in UTF-16 units and drops it.
   */
  refLengthAmbiguous?: boolean;
  /** Holds a string that is not UTF-8. */
  invalidUtf8: boolean;
}

export interface FrameLimits {
  maxFrameBytes: number;
}

const KINDS = { valid: 25, hostileFields: 33, oddKeys: 8, nonMap: 6, cut: 6, trailing: 4, flipped: 4, utf8: 6, text: 4, deep: 3, oversize: 1 } as const;
const TYPES = ['join', 'leave', 'send', 'typing'] as const;

/** Rooms the fuzzer's frames name: a small pool, so joins find rooms again and sends reach joined ones. */
export const FUZZ_ROOMS = Array.from({ length: 12 }, (_, i) => `wz-${i}`);

export function fuzzFrame(seed: number, index: number, limits: FrameLimits): FuzzFrame {
  const f = drawFrame(seed, index, limits);
  const size = typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.length;
  // Long hostile values can add up past the limit: then the frame is an oversized one.
  if (size > limits.maxFrameBytes && f.expect !== 'close1009') return { ...f, expect: 'close1009', notes: [...f.notes, `${size} bytes in all`] };
  if (typeof f.ref === 'string' && f.ref.length > 128) return { ...f, refLengthAmbiguous: true };
  return f;
}

function drawFrame(seed: number, index: number, limits: FrameLimits): FuzzFrame {
  const d = Dice.forCase(seed, 'ws', index);
  const kind = d.weighted(KINDS);
  const notes: string[] = [kind];
  const ref = d.chance(0.9) ? (d.chance(0.5) ? `f${index}` : index) : undefined;
  const base = baseFrame(d, ref);
  const frame = (value: Packable, expect: FrameExpectation, extra: Partial<FuzzFrame> = {}): FuzzFrame => ({
    index, notes, data: pack(value), binary: true, expect, ref: echoable(base.fields.ref), invalidUtf8: false, ...extra,
  });
  const typed = (fields: Record<string, Packable | undefined>) => (fields.t === 'typing' ? 'zeroOrOne' : 'one');
  notes.push(String(base.fields.t));

  switch (kind) {
    case 'valid':
      return frame(obj(base.fields), typed(base.fields));
    case 'hostileFields': {
      const fields = { ...base.fields };
      const keys = d.shuffle(['t', 'room', 'since', 'body', 'cid', 'ref', 'extra']).slice(0, d.int(1, 3));
      let decodes = true;
      for (const k of keys) {
        const h = hostileValue(d);
        fields[k] = h.value;
        decodes &&= h.decodes;
        notes.push(`${k}=${h.note}`);
      }
      const expect = decodes ? typed(fields) : 'badFrame';
      return { ...frame(obj(fields), expect), ref: decodes ? echoable(fields.ref) : undefined };
    }
    case 'oddKeys': {
      const { entries, note, expect } = oddKeys(d, base.fields);
      notes.push(note);
      return { ...frame(map(entries), expect), ref: expect === 'badFrame' ? undefined : echoable(base.fields.ref) };
    }
    case 'nonMap': {
      const value = d.pick<Packable>([null, true, 0, -1, 'join', [], [obj(base.fields)], { kind: 'bin', bytes: pack(obj(base.fields)) }, { kind: 'ext', type: -1, data: new Uint8Array(4) }, 1.5]);
      notes.push(JSON.stringify(value)?.slice(0, 40) ?? '');
      return frame(value, 'badFrame', { ref: undefined });
    }
    case 'cut': {
      const bytes = pack(obj(base.fields));
      const n = d.int(0, bytes.length - 1);
      notes.push(`cut to ${n} of ${bytes.length} bytes`);
      return { ...frame(null, 'badFrame', { ref: undefined }), data: bytes.subarray(0, n) };
    }
    case 'trailing': {
      const bytes = pack(obj(base.fields));
      const more = d.chance(0.5) ? pack(obj(base.fields)) : d.bytes(d.int(1, 16));
      notes.push(`${more.length} bytes after the map`);
      return { ...frame(null, 'badFrame', { ref: undefined }), data: Buffer.concat([bytes, more]) };
    }
    case 'flipped': {
      const bytes = Buffer.from(pack(obj(base.fields)));
      for (let i = d.int(1, 3); i > 0; i--) bytes[d.int(0, bytes.length - 1)] = d.int(0, 255);
      notes.push('bytes flipped');
      // Anything can come of it, even a frame the contract answers with silence.
      return { ...frame(null, 'zeroOrOne', { ref: undefined, anyRef: true }), data: bytes };
    }
    case 'utf8': {
      const fields = { ...base.fields };
      const k = d.pick(Object.keys(fields));
      const bad = invalidUtf8(d);
      notes.push(`${k} not UTF-8: ${Buffer.from(bad.bytes).toString('hex')}`);
      if (d.chance(0.2)) return frame(map([...Object.entries(fields).filter((e): e is [string, Packable] => e[1] !== undefined), [bad, 1]]), 'badFrame', { ref: undefined, invalidUtf8: true });
      fields[k] = bad;
      return frame(obj(fields), 'badFrame', { ref: undefined, invalidUtf8: true });
    }
    case 'text':
      return { ...frame(null, 'badFrame', { ref: undefined }), data: d.chance(0.5) ? JSON.stringify(base.fields) : d.text(d.int(0, 300), 'abc{}":,\u00e9\u2603'), binary: false };
    case 'deep': {
      const depth = d.chance(0.5) ? d.int(2, 12) : d.int(17, 200);
      let v: Packable = [1];
      for (let i = 1; i < depth; i++) v = d.chance(0.5) ? [v] : map([['k', v]]);
      notes.push(`nested ${depth} deep`);
      // The frame's own map is one level: deeper than 16 in all is refused before msgpackr reads it.
      const fields = { ...base.fields, [d.pick(['body', 'room', 'extra', 'since'])]: v };
      return depth + 1 > 16 ? frame(obj(fields), 'badFrame', { ref: undefined }) : frame(obj(fields), typed(fields));
    }
    case 'oversize': {
      const size = limits.maxFrameBytes + d.pick([1, 100, 10_000, limits.maxFrameBytes * 4]);
      notes.push(`${size} bytes`);
      return frame(obj({ ...base.fields, body: 'x'.repeat(size) }), 'close1009', { ref: undefined });
    }
  }
}

/**
 * What the server echoes as the reply's ref: the contract's string or integer, within the
 * schema's bounds (128 code points; see refLengthAmbiguous).
 */
function echoable(ref: Packable | undefined): string | number | undefined {
  // A lone surrogate goes out as U+FFFD (TextEncoder), and comes back so.
  if (typeof ref === 'string') return [...ref].length <= 128 ? new TextDecoder().decode(new TextEncoder().encode(ref)) : undefined;
  const n = typeof ref === 'number' ? ref : numberOf(ref);
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

/** The number a reader gets from a float32 or a 64-bit integer. */
function numberOf(v: Packable | undefined): number | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  if (v.kind === 'f32') return Math.fround(v.value);
  if (v.kind === 'u64' || v.kind === 'i64') return Number(v.value);
  return undefined;
}

function baseFrame(d: Dice, ref: string | number | undefined): { fields: Record<string, Packable | undefined> } {
  const t = d.pick(TYPES);
  const room = d.chance(0.9) ? d.pick(FUZZ_ROOMS) : d.pick(['dm-1-2', 'dm-999999-1000000', 'nope', 'a'.repeat(64)]);
  const fields: Record<string, Packable | undefined> = { t, room, ref };
  if (t === 'join' && d.chance(0.5)) fields.since = d.int(0, 50);
  if (t === 'send') {
    fields.body = d.pick(['hello', 'fuzz ☕', 'x'.repeat(d.size(4000) + 1), '😀'.repeat(d.int(1, 100)), ' a ']);
    fields.cid = `c${d.int(0, 1e9)}`;
  }
  return { fields };
}

interface Hostile {
  value: Packable;
  note: string;
  /** False when the value alone makes the frame not plain MessagePack (refused before any field is read). */
  decodes: boolean;
}

function hostileValue(d: Dice): Hostile {
  const ok = (value: Packable, note: string): Hostile => ({ value, note, decodes: true });
  switch (d.weighted({ number: 30, string: 30, container: 12, other: 10, ext: 8, bad: 10 })) {
    case 'number': {
      const special: Array<[Packable, string]> = [
        [2 ** 53, '2^53'], [2 ** 53 + 2, '2^53+2'], [-1, '-1'], [-(2 ** 31), '-2^31'], [2 ** 32, '2^32'], [NaN, 'NaN'], [Infinity, 'Infinity'],
        [-Infinity, '-Infinity'], [-0, '-0'], [0.5, '0.5'], [1e308, '1e308'], [Number.MIN_VALUE, 'MIN_VALUE'], [{ kind: 'f32', value: 1.5 }, 'f32 1.5'],
        [{ kind: 'f32', value: NaN }, 'f32 NaN'], [{ kind: 'f32', value: 7 }, 'f32 7'], [{ kind: 'u64', value: 2n ** 64n - 1n }, 'u64 max'],
        [{ kind: 'i64', value: -(2n ** 63n) }, 'i64 min'], [{ kind: 'u64', value: 2n ** 53n + 1n }, 'u64 2^53+1'], [{ kind: 'u64', value: 42n }, 'u64 42'], [d.int(0, 1e6), 'int'],
      ];
      const [value, note] = d.pick(special);
      return ok(value, note);
    }
    case 'string': {
      const n = d.pick([0, 1, 63, 64, 65, 128, 129, 4000, 4001, 20_000]);
      const s = d.pick([
        'x'.repeat(n), ' '.repeat(n), '😀'.repeat(Math.ceil(n / 2)), '\u0000', `a\u0000b`, '\ud800', 'JOIN', 'dm-1-2', '\u202egnirts', 'e\u0301'.repeat(n), '\t\n\r',
      ]);
      return ok(s, `string(${s.length})`);
    }
    case 'container':
      return ok(d.pick<Packable>([[], obj({}), [1, [2, [3]]], obj({ a: obj({ b: [null] }) }), Array.from({ length: 1000 }, () => null), [obj({ t: 'join' })]]), 'container');
    case 'other':
      return ok(d.pick<Packable>([null, true, false, { kind: 'bin', bytes: new Uint8Array(d.int(0, 300)) }]), 'nil/bool/bin');
    case 'ext': {
      // The spec's timestamp (ext -1, 4, 8 or 12 bytes) is plain MessagePack; any other ext is not.
      const ts = d.chance(0.5);
      const data = new Uint8Array(ts ? d.pick([4, 8, 12]) : d.pick([1, 2, 4, 8, 16, 3, 300]));
      data.fill(d.int(0, 255));
      const type = ts ? -1 : d.pick([0, 1, 5, 0x65, 0x72, 0x7f, -2, -128]);
      return { value: { kind: 'ext', type, data }, note: `ext ${type}/${data.length}`, decodes: ts };
    }
    case 'bad': {
      const lie: Special = d.chance(0.5) ? { kind: 'lyingArray', claimed: d.pick([3, 1000, 0xffffffff]), items: [1] } : { kind: 'lyingMap', claimed: d.pick([2, 70_000]), entries: [['a', 1]] };
      return d.chance(0.5) ? { value: invalidUtf8(d), note: 'not UTF-8', decodes: false } : { value: lie, note: `${lie.kind} ${lie.claimed}`, decodes: false };
    }
  }
  return ok(null, 'nil');
}

function invalidUtf8(d: Dice): Extract<Special, { kind: 'strBytes' }> {
  const bad = d.pick([[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3], [0xfe, 0xff]]);
  const prefix = new TextEncoder().encode(d.pick(['', 'wz-1', 'hello ', 'x'.repeat(40)]));
  return { kind: 'strBytes', bytes: Uint8Array.from([...prefix, ...bad, ...(d.chance(0.5) ? [0x61] : [])]) };
}

/** Keys no client should send: repeated (the last wins), numbers, nil, containers, the names of Object's own members. */
function oddKeys(d: Dice, fields: Record<string, Packable | undefined>): { entries: Array<[Packable, Packable]>; note: string; expect: FrameExpectation } {
  const entries = Object.entries(fields).filter((e): e is [string, Packable] => e[1] !== undefined) as Array<[Packable, Packable]>;
  const t = fields.t === 'typing' ? 'zeroOrOne' : 'one';
  switch (d.weighted({ repeat: 3, scalarKey: 3, containerKey: 2, protoKey: 3 })) {
    case 'repeat': {
      const other = d.pick(TYPES);
      // msgpackr keeps the last of repeated keys, as a JavaScript object would.
      entries.push(['t', other]);
      return { entries, note: `t repeated as ${other}`, expect: other === 'typing' ? 'zeroOrOne' : 'one' };
    }
    case 'scalarKey':
      entries.splice(d.int(0, entries.length), 0, [d.pick<Packable>([1, -1, null, true, 1.5]), 'v']);
      return { entries, note: 'number/nil/bool key', expect: t };
    case 'containerKey':
      // msgpackr refuses a map or array as a key of an object-shaped map.
      entries.splice(d.int(0, entries.length), 0, [d.pick<Packable>([[1], obj({ a: 1 }), { kind: 'bin', bytes: new Uint8Array(2) }]), 'v']);
      return { entries, note: 'container key', expect: 'badFrame' };
    case 'protoKey': {
      const key = d.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']);
      entries.splice(d.int(0, entries.length), 0, [key, d.pick<Packable>([obj({ t: 'leave', room: 'wz-0' }), 1, null])]);
      return { entries, note: `${key} key`, expect: t };
    }
  }
  return { entries, note: '', expect: t };
}
