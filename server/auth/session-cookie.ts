/**
 * The session cookie: an iron-session seal of `{ sid }`. HttpOnly, SameSite=Lax,
 * Secure when PUBLIC_URL is https.
 */
import { sealData, unsealData } from 'iron-session';

export const COOKIE_NAME = 'parley_session';
const MAX_AGE_S = 30 * 24 * 3600;
/**
 * Unsealing costs a key derivation and an HMAC (~0.3 ms, the largest cost of a message post
 * in a CPU profile), yet a browser sends the same seal on every request. A verified seal maps
 * to its id for a few minutes; the seal's own 30-day expiry is far beyond that, and
 * revocation is decided by the sessions table, not by the seal.
 */
const UNSEALED_TTL_MS = 5 * 60_000;
const UNSEALED_MAX = 10_000;

export class SessionCookie {
  private unsealed = new Map<string, { sid: string; until: number }>();

  constructor(
    private secret: string,
    private secure: boolean,
  ) {}

  async issue(sessionId: string): Promise<string> {
    const sealed = await sealData({ sid: sessionId }, { password: this.secret, ttl: MAX_AGE_S });
    this.remember(sealed, sessionId);
    return this.serialize(sealed, MAX_AGE_S);
  }

  clear(): string {
    return this.serialize('', 0);
  }

  /** Returns the session id from a Cookie header, or undefined when absent or tampered. */
  async read(cookieHeader: string | null | undefined): Promise<string | undefined> {
    const raw = sealIn(cookieHeader);
    if (!raw) return undefined;
    const known = this.known(raw);
    if (known) return known;
    try {
      const data = await unsealData<{ sid?: unknown }>(decodeURIComponent(raw), { password: this.secret, ttl: MAX_AGE_S });
      if (typeof data.sid !== 'string' || data.sid.length === 0) return undefined;
      this.remember(raw, data.sid);
      return data.sid;
    } catch {
      return undefined;
    }
  }

  /**
   * What read() would answer, without waiting: null when the header holds no session cookie,
   * the id when the seal was verified in the last few minutes, undefined when it must be
   * unsealed (read()).
   */
  readNow(cookieHeader: string | null | undefined): string | null | undefined {
    const raw = sealIn(cookieHeader);
    return raw ? this.known(raw) : null;
  }

  private remember(raw: string, sid: string): void {
    if (this.unsealed.size >= UNSEALED_MAX) this.unsealed.clear();
    this.unsealed.set(raw, { sid, until: Date.now() + UNSEALED_TTL_MS });
  }

  private known(raw: string): string | undefined {
    const hit = this.unsealed.get(raw);
    return hit && hit.until > Date.now() ? hit.sid : undefined;
  }

  private serialize(value: string, maxAge: number): string {
    const parts = [`${COOKIE_NAME}=${value}`, 'Path=/', `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Lax'];
    if (this.secure) parts.push('Secure');
    return parts.join('; ');
  }
}

/** The sealed value of our cookie in a Cookie header, if there is one. */
function sealIn(cookieHeader: string | null | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  return (
    cookieHeader
      .split(';')
      .map((p) => p.trim())
      .find((p) => p.startsWith(`${COOKIE_NAME}=`))
      ?.slice(COOKIE_NAME.length + 1) || undefined
  );
}
