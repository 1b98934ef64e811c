/**
 * A leak hunt's reading of the server's heap snapshots (`npm run soak -- --heap-snapshots ...`):
 * for each snapshot the live heap (a snapshot collects all garbage first) and its largest
 * kinds of object, and from the first snapshot to the last, the kinds that grew most, by
 * size and count. A leak shows as a kind that keeps growing with the operations done.
 *
 *   node --max-old-space-size=8192 --import tsx bench/soak/heap-summary.ts A.heapsnapshot B.heapsnapshot ...
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface Kind {
  count: number;
  bytes: number;
}

const TOP = 25;
const MB = 1024 * 1024;

/** Live objects by kind: an object's constructor (or a native's name), otherwise the node type in parentheses. */
function kinds(path: string): Map<string, Kind> {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, Kind>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const key = type === 'object' || type === 'native' ? snap.strings[snap.nodes[i + nameAt]!]! : `(${type})`;
    const k = out.get(key) ?? { count: 0, bytes: 0 };
    k.count++;
    k.bytes += snap.nodes[i + sizeAt]!;
    out.set(key, k);
  }
  return out;
}

const total = (m: Map<string, Kind>) => [...m.values()].reduce((s, k) => s + k.bytes, 0);
const mb = (b: number) => `${(b / MB).toFixed(2)} MB`;

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: heap-summary.ts SNAPSHOT...');
  process.exit(2);
}
const all = files.map((f) => ({ file: f, kinds: kinds(f) }));
for (const { file, kinds: k } of all) {
  console.log(`\n${basename(file)}: live heap ${mb(total(k))}`);
  for (const [name, v] of [...k].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, TOP)) console.log(`  ${mb(v.bytes).padStart(11)} ${String(v.count).padStart(9)}  ${name}`);
}
if (all.length > 1) {
  const first = all[0]!.kinds;
  const last = all[all.length - 1]!.kinds;
  console.log(`\nfrom ${basename(all[0]!.file)} to ${basename(all[all.length - 1]!.file)}: ${mb(total(last) - total(first))}; the kinds that grew most`);
  const grew = [...last].map(([name, v]) => ({ name, bytes: v.bytes - (first.get(name)?.bytes ?? 0), count: v.count - (first.get(name)?.count ?? 0) }));
  for (const g of grew.sort((a, b) => b.bytes - a.bytes).slice(0, TOP)) console.log(`  ${mb(g.bytes).padStart(11)} ${String(g.count).padStart(9)}  ${g.name}`);
}
