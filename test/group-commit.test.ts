/**
 * The group-commit writer on its own against a real PostgreSQL: batching, seq numbering per
 * room, publish-before-answer, cid idempotency, and what one bad row does to its batch.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedDb } from '../server/store/embedded-db.js';
import { startTestDb, type TestDb } from './harness.js';
import { writerPool, type WriterPool } from '../server/store/writer-pool.js';
import { GroupCommitWriter, MessageRefused, RoomGone, type Send } from '../server/store/group-commit.js';
import type { ChatMessage, Member } from '../server/protocol/frames.js';

let testDb: TestDb;
let db: EmbeddedDb;
let orm: MikroORM;
let users: Member[];
let rooms: Array<{ id: number; name: string }>;
/** The writer's connections, as the server makes them. */
let pool: WriterPool;

beforeAll(async () => {
  testDb = await startTestDb();
  ({ db, orm } = testDb);
  pool = writerPool(db.url);
  const em = orm.em.fork();
  users = await em.execute<Member[]>(`INSERT INTO users (name, password_hash, created_at) SELECT 'w' || i, 'x', now() FROM generate_series(1, 3) i RETURNING id, name`);
  rooms = await em.execute<Array<{ id: number; name: string }>>(`INSERT INTO rooms (name, kind, last_seq, created_at) SELECT 'wr' || i, 'public', 0, now() FROM generate_series(1, 3) i RETURNING id, name`);
});

afterAll(async () => {
  await pool?.close();
  await testDb?.cleanup();
});

function writer(published: ChatMessage[][], answeredBeforePublish: string[] = [], lingerMs = 0) {
  const answered = new Set<string>();
  const w = new GroupCommitWriter({
    run: pool.run,
    onCommitted: (messages) => {
      for (const m of messages) if (answered.has(m.cid)) answeredBeforePublish.push(m.cid);
      published.push(messages);
    },
    maxBatch: 50,
    lingerMs,
  });
  const submit = (s: Send) =>
    w.submit(s).then((c) => {
      answered.add(s.cid);
      return c;
    });
  return { w, submit };
}

const send = (room: number, user: number, cid: string, body = `body ${cid}`): Send => ({
  roomId: rooms[room]!.id,
  room: rooms[room]!.name,
  user: users[user]!,
  body,
  cid,
});

