/**
 * SessionStore's cache against a real PostgreSQL, on a clock the test moves by hand: a
 * session in use is read again in the background, so its requests never wait on the
 * database, and a session deleted by another process (its row gone) still stops working
 * within the cache's 2 s. A single process, the only writer, reads a session once.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDb, type TestDb } from './harness.js';
import { ManualClock } from './manual-clock.js';
import { SessionStore } from '../server/auth/session-store.js';
import { COOKIE_NAME, SessionCookie } from '../server/auth/session-cookie.js';
import { Session, User } from '../server/store/entities.js';

let testDb: TestDb;
let orm: MikroORM;

beforeAll(async () => {
  testDb = await startTestDb();
  ({ orm } = testDb);
});

afterAll(() => testDb?.cleanup());

async function newSession(store: SessionStore, name: string) {
  const em = orm.em.fork();
  const user = em.create(User, { name, passwordHash: 'x', createdAt: new Date() });
  await em.flush();
  return store.create(user);
}

/** What another process's logout does: the row goes, this process's cache is not told. */
const deleteElsewhere = (id: string) => orm.em.fork().nativeDelete(Session, { id });

describe('SessionStore cache', () => {
  it('keeps a session in use read ahead, however far apart its requests come', async () => {
    const clock = new ManualClock();
    const store = new SessionStore(orm, { clock });
    const s = await newSession(store, 'warm_user');
    const before = store.reads;
    // Each gap is longer than an entry's 2 s: only the background renewal keeps it.
    for (let i = 0; i < 2; i++) {
      await clock.advance(2600);
      expect((await store.lookup(s.sessionId))?.user.name).toBe('warm_user');
    }
    const after = store.reads;
    expect(after.onRequest - before.onRequest).toBe(0);
    expect(after.renewals - before.renewals).toBe(5); // at 1.0, 2.0, 3.0, 4.0 and 5.0 s
    store.close();
  });

  it('without the renewal, the same requests read on the request path (the test can fail)', async () => {
    const clock = new ManualClock();
    const store = new SessionStore(orm, { clock, warmMs: 0 });
    const s = await newSession(store, 'cold_user');
    const before = store.reads;
    for (let i = 0; i < 2; i++) {
      await clock.advance(2600);
      expect((await store.lookup(s.sessionId))?.user.name).toBe('cold_user');
    }
    expect(store.reads.onRequest - before.onRequest).toBe(2);
    store.close();
  });

  it('drops a session deleted by another process within 2 s while it is in use', async () => {
    const clock = new ManualClock();
    const store = new SessionStore(orm, { clock });
    const s = await newSession(store, 'cache_user');
    await clock.advance(1300);
    expect((await store.lookup(s.sessionId))?.user.name).toBe('cache_user');
    await deleteElsewhere(s.sessionId);
    let elapsed = 0;
    while ((await store.lookup(s.sessionId)) !== null) {
      expect(elapsed).toBeLessThan(2000);
      await clock.advance(50);
      elapsed += 50;
    }
    // The renewal at 2.0 s is the first read after the delete at 1.3 s.
    expect(elapsed).toBe(700);
    store.close();
  });

  it('as the only writer (no cluster): trusts its read while the session is in use, reads nothing in the background, and still revokes at once', async () => {
    const clock = new ManualClock();
    const store = new SessionStore(orm, { clock, onlyWriter: true });
    const s = await newSession(store, 'only_writer');
    const before = store.reads;
    // An hour of use, a request every 4 minutes: neither the requests nor a renewal read.
    for (let i = 0; i < 15; i++) {
      await clock.advance(4 * 60_000);
      expect((await store.lookup(s.sessionId))?.user.name).toBe('only_writer');
    }
    expect(store.reads).toEqual(before);
    // Unused for longer than 5 minutes: its next use reads it once.
    await clock.advance(6 * 60_000);
    expect((await store.lookup(s.sessionId))?.user.name).toBe('only_writer');
    expect(await store.lookup(s.sessionId)).not.toBeNull();
    expect(store.reads).toEqual({ ...before, onRequest: before.onRequest + 1 });
    await store.revoke(s.sessionId);
    expect(await store.lookup(s.sessionId)).toBeNull();
    // Past its expiry (30 days), the entry is not trusted: the row is read again.
    const t = await newSession(store, 'only_writer_2');
    await clock.advance(31 * 24 * 3600_000);
    const reads = store.reads.onRequest;
    expect(await store.lookup(t.sessionId)).toBeNull();
    expect(store.reads.onRequest).toBe(reads + 1);
    store.close();
  });

  it('forgets a session revoked here at once, also while a renewal is reading it', async () => {
    const clock = new ManualClock();
    const store = new SessionStore(orm, { clock });
    const sessions = [];
    for (let i = 0; i < 5; i++) sessions.push(await newSession(store, `revoke_user_${i}`));
    // A renewal starts (1.0 s) and, while its query is out, every session is revoked here.
    const renewal = clock.advance(1000);
    for (const s of sessions) {
      await store.revoke(s.sessionId);
      expect(await store.lookup(s.sessionId)).toBeNull();
    }
    await renewal;
    await clock.advance(1200); // at least one more renewal
    for (const s of sessions) expect(await store.lookup(s.sessionId)).toBeNull();
    store.close();
  });
});

// The WebSocket upgrade admits a session known without waiting inside uWS's handler, and only
// waits (then upgrades in res.cork) for one it must read (server/gateway/ws-gateway.ts).
describe('answers without waiting', () => {
  it('lookupNow: a fresh entry, null for a revoked session, undefined once it must be read', async () => {
    const clock = new ManualClock();
    const store = new SessionStore(orm, { clock, warmMs: 0 });
    const s = await newSession(store, 'now_user');
    expect(store.lookupNow(s.sessionId)?.user.name).toBe('now_user');
    expect(store.lookupNow('no-such-session')).toBeUndefined();
    await clock.advance(2100);
    expect(store.lookupNow(s.sessionId)).toBeUndefined();
    expect((await store.lookup(s.sessionId))?.user.name).toBe('now_user');
    expect(store.lookupNow(s.sessionId)?.user.name).toBe('now_user');
    await store.revoke(s.sessionId);
    expect(store.lookupNow(s.sessionId)).toBeUndefined();
    expect(await store.lookup(s.sessionId)).toBeNull();
    expect(store.lookupNow(s.sessionId)).toBeNull();
    store.close();
  });

  it('readNow: the id of a seal it issued or verified, null without the cookie, undefined for one never verified', async () => {
    const secret = 'a session secret of at least thirty-two characters';
    const issuer = new SessionCookie(secret, false);
    const header = (setCookie: string) => `theme=dark; ${setCookie.split(';')[0]}`;
    const cookie = header(await issuer.issue('sid-1'));
    expect(issuer.readNow(cookie)).toBe('sid-1');
    expect(issuer.readNow('theme=dark')).toBeNull();
    expect(issuer.readNow(undefined)).toBeNull();

    // Another process with the same secret has verified nothing yet.
    const other = new SessionCookie(secret, false);
    expect(other.readNow(cookie)).toBeUndefined();
    expect(await other.read(cookie)).toBe('sid-1');
    expect(other.readNow(cookie)).toBe('sid-1');

    const tampered = cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(tampered).toContain(`${COOKIE_NAME}=`);
    expect(other.readNow(tampered)).toBeUndefined();
    expect(await other.read(tampered)).toBeUndefined();
    expect(other.readNow(tampered)).toBeUndefined();
  });
});
