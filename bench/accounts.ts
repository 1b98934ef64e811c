/**
 * Parley accounts for the benchmark: signs users up over HTTP, as a browser would, and
 * keeps their session cookies.
 */
import { forEachConcurrently } from './concurrency.js';
import { listRooms } from './room-reads.js';

const PASSWORD = 'benchmark password';
/** Signups in flight at once; each costs the server an argon2 hash (~50 ms of one core). */
const CONCURRENCY = 4;

/** Signs up `count` users named `<prefix>_<n>` and returns one Cookie header per user. */
export async function signUpUsers(baseUrl: string, prefix: string, count: number): Promise<string[]> {
  const cookies: string[] = new Array(count);
  await forEachConcurrently(count, CONCURRENCY, async (i) => {
    cookies[i] = await signUp(baseUrl, `${prefix}_${i}`);
  });
  return cookies;
}

async function signUp(baseUrl: string, username: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`signup ${username}: HTTP ${res.status} ${body}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => !c.endsWith('='));
  if (!cookie) throw new Error(`signup ${username}: no session cookie`);
  return cookie;
}

/** Each room's lastSeq, as GET /api/rooms shows it to the holder of `cookie`. */
export async function roomSeqs(baseUrl: string, cookie: string): Promise<Map<string, number>> {
  return new Map((await listRooms(baseUrl, cookie)).map((r) => [r.name, r.lastSeq ?? 0]));
}
