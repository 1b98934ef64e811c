/**
 * The Connection's handling of joins the server refuses for now, against a stand-in
 * WebSocket and fake timers: a `rate_limited` join is shown with its wait and sent again
 * once, when the wait is over; neither a reconnect nor the clock before then sends it early.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeFrame, encodeFrame } from '../../server/protocol/codec.js';
import { Connection } from './connection.js';

type Frame = Record<string, unknown>;

/** Just what Connection uses of a browser WebSocket; the test plays the server. */
class FakeSocket {
  static readonly OPEN = 1;
  static all: FakeSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  sent: Frame[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  send(bytes: Uint8Array): void {
    this.sent.push(decodeFrame(bytes) as Frame);
  }

  close(): void {
    this.drop(1000);
  }

  // --- the server's side ---
  accept(): void {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }

  answer(frame: Frame): void {
    this.onmessage?.({ data: new Uint8Array(encodeFrame(frame)).buffer });
  }

  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }

  joinsOf(room: string): Frame[] {
    return this.sent.filter((f) => f.t === 'join' && f.room === room);
  }
}

const latest = () => FakeSocket.all[FakeSocket.all.length - 1]!;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  FakeSocket.all = [];
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('addEventListener', () => {});
  vi.stubGlobal('removeEventListener', () => {});
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function connected(): Connection {
  const c = new Connection({ url: 'ws://parley.test/ws' });
  c.start();
  latest().accept();
  return c;
}

const joined = (room: string) => ({ t: 'joined', room, seq: 0, members: [], messages: [], truncated: false });

