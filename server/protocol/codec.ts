/**
 * Frames on the wire: exactly one plain MessagePack map per binary frame. msgpackr's record
 * extension is off in both directions so that any MessagePack library can talk to Parley.
 * Browser-safe.
 */
import { Packr, Unpackr } from 'msgpackr';
import { assertPlainMessagePack } from './plain-msgpack.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, encodeUndefinedAsNil: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Packs a frame. The result may be sent to many sockets: pack a broadcast once. */
export function encodeFrame(frame: object): Uint8Array {
  return packr.pack(widenIntegers(frame));
}

/**
 * msgpackr writes integers beyond 32 bits (every `at`, ids one day) as float64. The contract
 * says int, and typed clients care, so those go in as BigInt, which msgpackr writes as int64.
 * Keys holding undefined are dropped rather than sent as nil.
 */
function widenIntegers(value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && (value > 0xffffffff || value < -0x80000000) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map(widenIntegers);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = widenIntegers(v);
    return out;
  }
  return value;
}

/** Unpacks one frame; throws when the bytes are not exactly one plain MessagePack value. */
export function decodeFrame(bytes: Uint8Array): unknown {
  assertPlainMessagePack(bytes);
  return unpackr.unpack(bytes);
}
