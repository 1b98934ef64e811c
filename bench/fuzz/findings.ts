/**
 * What the fuzzers found, grouped: the same kind of failure from many inputs is one finding
 * with a count and its first input, so a report of a long run stays readable.
 */
export interface Finding {
  area: 'http' | 'ws' | 'server';
  kind: string;
  /** What was seen, without the parts that vary from case to case. */
  detail: string;
  count: number;
  /** The first input that showed it, shortened. */
  example: string;
  /** How to run that input again. */
  replay: string;
}

const KEPT = 200;
const EXAMPLE_CHARS = 600;

export class Findings {
  private readonly byKey = new Map<string, Finding>();
  /** Findings past the first KEPT distinct ones, counted but not kept. */
  dropped = 0;

  add(area: Finding['area'], kind: string, detail: string, example: string, replay: string): void {
    const key = `${area}\u0000${kind}\u0000${detail}`;
    const known = this.byKey.get(key);
    if (known) {
      known.count++;
      return;
    }
    if (this.byKey.size >= KEPT) {
      this.dropped++;
      return;
    }
    const shown = example.length > EXAMPLE_CHARS ? `${example.slice(0, EXAMPLE_CHARS)}… (${example.length} chars)` : example;
    this.byKey.set(key, { area, kind, detail, count: 1, example: shown, replay });
  }

  list(): Finding[] {
    return [...this.byKey.values()];
  }

  get total(): number {
    let n = this.dropped;
    for (const f of this.byKey.values()) n += f.count;
    return n;
  }
}

/** Bytes as a JSON string literal (latin1, so every byte shows), for examples in reports. */
export function showBytes(bytes: Uint8Array, max = 400): string {
  const text = Buffer.from(bytes.subarray(0, max)).toString('latin1');
  return JSON.stringify(text) + (bytes.length > max ? `… (${bytes.length} bytes)` : '');
}