describe('a join refused with rate_limited', () => {
  it('shows the reason and when, and joins again once the wait is over, not before', () => {
    const c = connected();
    c.openRoom('new-room');
    expect(latest().joinsOf('new-room')).toHaveLength(1);
    latest().answer({ t: 'error', code: 'rate_limited', message: 'too many new rooms; retry in 5 s', room: 'new-room', retry_after: 5000 });
    expect(c.room('new-room')?.error).toEqual({ code: 'rate_limited', message: 'too many new rooms; retry in 5 s', retryAt: 1_005_000 });

    vi.advanceTimersByTime(4999);
    expect(latest().joinsOf('new-room')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(latest().joinsOf('new-room')).toHaveLength(2);

    latest().answer(joined('new-room'));
    expect(c.room('new-room')?.joined).toBe(true);
    expect(c.room('new-room')?.error).toBeUndefined();
    c.stop();
  });

  it('is not sent early by a reconnect meanwhile, and goes on the new socket when due', () => {
    const c = connected();
    c.openRoom('busy');
    c.openRoom('calm');
    latest().answer({ t: 'error', code: 'rate_limited', message: 'too many joins', room: 'busy', retry_after: 10_000 });
    latest().answer(joined('calm'));

    latest().drop();
    vi.advanceTimersByTime(1000); // the first reconnect comes within 500 ms
    const second = latest();
    expect(FakeSocket.all).toHaveLength(2);
    second.accept();
    expect(second.joinsOf('calm')).toHaveLength(1);
    expect(second.joinsOf('busy')).toHaveLength(0);

    vi.advanceTimersByTime(9000);
    expect(second.joinsOf('busy')).toHaveLength(1);
    c.stop();
  });

  it('is dropped with the room: closed before the wait is over, nothing is sent', () => {
    const c = connected();
    c.openRoom('gone');
    latest().answer({ t: 'error', code: 'rate_limited', message: 'too many joins', room: 'gone', retry_after: 3000 });
    c.closeRoom('gone');
    vi.advanceTimersByTime(5000);
    expect(latest().joinsOf('gone')).toHaveLength(1);
    c.stop();
  });

  it('keeps its wait when the room is closed and opened again meanwhile', () => {
    const c = connected();
    c.openRoom('again');
    latest().answer({ t: 'error', code: 'rate_limited', message: 'too many joins', room: 'again', retry_after: 3000 });
    c.closeRoom('again');
    c.openRoom('again');
    expect(latest().joinsOf('again')).toHaveLength(1);
    expect(c.room('again')?.error?.code).toBe('rate_limited');
    vi.advanceTimersByTime(3000);
    expect(latest().joinsOf('again')).toHaveLength(2);
    c.stop();
  });

  it('of a room already on screen (a rejoin after a gap) goes again quietly', () => {
    const c = connected();
    c.openRoom('lively');
    latest().answer(joined('lively'));
    const msg = (seq: number) => ({ t: 'msg', room: 'lively', id: seq, seq, user: { id: 2, name: 'bo' }, body: `m${seq}`, at: 1, cid: `c${seq}` });
    latest().answer(msg(1));
    latest().answer(msg(3)); // seq 2 is missing: the connection asks again with since=1
    expect(latest().joinsOf('lively')).toHaveLength(2);
    latest().answer({ t: 'error', code: 'rate_limited', message: 'too many joins', room: 'lively', retry_after: 2000 });
    expect(c.room('lively')?.error).toBeUndefined();
    latest().answer(msg(4)); // still a gap, but the refused join waits for its turn
    expect(latest().joinsOf('lively')).toHaveLength(2);
    vi.advanceTimersByTime(2000);
    expect(latest().joinsOf('lively')).toHaveLength(3);
    expect(latest().joinsOf('lively')[2]).toMatchObject({ since: 1 });
    c.stop();
  });
});

describe('a join refused with unavailable', () => {
  it('goes again after the wait given, without showing an error', () => {
    const c = connected();
    c.openRoom('r');
    latest().answer({ t: 'error', code: 'unavailable', message: 'store down', room: 'r', retry_after: 1500 });
    expect(c.room('r')?.error).toBeUndefined();
    vi.advanceTimersByTime(1499);
    expect(latest().joinsOf('r')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(latest().joinsOf('r')).toHaveLength(2);
    c.stop();
  });
});

describe('live lists', () => {
  it('are watched on each socket, after its rejoins', () => {
    const c = connected();
    expect(latest().sent).toEqual([{ t: 'watch' }]);
    c.openRoom('r');
    latest().drop();
    vi.advanceTimersByTime(1000);
    latest().accept();
    expect(latest().sent.map((f) => f.t)).toEqual(['join', 'watch']);
    expect(c.lists.watches).toBe(2);
    c.stop();
  });

  it('are held as the server pushes them, told by a `lists` event and not by `change`', () => {
    const c = connected();
    const told: string[] = [];
    c.addEventListener('lists', () => told.push('lists'));
    c.addEventListener('change', () => told.push('change'));
    latest().answer({ t: 'lists', full: true, rooms: { general: 2 }, users: [1, 2] });
    latest().answer({ t: 'lists', rooms: { general: 3 }, on: [3], off: [] });
    latest().answer({ t: 'directory', users: [{ id: 3, name: 'cy' }] });
    expect(told).toEqual(['lists', 'lists', 'lists']);
    expect(c.lists.synced).toBe(true);
    expect(c.lists.online?.rooms.get('general')).toBe(3);
    expect([...(c.lists.online?.users ?? [])]).toEqual([1, 2, 3]);
    expect(c.lists.users.get(3)).toEqual({ id: 3, name: 'cy' });
    c.stop();
  });

  it("wait after a reconnection for the new socket's snapshot, keeping the last one meanwhile", () => {
    const c = connected();
    latest().answer({ t: 'lists', full: true, rooms: { general: 2 }, users: [1, 2] });
    latest().drop();
    vi.advanceTimersByTime(1000);
    latest().accept();
    expect(c.lists.synced).toBe(false);
    latest().answer({ t: 'lists', rooms: { general: 7 }, on: [], off: [] });
    expect(c.lists.online?.rooms.get('general')).toBe(2);
    latest().answer({ t: 'lists', full: true, rooms: {}, users: [2] });
    expect(c.lists.online?.rooms.size).toBe(0);
    expect([...(c.lists.online?.users ?? [])]).toEqual([2]);
    c.stop();
  });
});
