/**
 * fetch for Parley's JSON API. Every failure, from the server or the network, comes out as
 * one HttpError carrying the contract's `{error:{code,message}}`, so the UI shows the
 * server's own wording and decides by code. A `Retry-After` (sent with 429 `rate_limited`
 * and 503 `unavailable`) comes along as `retryAfterMs`, so the UI can say when to try again.
 */

export class HttpError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
    /** From the answer's Retry-After: how long until trying again may work. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function requestJson<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new HttpError(0, 'network', 'Parley cannot be reached. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw errorFrom(res.status, data, retryAfterMs(res.headers.get('retry-after'), Date.now()));
  return data as T;
}

function errorFrom(status: number, data: unknown, retryAfter: number | undefined): HttpError {
  const error = (data as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    return new HttpError(status, error.code, typeof error.message === 'string' ? error.message : error.code, retryAfter);
  }
  return new HttpError(status, `http_${status}`, `The server answered ${status}.`, retryAfter);
}

/**
 * A Retry-After header in ms from `now`: delay-seconds (what Parley sends) or an HTTP date
 * (what a proxy in front may send); undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month; Date.parse alone would take "-5" for a year.
  const at = /^[a-z]{3}, /i.test(value) ? Date.parse(value) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
