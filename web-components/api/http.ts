/**
 * fetch for Parley's JSON API. Every failure, from the server or the network, comes out as
 * one HttpError carrying the contract's `{error:{code,message}}`, so the UI shows the
 * server's own wording and decides by code.
 */

export class HttpError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

type Method = 'GET' | 'POST';

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
  if (!res.ok) throw errorFrom(res.status, data);
  return data as T;
}

function errorFrom(status: number, data: unknown): HttpError {
  const error = (data as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    return new HttpError(status, error.code, typeof error.message === 'string' ? error.message : error.code);
  }
  return new HttpError(status, `http_${status}`, `The server answered ${status}.`);
}
