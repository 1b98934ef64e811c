/**
 * Checks that bytes are exactly one plain MessagePack value before msgpackr reads them.
 * msgpackr always understands its own record extension and other ext types (Set, Error,
 * typed arrays...) when decoding, whatever its options; the contract admits plain
 * MessagePack only, so any ext type but the spec's timestamp, the unused 0xc1 byte, nesting deeper than `maxDepth`,
 * truncation, trailing bytes and strings that are not UTF-8 are refused here. Browser-safe.
 */
export class NotPlainMessagePack extends Error {}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function assertPlainMessagePack(bytes: Uint8Array, maxDepth = 16): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const fail = (why: string): never => {
    throw new NotPlainMessagePack(`${why} at byte ${pos}`);
  };
  const take = (n: number): number => {
    if (pos + n > bytes.length) fail('truncated');
    const at = pos;
    pos += n;
    return at;
  };
  const length = (size: 1 | 2 | 4): number => {
    const at = take(size);
    return size === 1 ? view.getUint8(at) : size === 2 ? view.getUint16(at) : view.getUint32(at);
  };
  // msgpackr turns bytes that are not UTF-8 into U+FFFD, so two different cids could decode
  // to one string and the second message be taken for a retry of the first: refuse them.
  const text = (n: number): void => {
    const at = take(n);
    for (let i = at; i < at + n; i++) {
      if (bytes[i]! >= 0x80) {
        try {
          strictUtf8.decode(bytes.subarray(at, at + n));
        } catch {
          pos = at;
          fail('a string that is not valid UTF-8');
        }
        return;
      }
    }
  };
  const timestamp = (size: number): void => {
    if (view.getInt8(take(1)) !== -1) fail('an extension type');
    take(size);
  };
  // Iterative walk: `pending` counts the values still to read at each open level.
  const pending: number[] = [1];
  while (pending.length > 0) {
    if (pending[pending.length - 1] === 0) {
      pending.pop();
      continue;
    }
    pending[pending.length - 1]!--;
    const b = view.getUint8(take(1));
    let children = 0;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      // fixint, negative fixint, nil, false, true
    } else if (b >= 0xa0 && b <= 0xbf) text(b & 0x1f);
    else if (b >= 0x90 && b <= 0x9f) children = b & 0x0f;
    else if (b >= 0x80 && b <= 0x8f) children = (b & 0x0f) * 2;
    else {
      switch (b) {
        case 0xcc: case 0xd0: take(1); break;
        case 0xcd: case 0xd1: take(2); break;
        case 0xce: case 0xd2: case 0xca: take(4); break;
        case 0xcf: case 0xd3: case 0xcb: take(8); break;
        case 0xd9: text(length(1)); break;
        case 0xda: text(length(2)); break;
        case 0xdb: text(length(4)); break;
        case 0xc4: take(length(1)); break;
        case 0xc5: take(length(2)); break;
        case 0xc6: take(length(4)); break;
        case 0xdc: children = length(2); break;
        case 0xdd: children = length(4); break;
        case 0xde: children = length(2) * 2; break;
        case 0xdf: children = length(4) * 2; break;
        // The spec's own timestamp (ext type -1) is plain MessagePack; every other ext is not.
        case 0xd6: timestamp(4); break;
        case 0xd7: timestamp(8); break;
        case 0xc7: {
          const n = length(1);
          if (n !== 12) fail('an extension type');
          timestamp(12);
          break;
        }
        default:
          // 0xc1 (never used) and the other ext markers: 0xc8, 0xc9, 0xd4, 0xd5, 0xd8
          fail(b === 0xc1 ? 'the unused byte 0xc1' : 'an extension type');
      }
    }
    if (children > 0) {
      if (pending.length > maxDepth) fail('nesting too deep');
      // Every child takes at least one byte: a count beyond what is left is a lie.
      if (children > bytes.length - pos) fail('truncated');
      pending.push(children);
    }
  }
  if (pos !== bytes.length) fail('trailing bytes after the value');
}
