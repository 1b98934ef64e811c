/**
 * Server-side sessions. The cookie carries only a sealed session id; the row in `sessions`
 * is the truth, so deleting it (logout, password change) revokes at once on this process
 * and within CACHE_MS on any other; in a cluster the other nodes are told at once
 * (revocation-relay.ts) and close that session's sockets too.
 *
 * A process that is the only writer of its sessions (`onlyWriter`: a single Parley, no
 * cluster) revokes through this store alone, so what it read stays true until the session
 * expires: it never reads again in the background, and keeps a read while the session is
 * in use (used within WARM_MS); one unused for longer is read again at its next use.
 */
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Session } from '../store/entities.js';
import type { Member } from '../protocol/frames.js';
import { systemClock, type Clock } from '../clock.js';

export interface SessionUser {
  sessionId: string;
  user: { id: number; name: string };
}

export interface SessionCacheOptions {
  /** How long a read of a session may be trusted, ms: the bound on revocation elsewhere. */
  cacheMs?: number;
  /** A session used within this long, ms, is kept read ahead (see renew()). */
  warmMs?: number;
  /** No other process writes sessions: a read of a session in use is good until it expires. */
  onlyWriter?: boolean;
  clock?: Clock;
}

const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
const CACHE_MAX = 50_000;
/** Ids per renewal query. */
const RENEW_CHUNK = 1000;

interface Entry {
  value: SessionUser | null;
  /** Not used from this time on: the read it came from started CACHE_MS before. */
  until: number;
  usedAt: number;
}

export class SessionStore {
  private cache = new Map<string, Entry>();
  /** Counts revocations made here, so a read that overlapped one is not cached (see load()). */
  private revocations = 0;
  private revokeListeners: Array<(sessionIds: string[]) => void> = [];
  private stopRenewing: (() => void) | undefined;
  /** The renewal under way, if any (tests wait for it). */
  private renewal: Promise<void> | undefined;
  private counts = { onRequest: 0, renewals: 0 };
  private readonly cacheMs: number;
  private readonly warmMs: number;
  private readonly onlyWriter: boolean;
  private readonly clock: Clock;

  constructor(
    private orm: MikroORM,
    opts: SessionCacheOptions = {},
  ) {
    this.cacheMs = opts.cacheMs ?? 2000;
    this.warmMs = opts.warmMs ?? 5 * 60_000;
    this.onlyWriter = opts.onlyWriter ?? false;
    this.clock = opts.clock ?? systemClock;
  }

  /** Called with the ids of sessions that were revoked here (the gateway closes their sockets). */
  onRevoke(fn: (sessionIds: string[]) => void): void {
    this.revokeListeners.push(fn);
  }

  /** Session reads so far: made while a request waited, and background renewals (one per query). */
  get reads(): { onRequest: number; renewals: number } {
    return { ...this.counts };
  }

  async create(user: Member): Promise<SessionUser> {
    const em = this.orm.em.fork();
    const id = randomBytes(32).toString('base64url');
    const expiresAt = this.clock.now() + SESSION_TTL_MS;
    em.create(Session, { id, user: user.id, createdAt: new Date(), expiresAt: new Date(expiresAt) });
    await em.flush();
    const value = { sessionId: id, user: { id: user.id, name: user.name } };
    const now = this.clock.now();
    this.remember(id, { value, until: this.trustedUntil(now, expiresAt), usedAt: now });
    return value;
  }

  /** The session behind an id: from the cache while its read is fresh, else from the database. */
  async lookup(sessionId: string): Promise<SessionUser | null> {
    const cached = this.lookupNow(sessionId);
    return cached !== undefined ? cached : this.load(sessionId);
  }

  /** What lookup() would answer from a fresh cache entry, without waiting; undefined when it must read. */
  lookupNow(sessionId: string): SessionUser | null | undefined {
    const now = this.clock.now();
    const hit = this.cache.get(sessionId);
    if (!hit || hit.until <= now || (this.onlyWriter && now - hit.usedAt > this.warmMs)) return undefined;
    hit.usedAt = now;
    return hit.value;
  }

