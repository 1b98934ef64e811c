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
  return packr.pack(forTheWire(frame));
}

/** String methods of ES2024 (Node 20, current browsers), typed here for an ES2022 lib. */
interface WellFormedString {
  isWellFormed?(): boolean;
  toWellFormed(): string;
}

/**
 * What msgpackr must be given so that it writes plain MessagePack of the contract's types:
 *  - integers beyond 32 bits (every `at`, ids one day) go in as BigInt, which msgpackr writes
 *    as int64; it would write them as float64, and the contract says int (typed clients care);
 *  - a string with a lone surrogate (a UTF-16 half, which has no UTF-8 form: it can come in as
 *    a JSON "\ud800" escape) goes in with U+FFFD in its place, as PostgreSQL stored it;
 *    msgpackr would write the surrogate's CESU-8 bytes (ED A0 80), which are not UTF-8;
 *  - keys holding undefined are dropped rather than sent as nil.
 */
function forTheWire(value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && (value > 0xffffffff || value < -0x80000000) ? BigInt(value) : value;
  }
  if (typeof value === 'string') {
    const s = value as unknown as WellFormedString;
    return !s.isWellFormed || s.isWellFormed() ? value : s.toWellFormed();
  }
  if (Array.isArray(value)) return value.map(forTheWire);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = forTheWire(v);
    return out;
  }
  return value;
}

/** Unpacks one frame; throws when the bytes are not exactly one plain MessagePack value. */
export function decodeFrame(bytes: Uint8Array): unknown {
  assertPlainMessagePack(bytes);
  return unpackr.unpack(bytes);
}
