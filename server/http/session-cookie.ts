/**
 * The session cookie: an iron-session seal of `{ sid }`. HttpOnly, SameSite=Lax,
 * Secure when PUBLIC_URL is https.
 */
import { sealData, unsealData } from 'iron-session';

export const COOKIE_NAME = 'parley_session';
const MAX_AGE_S = 30 * 24 * 3600;

export class SessionCookie {
  constructor(
    private secret: string,
    private secure: boolean,
  ) {}

  async issue(sessionId: string): Promise<string> {
    const sealed = await sealData({ sid: sessionId }, { password: this.secret, ttl: MAX_AGE_S });
    return this.serialize(sealed, MAX_AGE_S);
  }

  clear(): string {
    return this.serialize('', 0);
  }

  /** Returns the session id from a Cookie header, or undefined when absent or tampered. */
  async read(cookieHeader: string | null | undefined): Promise<string | undefined> {
    if (!cookieHeader) return undefined;
    const raw = cookieHeader
      .split(';')
      .map((p) => p.trim())
      .find((p) => p.startsWith(`${COOKIE_NAME}=`))
      ?.slice(COOKIE_NAME.length + 1);
    if (!raw) return undefined;
    try {
      const data = await unsealData<{ sid?: unknown }>(decodeURIComponent(raw), { password: this.secret, ttl: MAX_AGE_S });
      return typeof data.sid === 'string' && data.sid.length > 0 ? data.sid : undefined;
    } catch {
      return undefined;
    }
  }

  private serialize(value: string, maxAge: number): string {
    const parts = [`${COOKIE_NAME}=${value}`, 'Path=/', `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Lax'];
    if (this.secure) parts.push('Secure');
    return parts.join('; ');
  }
}
