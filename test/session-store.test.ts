/**
 * SessionStore's cache against a real PostgreSQL: a session in use is read again in the
 * background, so its requests never wait on the database, and a session deleted by another
 * process (its row gone) still stops working within the cache's 2 s.
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
  it('keeps a session in use read ahead, however far apart its requests come', async () => {
    const store = new SessionStore(orm);
    const s = await newSession(store, 'warm_user');
    const before = store.reads;
    // Each gap is longer than an entry's 2 s: only the background renewal keeps it.
    for (let i = 0; i < 2; i++) {
      await sleep(2600);
      expect((await store.lookup(s.sessionId))?.user.name).toBe('warm_user');
    }
    const after = store.reads;
    expect(after.onRequest - before.onRequest).toBe(0);
    expect(after.renewals - before.renewals).toBeGreaterThanOrEqual(4);
    store.close();
  });

  it('drops a session deleted by another process within 2 s while it is in use', async () => {
    const store = new SessionStore(orm);
    const s = await newSession(store, 'cache_user');
    await sleep(1300);
    expect((await store.lookup(s.sessionId))?.user.name).toBe('cache_user');
    await deleteElsewhere(s.sessionId);
    const deletedAt = Date.now();
    let goneAt: number | undefined;
    while (goneAt === undefined && Date.now() - deletedAt < 4000) {
      if ((await store.lookup(s.sessionId)) === null) goneAt = Date.now();
      else await sleep(50);
    }
    expect(goneAt).toBeDefined();
    expect(goneAt! - deletedAt).toBeLessThanOrEqual(2000 + 300);
    store.close();
  });

  // Revocations land at spread-out moments, so some overlap a renewal that is reading them;
  // which ones is up to the scheduler. Each must be gone at once and stay gone.
  it('forgets a session revoked here at once, also while a renewal is reading it', async () => {
    const store = new SessionStore(orm);
    const sessions = [];
    for (let i = 0; i < 5; i++) sessions.push(await newSession(store, `revoke_user_${i}`));
    for (const s of sessions) {
      await sleep(230);
      expect(await store.lookup(s.sessionId)).not.toBeNull();
      await store.revoke(s.sessionId);
      expect(await store.lookup(s.sessionId)).toBeNull();
    }
    await sleep(1200); // at least one more renewal
    for (const s of sessions) expect(await store.lookup(s.sessionId)).toBeNull();
    store.close();
  });
});
