import { describe, expect, it } from 'vitest';
import type { RoomSummary } from './parley-api.js';
import { appendPage, findRoom, loadRoomPages } from './room-pages.js';
import type { RoomPage } from './parley-api.js';

const room = (name: string, kind: RoomSummary['kind'] = 'public'): RoomSummary => ({ name, kind, topic: null, online: 0, lastSeq: 0, lastAt: null });

/** A server's GET /api/rooms over `names` (sorted as given), `limit` a page, recording each `after` asked for. */
function pagedServer(names: string[], limit: number) {
  const asked: Array<string | undefined> = [];
  const fetchPage = async (after: string | undefined): Promise<RoomPage> => {
    asked.push(after);
    const from = after === undefined ? 0 : names.findIndex((n) => n > after);
    const slice = from < 0 ? [] : names.slice(from, from + limit);
    const more = from >= 0 && from + limit < names.length;
    return { rooms: slice.map((n) => room(n)), next: more ? slice[slice.length - 1]! : null };
  };
  return { fetchPage, asked };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `room-${String(i).padStart(3, '0')}`);

describe('room pages', () => {
  it('loads the first page alone when one is wanted, keeping the cursor of the next', async () => {
    const server = pagedServer(names(130), 100);
    const held = await loadRoomPages(server.fetchPage, 1);
    expect(held.rooms).toHaveLength(100);
    expect(held.next).toBe('room-099');
    expect(held.pages).toBe(1);
    expect(server.asked).toEqual([undefined]);
  });

  it('loads pages 1..N in order, each after the cursor of the one before', async () => {
    const server = pagedServer(names(250), 100);
    const held = await loadRoomPages(server.fetchPage, 3);
    expect(held.rooms.map((r) => r.name)).toEqual(names(250));
    expect(held.next).toBeNull();
    expect(held.pages).toBe(3);
    expect(server.asked).toEqual([undefined, 'room-099', 'room-199']);
  });

  it('stops early at the last page when fewer pages exist than were opened', async () => {
    const server = pagedServer(names(130), 100);
    const held = await loadRoomPages(server.fetchPage, 5);
    expect(held.rooms).toHaveLength(130);
    expect(held.pages).toBe(2);
    expect(held.next).toBeNull();
    expect(server.asked).toHaveLength(2);
  });

  it('still loads one page when none exist yet', async () => {
    const server = pagedServer([], 100);
    expect(await loadRoomPages(server.fetchPage, 2)).toEqual({ rooms: [], next: null, pages: 1 });
  });

  it('does not loop on a cursor that does not move on', async () => {
    let calls = 0;
    const stuck = async (): Promise<RoomPage> => (calls++, { rooms: [room('a')], next: 'a' });
    const held = await loadRoomPages(async (after) => (after === 'a' ? stuck() : { rooms: [room('a')], next: 'a' }), 10);
    expect(held.rooms).toEqual([room('a')]);
    expect(held.next).toBeNull();
    expect(calls).toBe(1);
  });

  it('appends a page without listing a room twice', () => {
    const held = appendPage({ rooms: [room('a'), room('b')], next: 'b', pages: 1 }, { rooms: [room('b'), room('c')], next: null });
    expect(held).toEqual({ rooms: [room('a'), room('b'), room('c')], next: null, pages: 2 });
  });

  it('finds a room on a loaded page, else the one looked up on its own', () => {
    const held = [room('a'), room('dm-1-2', 'direct')];
    expect(findRoom('a', held)).toBe(held[0]);
    const far = room('zz');
    expect(findRoom('zz', held, far)).toBe(far);
    expect(findRoom('zz', held, room('other'))).toBeUndefined();
    expect(findRoom('zz', undefined)).toBeUndefined();
  });
});
