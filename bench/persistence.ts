/**
 * Persistence throughput: committed messages per second with ROOMS rooms and SENDERS
 * concurrent senders, through Parley's group-commit writer and, in the same run against the
 * same database, with one transaction per message (lock the room, bump last_seq, INSERT).
 *
 * Each sender is a closed loop: it submits a message, waits until it is committed, and
 * submits the next, so SENDERS messages are always waiting on the store. A message counts
 * when its transaction has committed. Durability is PostgreSQL's default (fsync on,
 * synchronous_commit on).
 *
 *   npm run bench:persistence [-- --seconds 10 --rooms 100 --senders 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedDb } from '../server/store/embedded-db.js';
import { initOrm, migrate } from '../server/store/orm.js';
import pg from 'pg';
import { writerPool } from '../server/store/writer-pool.js';
import { CONNECTION_LIMITS } from '../server/store/db-deadlines.js';
import { GroupCommitWriter } from '../server/store/group-commit.js';
import type { Member } from '../server/protocol/frames.js';
import type { MikroORM } from '@mikro-orm/postgresql';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rooms: { type: 'string', default: '100' },
    senders: { type: 'string', default: '200' },
    'database-url': { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const ROOMS = Number(values.rooms);
const SENDERS = Number(values.senders);
/** The ORM's pool size (server/store/orm.ts), which the one-transaction-per-message mode matches. */
const ORM_POOL_MAX = 20;
const BODY = 'The quick brown fox jumps over the lazy dog, twice over for a realistic line.';

interface Setup {
  rooms: Array<{ id: number; name: string }>;
  users: Member[];
}

async function seed(orm: MikroORM, tag: string): Promise<Setup> {
  const em = orm.em.fork();
  const users = await em.execute<Member[]>(
    `INSERT INTO users (name, password_hash, created_at)
     SELECT 'b' || ? || '_' || i, 'x', now() FROM generate_series(1, ?) AS i RETURNING id, name`,
    [tag, SENDERS],
  );
  const rooms = await em.execute<Array<{ id: number; name: string }>>(
    `INSERT INTO rooms (name, kind, last_seq, created_at)
     SELECT 'bench-' || ? || '-' || i, 'public', 0, now() FROM generate_series(1, ?) AS i RETURNING id, name`,
    [tag, ROOMS],
  );
  return { users, rooms };
}

/** Runs SENDERS closed loops for SECONDS; returns messages committed. */
async function closedLoops(send: (sender: number, n: number) => Promise<void>): Promise<{ committed: number; seconds: number; failed: number }> {
  let committed = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, sender) => {
      for (let n = 0; performance.now() < deadline; n++) {
        try {
          await send(sender, n);
          committed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { committed, seconds: (performance.now() - start) / 1000, failed };
}

/** Through the writer's own connections, as the server runs it. */
async function groupCommit(_orm: MikroORM, s: Setup, databaseUrl: string) {
  let dbMs = 0;
  const pool = writerPool(databaseUrl);
  const writer = new GroupCommitWriter({
    run: (fn) =>
      pool.run(async (db) => {
        const t = performance.now();
        try {
          return await fn(db);
        } finally {
          dbMs += performance.now() - t;
        }
      }),
    onCommitted: () => {},
    maxBatch: 1000,
  });
  const r = await closedLoops(async (sender, n) => {
    const room = s.rooms[sender % s.rooms.length]!;
    await writer.submit({ roomId: room.id, room: room.name, user: s.users[sender]!, body: BODY, cid: `g${sender}-${n}` });
  });
  await pool.close();
  console.log(`  group commit: ${(dbMs / writer.committed.batches).toFixed(2)} ms per batch statement on average`);
  return { ...r, batches: writer.committed.batches };
}

/**
 * The straightforward design: every message is its own transaction, on a pool as large as
 * the ORM's (20). Plain pg, not em.transactional: with 200 senders on 100 rooms, MikroORM's
 * transaction and em.execute per statement held each room's lock longer and committed about
 * half as many messages a second, which would measure the ORM rather than the design.
 */
async function perMessage(_orm: MikroORM, s: Setup, databaseUrl: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: ORM_POOL_MAX, ...CONNECTION_LIMITS });
  const r = await closedLoops(async (sender, n) => {
    const room = s.rooms[sender % s.rooms.length]!;
    const db = await pool.connect();
    try {
      await db.query('BEGIN');
      const locked = await db.query<{ last_seq: number }>('SELECT last_seq FROM rooms WHERE id = $1 FOR UPDATE', [room.id]);
      const seq = locked.rows[0]!.last_seq + 1;
      await db.query('UPDATE rooms SET last_seq = $2, last_at = now() WHERE id = $1', [room.id, seq]);
      await db.query('INSERT INTO messages (room_id, seq, user_id, body, cid, created_at) VALUES ($1, $2, $3, $4, $5, now())', [
        room.id,
        seq,
        s.users[sender]!.id,
        BODY,
        `p${sender}-${n}`,
      ]);
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      db.release();
    }
  });
  await pool.end();
  return { ...r, batches: r.committed };
}

async function main() {
  const dataDir = values['database-url'] ? undefined : mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const db = dataDir ? await startEmbeddedDb(dataDir, () => {}) : undefined;
  const databaseUrl = values['database-url'] ?? db!.url;
  const orm = await initOrm(databaseUrl);
  try {
    await migrate(orm);
    console.log(`persistence: ${ROOMS} rooms, ${SENDERS} concurrent senders, ${SECONDS} s per mode; group commit on its own 2 connections, one transaction per message on ${ORM_POOL_MAX} connections`);
    const rows: string[] = [];
    for (const [mode, run] of [
      ['group commit', groupCommit],
      ['one transaction per message', perMessage],
    ] as const) {
      const setup = await seed(orm, mode === 'group commit' ? 'g' : 'p');
      const r = await run(orm, setup, databaseUrl);
      const rate = Math.round(r.committed / r.seconds);
      const perBatch = (r.committed / Math.max(1, r.batches)).toFixed(1);
      rows.push(`| ${mode} | ${r.committed} | ${r.seconds.toFixed(1)} | ${rate} | ${perBatch} | ${r.failed} |`);
      console.log(`${mode}: ${rate} msg/s (${r.committed} in ${r.seconds.toFixed(1)} s, ${perBatch} per transaction, ${r.failed} failed)`);
    }
    console.log('\n| mode | committed | seconds | messages/s | per transaction | failed |\n|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    await orm.close();
    await db?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
