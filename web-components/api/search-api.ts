/**
 * GET /api/search, typed as server/http/routes/search-routes.ts answers it. The types are
 * written out here rather than imported from the server's store, so the client bundle's
 * types depend on the contract (server/protocol) alone.
 */
import type { Member } from '../../server/protocol/frames.js';
import { requestJson } from './http.js';

/** One message that matched, with its room and its neighbours there for context. */
export interface SearchHit {
  room: { name: string; kind: 'public' | 'direct'; with?: Member };
  message: { id: number; seq: number; at: number; user: Member; body: string; edited?: number };
  before: { user: Member; body: string } | null;
  after: { user: Member; body: string } | null;
}

/** One page of results, newest first; `next` is the `before` of the page that follows, null on the last. */
export interface SearchPage {
  results: SearchHit[];
  next: number | null;
}

export interface SearchOptions {
  /** Only this room (which the caller must be able to read: else 403/404). */
  room?: string;
  /** 1..50; the server's default is 20. */
  limit?: number;
  /** The `next` of the page before. */
  before?: number;
}

/** Messages the caller may read whose words begin with the query's words. An empty query is a 400 `invalid`. */
export async function searchMessages(q: string, opts: SearchOptions = {}): Promise<SearchPage> {
  const params = new URLSearchParams({ q });
  if (opts.room !== undefined) params.set('room', opts.room);
  if (opts.limit !== undefined) params.set('limit', String(opts.limit));
  if (opts.before !== undefined) params.set('before', String(opts.before));
  return requestJson<SearchPage>('GET', `/api/search?${params}`);
}
