/**
 * Reading Parley's rooms back over HTTP, whole, for the checks of the benchmark, the soak and
 * the reliability scenarios: every page of the room list, and every page of a room's history.
 */

/** A row of GET /api/rooms, as far as the checks read it. */
export interface RoomRow {
  name: string;
  lastSeq: number | null;
}

/** The whole room list the holder of `cookie` sees, paged with `after` (500 a page). */
export async function listRooms(baseUrl: string, cookie: string): Promise<RoomRow[]> {
  const rooms: RoomRow[] = [];
  let after: string | null = '';
  while (after !== null) {
    const res = await fetch(`${baseUrl}/api/rooms?limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`, { headers: { cookie } });
    if (res.status !== 200) throw new Error(`GET /api/rooms: HTTP ${res.status}`);
    const page = (await res.json()) as { rooms: RoomRow[]; next: string | null };
    rooms.push(...page.rooms);
    after = page.next;
  }
  return rooms;
}

const HISTORY_PAGE = 100;

/** One room's whole history, oldest first: the newest page, then `before` each page's oldest seq. */
export async function readHistory<M extends { seq: number }>(baseUrl: string, cookie: string, room: string): Promise<M[]> {
  const pages: M[][] = [];
  let before: number | undefined;
  for (;;) {
    const query = before === undefined ? `limit=${HISTORY_PAGE}` : `limit=${HISTORY_PAGE}&before=${before}`;
    const res = await fetch(`${baseUrl}/api/rooms/${encodeURIComponent(room)}/messages?${query}`, { headers: { cookie } });
    if (res.status !== 200) throw new Error(`history of ${room}: HTTP ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { messages: M[]; more: boolean };
    if (page.messages.length) pages.unshift(page.messages);
    if (!page.more || page.messages.length === 0) return pages.flat();
    before = page.messages[0]!.seq;
  }
}