  /** Stops the background renewal (the server's shutdown). */
  close(): void {
    this.stopRenewing?.();
    this.stopRenewing = undefined;
  }

  private async load(sessionId: string): Promise<SessionUser | null> {
    const revocations = this.revocations;
    const startedAt = this.clock.now();
    this.counts.onRequest++;
    const found = (await this.read([sessionId])).get(sessionId);
    const value = found?.value ?? null;
    // A revocation while the row was being read may have come after the read: answer this
    // request (it began before the revocation) but keep nothing.
    if (revocations !== this.revocations) return value;
    // An unknown id stays unknown only CACHE_MS: the session may be created elsewhere.
    this.remember(sessionId, { value, until: found ? this.trustedUntil(startedAt, found.expiresAt) : startedAt + this.cacheMs, usedAt: this.clock.now() });
    return value;
  }

  /** Until when a read of a session that began at `readAt` may be trusted. */
  private trustedUntil(readAt: number, expiresAt: number): number {
    return this.onlyWriter ? expiresAt : Math.min(expiresAt, readAt + this.cacheMs);
  }

  /** The live (unexpired) sessions among these ids; the rest are absent from the map. */
  private async read(ids: string[]): Promise<Map<string, { value: SessionUser; expiresAt: number }>> {
    const rows = await this.orm.em.fork().find(Session, { id: { $in: ids }, expiresAt: { $gt: new Date(this.clock.now()) } }, { populate: ['user'] });
    return new Map(rows.map((r) => [r.id, { value: { sessionId: r.id, user: { id: r.user.id, name: r.user.name } }, expiresAt: r.expiresAt.getTime() }]));
  }

  private remember(sessionId: string, entry: Entry): void {
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(sessionId, entry);
    // The only writer has nothing to learn from reading again.
    if (!this.onlyWriter) this.stopRenewing ??= this.clock.every(this.cacheMs / 2, () => this.renew());
  }

  /**
   * Every half of CACHE_MS, one query reads again every session used within WARM_MS, so a
   * session in use never waits on the database, however far apart its requests are, while a
   * revocation elsewhere still lands within CACHE_MS (each entry runs out CACHE_MS after the
   * read it came from began). Reading per entry on the request that found it past half its
   * time, as before, put a second query beside that request's own: at two posts a second,
   * every other post's commit queued 3-7 ms behind it.
   */
  private renew(): Promise<void> {
    this.renewal ??= this.renewDue().finally(() => (this.renewal = undefined));
    return this.renewal;
  }

  private async renewDue(): Promise<void> {
    const startedAt = this.clock.now();
    const due: Array<[string, Entry]> = [];
    for (const [id, entry] of this.cache) {
      if (startedAt - entry.usedAt > this.warmMs || (entry.value === null && entry.until <= startedAt)) this.cache.delete(id);
      else if (entry.value !== null) due.push([id, entry]);
    }
    if (this.cache.size === 0) this.close();
    if (due.length === 0) return;
    try {
      for (let i = 0; i < due.length; i += RENEW_CHUNK) {
        const chunk = due.slice(i, i + RENEW_CHUNK);
        this.counts.renewals++;
        const found = await this.read(chunk.map(([id]) => id));
        for (const [id, entry] of chunk) {
          // Revoked here meanwhile (the entry is gone), or read again by a request (a newer
          // entry): either way this read is not the latest word.
          if (this.cache.get(id) !== entry) continue;
          const row = found.get(id);
          entry.value = row?.value ?? null;
          entry.until = row ? this.trustedUntil(startedAt, row.expiresAt) : startedAt + this.cacheMs;
        }
      }
    } catch {
      // The database is away: entries serve out their time, then requests read for themselves.
    }
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

  /** Sessions revoked on another node of the cluster: no longer trusted from the cache here. */
  revokedElsewhere(ids: string[]): void {
    this.revocations++;
    for (const id of ids) this.cache.delete(id);
  }

  private forget(ids: string[]): void {
    this.revocations++;
    for (const id of ids) this.cache.delete(id);
    for (const fn of this.revokeListeners) fn(ids);
  }
}
