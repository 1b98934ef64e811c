/**
 * The search indexer against a real PostgreSQL: it indexes what was committed since its last
 * run, never events or deleted messages, and in cluster mode finds a message whose id is
 * below what it already indexed (another node's batch that committed late); a single
 * process does not look back, since its own batches commit in id order.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SearchIndexer } from '../server/store/search-index.js';
import { startTestDb, until, type TestDb } from './harness.js';

let t: TestDb;

beforeAll(async () => {
  t = await startTestDb();
  const em = t.orm.em.fork();
  await em.execute(`INSERT INTO users (name, password_hash, created_at) VALUES ('indexer', 'x', now())`);
  await em.execute(`INSERT INTO rooms (name, kind, last_seq, created_at) VALUES ('idx', 'public', 0, now())`);
});

afterAll(async () => {
  await t.cleanup();
});

async function insert(id: number, body: string, kind = 'msg', deleted = false): Promise<void> {
  await t.orm.em
    .fork()
    .execute(
      `INSERT INTO messages (id, room_id, seq, user_id, body, cid, created_at, kind, target_seq, deleted_at)
       VALUES (?, (SELECT id FROM rooms WHERE name = 'idx'), ?, (SELECT id FROM users WHERE name = 'indexer'), ?, ?, now(), ?, ?, ?)`,
      [id, id, body, `c${id}`, kind, kind === 'msg' ? null : 1, deleted ? new Date() : null],
    );
}

async function indexed(): Promise<number[]> {
  const rows = await t.orm.em.fork().execute<Array<{ message_id: string }>>('SELECT message_id FROM message_search ORDER BY message_id');
  return rows.map((r) => Number(r.message_id));
}

const quiet = pino({ level: 'silent' });

describe('search indexer', () => {
  it('indexes new messages after each run, leaving out events and deleted ones; in a cluster it also finds late commits below its horizon', async () => {
    const single = new SearchIndexer(t.orm, quiet);
    await insert(10, 'alpha');
    await insert(11, 'an edit', 'edit');
    await insert(12, 'gone', 'msg', true);
    await insert(13, 'beta');
    single.start();
    await until(async () => (await indexed()).includes(13), 5000, 'first run');
    expect(await indexed()).toEqual([10, 13]);

    // Id 5 commits now, below the horizon (13): a single process does not look back...
    await insert(5, 'late gamma');
    await insert(20, 'delta');
    single.soon(0);
    await until(async () => (await indexed()).includes(20), 5000, 'second run');
    expect(await indexed()).toEqual([10, 13, 20]);
    await single.stop();

    // ...a cluster node sweeps behind its horizon and finds it.
    const node = new SearchIndexer(t.orm, quiet, true);
    node.start();
    await until(async () => (await indexed()).includes(5), 5000, 'sweep');
    expect(await indexed()).toEqual([5, 10, 13, 20]);
    await node.stop();
  });
});
