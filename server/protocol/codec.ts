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
  return packr.pack(frame);
}

/** Unpacks one frame; throws when the bytes are not exactly one plain MessagePack value. */
export function decodeFrame(bytes: Uint8Array): unknown {
  assertPlainMessagePack(bytes);
  return unpackr.unpack(bytes);
}
