/**
 * SessionStore's cache against a real PostgreSQL: a session in use is read again in the
 * background before its entry runs out, and a session deleted by another process (its row
 * gone) still stops working within the cache's 2 s.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDb, type TestDb } from './harness.js';
import { withPgClient } from '../server/store/pg-client.js';
import { SessionStore } from '../server/auth/session-store.js';
import { User } from '../server/store/entities.js';

let testDb: TestDb;
let orm: MikroORM;

beforeAll(async () => {
  testDb = await startTestDb();
  ({ orm } = testDb);
});

afterAll(() => testDb?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newSession(store: SessionStore, name: string) {
  const em = orm.em.fork();
  const user = em.create(User, { name, passwordHash: 'x', createdAt: new Date() });
  await em.flush();
  return store.create(user);
}

/** What another process's logout does: the row goes, this process's cache is not told. */
const deleteElsewhere = (id: string) => withPgClient(orm, (c) => c.query('DELETE FROM sessions WHERE id = $1', [id]));

describe('SessionStore cache', () => {
  it('reads a session in use again before its entry runs out, and still drops a deleted one within 2 s', async () => {
    const store = new SessionStore(orm);
    const s = await newSession(store, 'cache_user');
    const t0 = Date.now();

    await sleep(1200); // past half of the 2 s entry made by create()
    expect((await store.lookup(s.sessionId))?.user.name).toBe('cache_user'); // served, and read again behind it
    await sleep(300);
    await deleteElsewhere(s.sessionId);
    const deletedAt = Date.now();

    // The entry create() made ran out at t0 + 2 s; the background read renewed it before the
    // delete, so the session still answers from the cache here, without the database.
    await sleep(Math.max(0, t0 + 2400 - Date.now()));
    expect((await store.lookup(s.sessionId))?.user.name).toBe('cache_user');

    // Requests keep coming; every renewal after the delete finds no row. Gone within 2 s.
    let goneAt: number | undefined;
    while (goneAt === undefined && Date.now() - deletedAt < 4000) {
      if ((await store.lookup(s.sessionId)) === null) goneAt = Date.now();
      else await sleep(50);
    }
    expect(goneAt).toBeDefined();
    expect(goneAt! - deletedAt).toBeLessThanOrEqual(2000 + 300);
  });

  // Whether the background read lands before or after the revocation is up to the scheduler;
  // either way the session must be gone at once and stay gone.
  it('forgets a session revoked here at once, also right after a background read of it began', async () => {
    const store = new SessionStore(orm);
    const s = await newSession(store, 'revoke_user');
    await sleep(1100);
    // Starts a background read, then revokes.
    expect(await store.lookup(s.sessionId)).not.toBeNull();
    await store.revoke(s.sessionId);
    expect(await store.lookup(s.sessionId)).toBeNull();
    await sleep(200);
    expect(await store.lookup(s.sessionId)).toBeNull();
  });
});
