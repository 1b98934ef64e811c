/**
 * A MessagePack writer for hostile input: besides plain values it writes what no well-behaved
 * encoder would, so the fuzzer controls every byte. A string's bytes given as they are (invalid
 * UTF-8 included), ext types, float32, 64-bit integers beyond 2^53, maps with any keys (in
 * order, repeats kept), and containers whose header claims more entries than follow.
 */

export type Packable = null | boolean | number | string | Packable[] | Special;

/** Values a JavaScript value cannot say: each is written exactly as described. */
export type Special =
  | { kind: 'map'; entries: Array<[Packable, Packable]> }
  | { kind: 'strBytes'; bytes: Uint8Array }
  | { kind: 'bin'; bytes: Uint8Array }
  | { kind: 'ext'; type: number; data: Uint8Array }
  | { kind: 'f32'; value: number }
  | { kind: 'u64'; value: bigint }
  | { kind: 'i64'; value: bigint }
  /** An array or map header claiming `claimed` entries, followed by `items` only. */
  | { kind: 'lyingArray'; claimed: number; items: Packable[] }
  | { kind: 'lyingMap'; claimed: number; entries: Array<[Packable, Packable]> };

export const map = (entries: Array<[Packable, Packable]>): Special => ({ kind: 'map', entries });
export const obj = (o: Record<string, Packable | undefined>): Special =>
  map(Object.entries(o).filter((e): e is [string, Packable] => e[1] !== undefined));

export function pack(value: Packable): Uint8Array {
  const w = new Writer();
  w.value(value);
  return w.bytes();
}

class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private u8(...bytes: number[]): void {
    this.room(bytes.length);
    for (const b of bytes) this.buf[this.len++] = b & 0xff;
  }

  private raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private be(n: number | bigint, size: 2 | 4 | 8): void {
    const view = new DataView(new ArrayBuffer(size));
    if (size === 2) view.setUint16(0, Number(n));
    else if (size === 4) view.setUint32(0, Number(n));
    else view.setBigUint64(0, BigInt.asUintN(64, BigInt(n)));
    this.raw(new Uint8Array(view.buffer));
  }

  /** A length-prefixed family: fix (when `fixBase` and n < fixMax), then 8-, 16- and 32-bit forms. */
  private header(n: number, fixBase: number | undefined, fixMax: number, c8: number | undefined, c16: number, c32: number): void {
    if (fixBase !== undefined && n < fixMax) this.u8(fixBase | n);
    else if (c8 !== undefined && n <= 0xff) this.u8(c8, n);
    else if (n <= 0xffff) {
      this.u8(c16);
      this.be(n, 2);
    } else {
      this.u8(c32);
      this.be(n, 4);
    }
  }

  value(v: Packable): void {
    if (v === null) return this.u8(0xc0);
    if (v === false) return this.u8(0xc2);
    if (v === true) return this.u8(0xc3);
    if (typeof v === 'number') return this.number(v);
    if (typeof v === 'string') return this.str(new TextEncoder().encode(v));
    if (Array.isArray(v)) {
      this.header(v.length, 0x90, 16, undefined, 0xdc, 0xdd);
      for (const item of v) this.value(item);
      return;
    }
    switch (v.kind) {
      case 'map':
        this.header(v.entries.length, 0x80, 16, undefined, 0xde, 0xdf);
        for (const [k, val] of v.entries) {
          this.value(k);
          this.value(val);
        }
        return;
      case 'strBytes':
        return this.str(v.bytes);
      case 'bin':
        this.header(v.bytes.length, undefined, 0, 0xc4, 0xc5, 0xc6);
        return this.raw(v.bytes);
      case 'ext':
        return this.ext(v.type, v.data);
      case 'f32': {
        const view = new DataView(new ArrayBuffer(4));
        view.setFloat32(0, v.value);
        this.u8(0xca);
        return this.raw(new Uint8Array(view.buffer));
      }
      case 'u64':
        this.u8(0xcf);
        return this.be(v.value, 8);
      case 'i64':
        this.u8(0xd3);
        return this.be(v.value, 8);
      case 'lyingArray':
        this.header(v.claimed, 0x90, 16, undefined, 0xdc, 0xdd);
        for (const item of v.items) this.value(item);
        return;
      case 'lyingMap':
        this.header(v.claimed, 0x80, 16, undefined, 0xde, 0xdf);
        for (const [k, val] of v.entries) {
          this.value(k);
          this.value(val);
        }
        return;
    }
  }

  private str(bytes: Uint8Array): void {
    this.header(bytes.length, 0xa0, 32, 0xd9, 0xda, 0xdb);
    this.raw(bytes);
  }

  private number(n: number): void {
    if (!Number.isSafeInteger(n) || Object.is(n, -0)) {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, n);
      this.u8(0xcb);
      return this.raw(new Uint8Array(view.buffer));
    }
    if (n >= 0) {
      if (n < 128) return this.u8(n);
      if (n <= 0xff) return this.u8(0xcc, n);
      if (n <= 0xffff) return this.u8(0xcd, n >> 8, n);
      if (n <= 0xffffffff) {
        this.u8(0xce);
        return this.be(n, 4);
      }
      this.u8(0xcf);
      return this.be(BigInt(n), 8);
    }
    if (n >= -32) return this.u8(n & 0xff);
    if (n >= -128) return this.u8(0xd0, n);
    if (n >= -32768) return this.u8(0xd1, n >> 8, n);
    if (n >= -2147483648) {
      this.u8(0xd2);
      return this.be(n >>> 0, 4);
    }
    this.u8(0xd3);
    this.be(BigInt(n), 8);
  }

  private ext(type: number, data: Uint8Array): void {
    const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
    const code = fixed[data.length];
    if (code !== undefined) this.u8(code, type);
    else {
      this.header(data.length, undefined, 0, 0xc7, 0xc8, 0xc9);
      this.u8(type);
    }
    this.raw(data);
  }
}
