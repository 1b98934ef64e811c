/**
 * Which browser origins may change state or open a WebSocket. With no configured list
 * (ALLOWED_ORIGINS, PUBLIC_URL) the allowed origin is the one the request was addressed
 * to, read from its Host header.
 */
export class OriginPolicy {
  private allowed: Set<string>;

  constructor(allowedOrigins: string[]) {
    this.allowed = new Set(allowedOrigins);
  }

  allows(origin: string, host: string | undefined): boolean {
    if (this.allowed.size > 0) return this.allowed.has(origin);
    if (!host) return false;
    return origin === `http://${host}` || origin === `https://${host}`;
  }
}