describe('GroupCommitWriter', () => {
  it('batches sends that arrive during a commit, numbers each room 1..n, and publishes before answering', async () => {
    const published: ChatMessage[][] = [];
    const early: string[] = [];
    const { w, submit } = writer(published, early);
    const sends = Array.from({ length: 120 }, (_, i) => send(i % 2, i % 3, `a${i}`));
    const results = await Promise.all(sends.map(submit));
    expect(early).toEqual([]);
    // Sent in one tick, they go together, at most 50 at a time.
    expect(w.committed.batches).toBeGreaterThanOrEqual(3);
    expect(w.committed.batches).toBeLessThan(120);
    for (const room of [0, 1]) {
      const seqs = results.filter((r) => r.message.room === rooms[room]!.name).map((r) => r.message.seq);
      expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      const out = published.flat().filter((m) => m.room === rooms[room]!.name).map((m) => m.seq);
      expect(out).toEqual(seqs);
    }
    expect(results.every((r) => !r.duplicate)).toBe(true);
  });

  it('answers a repeated cid with the stored message, within a batch and across batches', async () => {
    const published: ChatMessage[][] = [];
    const { submit } = writer(published);
    const first = await submit(send(2, 0, 'same', 'original'));
    const [again, twin1, twin2] = await Promise.all([submit(send(2, 0, 'same', 'changed')), submit(send(2, 1, 'twin')), submit(send(2, 1, 'twin'))]);
    expect(again).toEqual({ message: first.message, duplicate: true });
    expect(twin1.message).toEqual(twin2.message);
    expect([twin1.duplicate, twin2.duplicate].sort()).toEqual([false, true]);
    expect(published.flat().map((m) => m.cid)).toEqual(['same', 'twin']);
  });

  it('refuses a row PostgreSQL cannot store without failing the others in its batch', async () => {
    const published: ChatMessage[][] = [];
    const { submit } = writer(published);
    const blocker = submit(send(0, 0, 'b-first'));
    await new Promise((resolve) => setImmediate(resolve));
    // These three queue behind the first commit and go together.
    const outcomes = await Promise.allSettled([submit(send(0, 1, 'good-1')), submit(send(0, 2, 'bad', 'nul\u0000')), submit(send(1, 1, 'good-2'))]);
    await blocker;
    expect(outcomes[0]).toMatchObject({ status: 'fulfilled' });
    expect(outcomes[1]).toMatchObject({ status: 'rejected' });
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(MessageRefused);
    expect(outcomes[2]).toMatchObject({ status: 'fulfilled' });
    const stored = await orm.em.fork().execute<Array<{ cid: string }>>(`SELECT cid FROM messages WHERE cid IN ('good-1', 'bad', 'good-2') ORDER BY cid`);
    expect(stored.map((r) => r.cid)).toEqual(['good-1', 'good-2']);
  });

  it('rejects a send to a room that does not exist with RoomGone and stores the rest', async () => {
    const published: ChatMessage[][] = [];
    const { submit } = writer(published);
    const outcomes = await Promise.allSettled([submit({ ...send(0, 0, 'ghost'), roomId: 999_999 }), submit(send(0, 0, 'real'))]);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(RoomGone);
    expect(outcomes[1]).toMatchObject({ status: 'fulfilled' });
  });

  it('a send alone (its own statement) numbers on from batches, answers a retried cid, and finds a gone room', async () => {
    const published: ChatMessage[][] = [];
    const { w, submit } = writer(published);
    const [a, b] = await Promise.all([submit(send(1, 0, 'mix-a')), submit(send(1, 1, 'mix-b'))]);
    const lone = await submit(send(1, 2, 'mix-lone', 'alone'));
    expect(lone.message.seq).toBe(Math.max(a.message.seq, b.message.seq) + 1);
    expect(lone.duplicate).toBe(false);
    const retried = await submit(send(1, 2, 'mix-lone', 'changed on retry'));
    expect(retried).toEqual({ message: { ...lone.message }, duplicate: true });
    expect(retried.message.body).toBe('alone');
    const next = await submit(send(1, 0, 'mix-next'));
    expect(next.message.seq).toBe(lone.message.seq + 1);
    await expect(submit({ ...send(1, 0, 'mix-ghost'), roomId: 999_998 })).rejects.toBeInstanceOf(RoomGone);
    expect(published.flat().map((m) => m.cid)).toEqual([...[a, b].sort((x, y) => x.message.seq - y.message.seq).map((r) => r.message.cid), 'mix-lone', 'mix-next']);
    expect(w.committed.messages).toBe(4);
  });

  it('publishes a batch that committed although its answer was lost, once, before the next batch', async () => {
    const published: ChatMessage[][] = [];
    let calls = 0;
    const w = new GroupCommitWriter({
      // The statement runs for real; then the "connection" dies before the answer arrives.
      run: (fn) =>
        pool.run(async (c) => {
          const result = await fn(c);
          if (++calls === 2) {
            throw Object.assign(new Error('Connection terminated unexpectedly'), { code: undefined });
          }
          return result;
        }),
      onCommitted: (messages) => published.push(messages),
      maxBatch: 50,
    });
    const warm = w.submit(send(1, 0, 'warm'));
    await new Promise((resolve) => setImmediate(resolve));
    // The first batch is in flight now: these two queue behind it and form the second batch, whose answer is lost.
    const lost = await Promise.allSettled([w.submit(send(1, 0, 'lost-1')), w.submit(send(1, 0, 'lost-2'))]);
    await warm;
    expect(lost.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(published.flat().map((m) => m.cid)).toEqual(['warm']);
    published.length = 0;
    // The next batch first settles the uncertain one: both were stored, so both go out, in order.
    const next = await w.submit(send(1, 1, 'after'));
    const cids = published.flat().map((m) => m.cid);
    expect(cids).toEqual(['lost-1', 'lost-2', 'after']);
    const seqs = published.flat().map((m) => m.seq);
    expect(seqs).toEqual([seqs[0]!, seqs[0]! + 1, seqs[0]! + 2]);
    expect(next.message.seq).toBe(seqs[2]);
    // A retry of a lost send is now a duplicate and is not published again.
    const retry = await w.submit(send(1, 0, 'lost-1'));
    expect(retry.duplicate).toBe(true);
    expect(published.flat().filter((m) => m.cid === 'lost-1')).toHaveLength(1);
  });
});

/**
 * `senders` closed loops of `rounds` sends each, like remote clients that send again once
 * answered: the even ones at once, the odd ones 250 ms later (far longer than a commit takes,
 * even on a loaded CI machine, where 30 ms was not always enough), so that without a linger the
 * two halves commit apart.
 */
async function closedLoops(submit: (s: Send) => Promise<unknown>, senders: number, rounds: number, tag: string): Promise<void> {
  await Promise.all(
    Array.from({ length: senders }, async (_, i) => {
      for (let r = 0; r < rounds; r++) {
        await submit(send(i % 3, i % 3, `${tag}-${i}-${r}`));
        await new Promise((resolve) => setTimeout(resolve, i % 2 ? 250 : 1));
      }
    }),
  );
}

describe('GroupCommitWriter linger', () => {
  it('lets a batch wait for the rest of a busy round, and ends the wait as soon as the round is complete', async () => {
    const published: ChatMessage[][] = [];
    // A linger far beyond the test's timeout: finishing at all shows each wait ended early.
    const { submit } = writer(published, [], 60_000);
    await closedLoops(submit, 16, 6, 'round');
    const sizes = published.map((batch) => batch.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(16 * 6);
    // Once the first rounds set the pace, every batch carries the whole round of 16.
    expect(sizes.slice(-4)).toEqual([16, 16, 16, 16]);
  });

  it('without a linger the same senders split into smaller batches (control for the test above)', async () => {
    const published: ChatMessage[][] = [];
    const { submit } = writer(published, [], 0);
    await closedLoops(submit, 16, 6, 'split');
    expect(Math.max(...published.slice(1).map((batch) => batch.length))).toBeLessThanOrEqual(8);
  });

  it('never lingers for a lone sender or a small round', async () => {
    const published: ChatMessage[][] = [];
    const { submit } = writer(published, [], 60_000);
    // Lingering even once would outlast the test's timeout.
    await closedLoops(submit, 1, 5, 'lone');
    await closedLoops(submit, 3, 3, 'few');
    expect(published.flat().length).toBe(5 + 9);
  });
});

describe('writerPool (the group commit connections)', () => {
  it('survives its connection being ended by the server while the writer holds it', async () => {
    const pool = writerPool(db.url);
    try {
      const held = pool.run(async (c) => {
        const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await orm.em.fork().execute('SELECT pg_terminate_backend(?)', [rows[0]!.pid]);
        // The FATAL arrives while no statement runs: without a listener it would be thrown.
        await new Promise((r) => setTimeout(r, 300));
        await c.query('SELECT 1');
      });
      await expect(held).rejects.toThrow();
      const next = await pool.run((c) => c.query<{ one: number }>('SELECT 1 AS one'));
      expect(next.rows[0]!.one).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('plans generically, commits a batch through the writer, and replaces a connection after a failure', async () => {
    const pool = writerPool(db.url);
    try {
      const mode = await pool.run((c) => c.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode'));
      expect(mode.rows[0]!.plan_cache_mode).toBe('force_generic_plan');
      // The ORM's connections keep PostgreSQL's default.
      const ormMode = await orm.em.fork().execute<Array<{ plan_cache_mode: string }>>('SHOW plan_cache_mode');
      expect(ormMode[0]!.plan_cache_mode).toBe('auto');

      const pid = async () => (await pool.run((c) => c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))).rows[0]!.pid;
      const before = await pid();
      expect(await pid()).toBe(before);
      await expect(pool.run((c) => c.query('SELECT 1 / 0'))).rejects.toThrow(/division by zero/);
      expect(await pid()).not.toBe(before);

      const w = new GroupCommitWriter({ run: pool.run, onCommitted: () => {}, maxBatch: 100 });
      const sends = [0, 1, 2].map((i) => w.submit({ roomId: rooms[2]!.id, room: rooms[2]!.name, user: users[i]!, body: `pooled ${i}`, cid: `pool-${i}` }));
      const seqs = (await Promise.all(sends)).map((c) => c.message.seq);
      expect(seqs[1]! - seqs[0]!).toBe(1);
      expect(seqs[2]! - seqs[1]!).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
