/**
 * PostgreSQL's own CPU per stored message: Parley's group-commit statements (the one for a
 * lone send, and the batch one given one row) against a plain single-row INSERT, on an
 * embedded PostgreSQL of its own (fsync on, Parley's schema), one statement at a time at a
 * steady pace (each its own transaction, as at a low message rate) and back to back. The
 * CPU is that of every PostgreSQL process (backend, WAL writer, checkpointer...) from /proc
 * over each variant, divided by its statements.
 *
 *   node --import tsx bench/commit-cost.ts [--statements 400] [--pace-ms 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmbeddedDb } from '../server/store/embedded-db.js';
import { COMMIT_BATCH, COMMIT_ONE } from '../server/store/group-commit.js';
import { initOrm, migrate } from '../server/store/orm.js';
import { INDEX_BATCH, indexBatchValues } from '../server/store/search-index.js';
import { cpuSample } from './proc-stats.js';

interface Variant {
  name: string;
  /** Runs statement number i (ids and seqs must not repeat across variants). */
  run(db: pg.Client, i: number): Promise<unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { statements: { type: 'string', default: '400' }, 'pace-ms': { type: 'string', default: '50' } } });
  const statements = Number(values.statements);
  const paceMs = Number(values['pace-ms']);
  const dir = mkdtempSync(join(tmpdir(), 'parley-commit-cost-'));
  const db = await startEmbeddedDb(dir, () => {});
  try {
    const orm = await initOrm(db.url, { logger: () => {} });
    await migrate(orm);
    await orm.close();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`INSERT INTO users (name, password_hash, created_at) VALUES ('u', 'x', now())`);
    await client.query(`INSERT INTO rooms (name, kind, created_at) VALUES ('plain', 'public', now()), ('batch', 'public', now()), ('one', 'public', now())`);
    const body = 'a message of a typical length, some fifty characters';
    let plainSeq = 0;
    const variants: Variant[] = [
      {
        name: 'plain INSERT of one row',
        run: (c, i) => c.query({ name: 'plain', text: 'INSERT INTO messages (room_id, seq, user_id, body, cid, created_at) VALUES ($1, $2, $3, $4, $5, $6)', values: [1, ++plainSeq, 1, body, `p${i}`, new Date()] }),
      },
      {
        name: "Parley's statement for a lone send (COMMIT_ONE)",
        run: (c, i) => c.query({ name: 'one', text: COMMIT_ONE, values: [3, 1, body, `o${i}`, new Date()] }),
      },
      {
        name: "Parley's batch statement with one row (COMMIT_BATCH)",
        run: (c, i) => c.query({ name: 'batch', text: COMMIT_BATCH, values: [[2], [1], [body], [`b${i}`], new Date()] }),
      },
    ];
    await client.query('SET plan_cache_mode = force_generic_plan');
    const pid = process.pid;
    const rows: string[] = [];
    for (const [mode, pace] of [
      ['paced', paceMs],
      ['back to back', 0],
    ] as const) {
      for (const v of variants) {
        // A few unmeasured first: the statement is prepared and its plan cached.
        for (let i = 0; i < 20; i++) await v.run(client, i - 1_000_000 * (mode === 'paced' ? 1 : 2));
        await sleep(1000);
        const before = cpuSample(pid)!;
        const t0 = performance.now();
        for (let i = 0; i < statements; i++) {
          await v.run(client, i + (mode === 'paced' ? 0 : 1_000_000));
          if (pace > 0) await sleep(pace);
        }
        const seconds = (performance.now() - t0) / 1000;
        const after = cpuSample(pid)!;
        const pgUs = after.childrenUs - before.childrenUs;
        rows.push(`| ${v.name} | ${mode}${pace ? ` (one per ${pace} ms)` : ''} | ${statements} | ${(pgUs / statements).toFixed(0)} | ${((seconds * 1000) / statements - pace).toFixed(2)} |`);
        console.log(rows.at(-1));
      }
    }
    // The search index's run a second after commits: one statement for everything since the
    // last (message_search, to_tsvector and its GIN index), here every message stored above.
    // INDEX_BATCH has knex's ? placeholders (the ORM runs it); pg wants $1, $2...
    let param = 0;
    const sql = INDEX_BATCH.replace(/\?/g, () => `$${++param}`);
    const before = cpuSample(pid)!;
    const { rows: indexed } = await client.query<{ scanned: string }>(sql, indexBatchValues(0));
    const after = cpuSample(pid)!;
    const messages = Number(indexed[0]?.scanned ?? 0);
    await client.end();
    console.log(['', '| statement | pace | statements | PostgreSQL CPU µs per statement | ms per statement (round trip) |', '|---|---|--:|--:|--:|', ...rows].join('\n'));
    console.log(`\nsearch index, one run over ${messages} messages: ${((after.childrenUs - before.childrenUs) / messages).toFixed(1)} µs of PostgreSQL CPU per message`);
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
