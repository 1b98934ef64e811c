/**
 * Server-side sessions. The cookie carries only a sealed session id; the row in `sessions`
 * is the truth, so deleting it (logout, password change) revokes at once on this process
 * and within CACHE_MS on any other.
 */
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Session, User } from '../store/entities.js';

export interface SessionUser {
  sessionId: string;
  user: { id: number; name: string };
}

const CACHE_MS = 2000;
const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export class SessionStore {
  private cache = new Map<string, { value: SessionUser | null; until: number; refreshing: boolean }>();
  /** Counts revocations made here, so a read that overlapped one is not cached (see load()). */
  private revocations = 0;
  private revokeListeners: Array<(sessionIds: string[]) => void> = [];

  constructor(private orm: MikroORM) {}

  /** Called with the ids of sessions that were revoked here (the gateway closes their sockets). */
  onRevoke(fn: (sessionIds: string[]) => void): void {
    this.revokeListeners.push(fn);
  }

  async create(user: User): Promise<SessionUser> {
    const em = this.orm.em.fork();
    const id = randomBytes(32).toString('base64url');
    em.create(Session, { id, user, createdAt: new Date(), expiresAt: new Date(Date.now() + SESSION_TTL_MS) });
    await em.flush();
    const value = { sessionId: id, user: { id: user.id, name: user.name } };
    this.cache.set(id, { value, until: Date.now() + CACHE_MS, refreshing: false });
    return value;
  }

  /**
   * The session behind an id, from the cache while it is fresh. Past half its time, an entry
   * in use is read again in the background, so a session that keeps making requests never
   * waits on the database (at one post a second, every other post did); no entry is used
   * after `until`, so revocation elsewhere still lands within CACHE_MS.
   */
  async lookup(sessionId: string): Promise<SessionUser | null> {
    const now = Date.now();
    const hit = this.cache.get(sessionId);
    if (hit && hit.until > now) {
      if (hit.until - now < CACHE_MS / 2 && !hit.refreshing) {
        hit.refreshing = true;
        // A failed read, or one not kept (see load()), leaves the entry to serve out its time,
        // and the next request tries again.
        this.load(sessionId)
          .catch(() => undefined)
          .finally(() => (hit.refreshing = false));
      }
      return hit.value;
    }
    return this.load(sessionId);
  }

  private async load(sessionId: string): Promise<SessionUser | null> {
    const revocations = this.revocations;
    const em = this.orm.em.fork();
    const row = await em.findOne(Session, { id: sessionId, expiresAt: { $gt: new Date() } }, { populate: ['user'] });
    const value = row ? { sessionId, user: { id: row.user.id, name: row.user.name } } : null;
    // A revocation while the row was being read may have come after the read: answer this
    // request (it began before the revocation) but keep nothing.
    if (revocations !== this.revocations) return value;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(sessionId, { value, until: Date.now() + CACHE_MS, refreshing: false });
    return value;
  }

  async revoke(sessionId: string): Promise<void> {
    await this.orm.em.fork().nativeDelete(Session, { id: sessionId });
    this.forget([sessionId]);
  }

  /** Revokes every session of the user except `keep`. */
  async revokeOthers(userId: number, keep: string): Promise<void> {
    const em = this.orm.em.fork();
    const rows = await em.find(Session, { user: userId, id: { $ne: keep } }, { fields: ['id'] });
    const ids = rows.map((r) => r.id);
    if (ids.length === 0) return;
    await em.nativeDelete(Session, { id: { $in: ids } });
    this.forget(ids);
  }

  private forget(ids: string[]): void {
    this.revocations++;
    for (const id of ids) this.cache.delete(id);
    for (const fn of this.revokeListeners) fn(ids);
  }
}
