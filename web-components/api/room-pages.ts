/**
 * The room list in pages. GET /api/rooms answers one page at a time, sorted by name in byte
 * order, with `next` the cursor (`after`) of the page that follows, null on the last one.
 * The client holds pages 1..N, N being how many the reader has asked for, and reloads all
 * of them on each poll, so the list stays one consistent snapshot. Pure: the page fetch is
 * passed in.
 */
import type { RoomPage, RoomSummary } from './parley-api.js';

/** Pages 1..`pages` as one list; `next` is the cursor after the last page held. */
export interface RoomPages {
  rooms: RoomSummary[];
  next: string | null;
  pages: number;
}

export type FetchRoomPage = (after: string | undefined) => Promise<RoomPage>;

/**
 * Loads pages 1..`wanted` in order, each from the cursor of the one before, stopping early
 * at the last page (`next` null). At least one page is loaded.
 */
export async function loadRoomPages(fetchPage: FetchRoomPage, wanted: number): Promise<RoomPages> {
  let held: RoomPages = { rooms: [], next: null, pages: 0 };
  let after: string | undefined;
  do {
    held = appendPage(held, await fetchPage(after));
    // A cursor that does not move on would only fetch the same page again.
    if (held.next === after) held = { ...held, next: null };
    after = held.next ?? undefined;
  } while (held.pages < wanted && held.next !== null);
  return held;
}

/**
 * Adds the page that follows. A room already held is not listed twice (pages are disjoint
 * by construction, but a caller may fetch the page after a cursor twice).
 */
export function appendPage(held: RoomPages, page: RoomPage): RoomPages {
  const names = new Set(held.rooms.map((r) => r.name));
  const fresh = page.rooms.filter((r) => !names.has(r.name) && (names.add(r.name), true));
  return { rooms: held.rooms.length === 0 ? fresh : [...held.rooms, ...fresh], next: page.next, pages: held.pages + 1 };
}

/** The room named `name` among those held, or the one looked up on its own (not on a loaded page). */
export function findRoom(name: string, held: readonly RoomSummary[] | undefined, lookedUp?: RoomSummary): RoomSummary | undefined {
  return held?.find((r) => r.name === name) ?? (lookedUp?.name === name ? lookedUp : undefined);
}
