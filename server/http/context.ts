/**
 * What every route of Parley's app sees: its Hono environment, and reading who is asking.
 * Routes and middleware import this; nothing here imports them, so the app that mounts the
 * routes stays above them.
 */
import type { Context } from 'hono';
import type { SessionUser } from '../auth/session-store.js';
import type { RoomRef } from '../store/room-store.js';

/** What the server adapter hands each request besides the Request itself. */
export interface ClientInfo {
  remoteAddress: string;
}

export interface AppVars {
  /** The caller's session, or null (set for every /api request by loadSession). */
  session: SessionUser | null;
  /** The caller's session, on routes behind signedIn. */
  me: SessionUser;
  /** The room of a /rooms/:name route, once roomParam has checked the caller may use it. */
  room: RoomRef;
  /**
   * `aborted` once the request's deadline answered 503 for it: a route about to do something
   * that cannot be taken back (create an account) checks it first.
   */
  deadline: { readonly aborted: boolean };
  /** The request's id (X-Request-Id), for its log lines. */
  requestId: string;
}

export type AppEnv = { Bindings: ClientInfo; Variables: AppVars };

/** The address a request came from: the peer's, or behind a trusted proxy the one it saw. */
export function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded?.slice(forwarded.lastIndexOf(',') + 1).trim();
    if (last) return last;
  }
  return c.env.remoteAddress;
}
