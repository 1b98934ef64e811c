import { describe, expect, it } from 'vitest';
import type { ChatMessage, Member } from '../../server/protocol/frames.js';
import { seededRandom as rng } from '../../test/seeded-random.js';
import {
  activeTypists,
  applyJoined,
  applyMessage,
  applyOlder,
  applyPresence,
  applyTyping,
  contiguousSeq,
  emptyLog,
  mergeMessages,
  type RoomLog,
} from './room-log.js';

const ROOM = 'lobby';
const T0 = 1_700_000_000_000;
const alice: Member = { id: 1, name: 'alice' };
const bob: Member = { id: 2, name: 'bob' };
const carol: Member = { id: 3, name: 'carol' };
const dave: Member = { id: 4, name: 'dave' };

/**
 * Message `seq` of the room. Ids deliberately fall as seq rises (and are never equal to
 * it), so nothing can pass by ordering on id or by confusing id and seq.
 */
function msg(seq: number, user: Member = alice): ChatMessage {
  return { room: ROOM, id: 1_000_000 - seq * 7, seq, at: T0 + seq * 1000, user, body: `message ${seq}`, cid: `cid-${seq}` };
}

/** Messages from..to inclusive, as fresh objects (as if just decoded from a frame). */
function msgs(from: number, to: number): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (let s = from; s <= to; s++) out.push(msg(s));
  return out;
}

function seqs(log: RoomLog): number[] {
  return log.messages.map((m) => m.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function joined(seq: number, messages: ChatMessage[], opts: { truncated?: boolean; members?: Member[] } = {}) {
  return { seq, messages, members: opts.members ?? [alice], truncated: opts.truncated ?? false };
}

/** A log as the first `joined` without `since` leaves it: the latest messages up to `last`. */
function logAfterFirstJoin(first: number, last: number): RoomLog {
  return applyJoined(emptyLog(ROOM), joined(last, msgs(first, last)));
}

describe('mergeMessages', () => {
  it('keeps one copy of a message that arrives twice (same id)', () => {
    const held = msgs(1, 3);
    expect(mergeMessages(held, [msg(2), msg(3), msg(4)]).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    // Duplicates inside one batch too.
    expect(mergeMessages([], [msg(5), msg(5), msg(6), msg(5)]).map((m) => m.seq)).toEqual([5, 6]);
  });

  it('orders by seq whatever order messages come in', () => {
    expect(mergeMessages([], [msg(3), msg(1), msg(2)]).map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(mergeMessages([msg(2), msg(7)], [msg(9), msg(1), msg(5)]).map((m) => m.seq)).toEqual([1, 2, 5, 7, 9]);
  });

  it('does not modify its inputs', () => {
    const held = Object.freeze(msgs(4, 6));
    const incoming = Object.freeze([msg(8), msg(1), msg(5)]);
    const merged = mergeMessages(held, incoming);
    expect(merged.map((m) => m.seq)).toEqual([1, 4, 5, 6, 8]);
    expect(held.map((m) => m.seq)).toEqual([4, 5, 6]);
    expect(incoming.map((m) => m.seq)).toEqual([8, 1, 5]);
  });

  it('returns what is held when nothing new comes in', () => {
    const held = msgs(1, 3);
    expect(mergeMessages(held, [])).toEqual(held);
    expect(mergeMessages(held, msgs(1, 3))).toEqual(held);
  });
});

describe('contiguousSeq', () => {
  it('stops at the first hole', () => {
    expect(contiguousSeq(msgs(1, 3).concat(msg(5), msg(6)), 0)).toBe(3);
    expect(contiguousSeq([msg(1), msg(3)], 0)).toBe(1);
  });

  it('starts from `from`, skipping what is at or below it', () => {
    expect(contiguousSeq(msgs(1, 10), 4)).toBe(10);
    expect(contiguousSeq(msgs(1, 3), 3)).toBe(3);
    expect(contiguousSeq(msgs(1, 3), 7)).toBe(7);
  });

  it('does not advance when the first message after `from` is not from + 1', () => {
    expect(contiguousSeq(msgs(3, 6), 0)).toBe(0);
    expect(contiguousSeq(msgs(12, 20), 10)).toBe(10);
    expect(contiguousSeq([], 42)).toBe(42);
  });
});

describe('applyJoined', () => {
  it('first join without since (the latest 50 of 120): lastSeq is the last seq, and older history exists', () => {
    const log = applyJoined(emptyLog(ROOM), joined(120, msgs(71, 120), { members: [bob, alice] }));
    expect(seqs(log)).toEqual(range(71, 120));
    expect(log.lastSeq).toBe(120);
    expect(log.hasOlder).toBe(true);
    expect(log.joined).toBe(true);
    expect(log.members).toEqual([bob, alice]);
  });

  it('first join of a room whose whole history fits: nothing older', () => {
    const log = applyJoined(emptyLog(ROOM), joined(30, msgs(1, 30)));
    expect(seqs(log)).toEqual(range(1, 30));
    expect(log.lastSeq).toBe(30);
    expect(log.hasOlder).toBe(false);
  });

  it('a rejoin after a reconnect merges the missed messages and advances lastSeq', () => {
    const before = logAfterFirstJoin(71, 120);
    const log = applyJoined({ ...before, joined: false }, joined(130, msgs(121, 130)));
    expect(seqs(log)).toEqual(range(71, 130));
    expect(log.lastSeq).toBe(130);
    expect(log.hasOlder).toBe(true); // still: 1..70 are not loaded
    expect(log.joined).toBe(true);
  });

  it('a rejoin that repeats messages already received as msg keeps one copy of each', () => {
    let log = logAfterFirstJoin(1, 10);
    log = applyMessage(log, msg(11)).log;
    log = applyMessage(log, msg(12)).log;
    log = applyJoined(log, joined(13, msgs(11, 13)));
    expect(seqs(log)).toEqual(range(1, 13));
    expect(new Set(log.messages.map((m) => m.id)).size).toBe(13);
    expect(log.lastSeq).toBe(13);
  });

  it('a rejoin after a gap fills the hole and moves lastSeq past what was held beyond it', () => {
    let log = logAfterFirstJoin(1, 10);
    log = applyMessage(log, msg(12)).log;
    expect(log.lastSeq).toBe(10);
    log = applyJoined(log, joined(12, msgs(11, 12)));
    expect(seqs(log)).toEqual(range(1, 12));
    expect(log.lastSeq).toBe(12);
  });

  it('truncated: the log starts over from the new window, older history to be paged', () => {
    let log = logAfterFirstJoin(1, 40);
    log = applyMessage(log, msg(42)).log; // held beyond a hole: dropped with the rest
    expect(log.hasOlder).toBe(false);
    log = applyJoined(log, joined(1040, msgs(541, 1040), { truncated: true }));
    expect(seqs(log)).toEqual(range(541, 1040));
    expect(log.lastSeq).toBe(1040);
    expect(log.hasOlder).toBe(true);
  });

  it('with no messages: lastSeq is the room seq', () => {
    // An empty room.
    let log = applyJoined(emptyLog(ROOM), joined(0, []));
    expect(log.lastSeq).toBe(0);
    expect(log.hasOlder).toBe(false);
    expect(log.joined).toBe(true);
    // Nothing new since the last seq held.
    log = applyJoined(logAfterFirstJoin(1, 10), joined(10, []));
    expect(seqs(log)).toEqual(range(1, 10));
    expect(log.lastSeq).toBe(10);
    // An empty log told the room is at 7.
    log = applyJoined(emptyLog(ROOM), joined(7, []));
    expect(log.messages).toEqual([]);
    expect(log.lastSeq).toBe(7);
  });

  it('clears an earlier error, replaces the members and keeps the pending sends', () => {
    const pending = { cid: 'c1', room: ROOM, body: 'hi', state: 'queued' as const, createdAt: T0 };
    const before: RoomLog = {
      ...emptyLog(ROOM),
      members: [alice, bob],
      pending: [pending],
      error: { code: 'unavailable', message: 'down' },
    };
    const log = applyJoined(before, joined(0, [], { members: [carol] }));
    expect(log.error).toBeUndefined();
    expect(log.members).toEqual([carol]);
    expect(log.pending).toEqual([pending]);
    expect(log.room).toBe(ROOM);
  });
});

describe('applyMessage', () => {
  it('the next seq advances lastSeq, no gap', () => {
    const r = applyMessage(logAfterFirstJoin(1, 10), msg(11));
    expect(r.gap).toBe(false);
    expect(r.log.lastSeq).toBe(11);
    expect(seqs(r.log)).toEqual(range(1, 11));
  });

  it('into an empty room: seq 1 is no gap', () => {
    const r = applyMessage(applyJoined(emptyLog(ROOM), joined(0, [])), msg(1));
    expect(r.gap).toBe(false);
    expect(r.log.lastSeq).toBe(1);
  });

  it('a skipped seq is a gap: the message is kept, lastSeq stays below the hole', () => {
    const r = applyMessage(logAfterFirstJoin(1, 10), msg(12));
    expect(r.gap).toBe(true);
    expect(r.log.lastSeq).toBe(10);
    expect(seqs(r.log)).toEqual([...range(1, 10), 12]);
  });

  it('a duplicate is no gap and changes nothing', () => {
    const before = logAfterFirstJoin(1, 10);
    const r = applyMessage(before, msg(10));
    expect(r.gap).toBe(false);
    expect(r.log.messages).toEqual(before.messages);
    expect(r.log.lastSeq).toBe(10);
    const again = applyMessage(before, msg(4));
    expect(again.gap).toBe(false);
    expect(again.log.messages).toEqual(before.messages);
  });

  it('the message that fills a hole closes it: no gap, lastSeq jumps over what was held', () => {
    let log = logAfterFirstJoin(1, 10);
    log = applyMessage(log, msg(12)).log;
    log = applyMessage(log, msg(13)).log;
    const r = applyMessage(log, msg(11));
    expect(r.gap).toBe(false);
    expect(r.log.lastSeq).toBe(13);
    expect(seqs(r.log)).toEqual(range(1, 13));
  });

  it('a message from someone typing ends their typing notice, not the others', () => {
    let log = logAfterFirstJoin(1, 10);
    log = applyTyping(log, bob, T0);
    log = applyTyping(log, carol, T0);
    log = applyMessage(log, msg(11, bob)).log;
    expect(activeTypists(log, T0 + 1)).toEqual([carol]);
  });
});

describe('applyOlder', () => {
  it('prepends a page, keeps seq order and takes hasOlder from `more`', () => {
    let log = logAfterFirstJoin(101, 150);
    log = applyOlder(log, msgs(51, 100), true);
    expect(seqs(log)).toEqual(range(51, 150));
    expect(log.hasOlder).toBe(true);
    expect(log.lastSeq).toBe(150);
    log = applyOlder(log, msgs(1, 50), false);
    expect(seqs(log)).toEqual(range(1, 150));
    expect(log.hasOlder).toBe(false);
    expect(log.lastSeq).toBe(150);
  });

  it('a page overlapping what is held adds only what is missing', () => {
    let log = logAfterFirstJoin(41, 60);
    log = applyOlder(log, msgs(21, 45), true);
    expect(seqs(log)).toEqual(range(21, 60));
    expect(new Set(log.messages.map((m) => m.id)).size).toBe(40);
  });

  it('an empty last page says there is nothing older', () => {
    const log = applyOlder(logAfterFirstJoin(1, 10), [], false);
    expect(seqs(log)).toEqual(range(1, 10));
    expect(log.hasOlder).toBe(false);
  });

  // loadOlder applies its page after an await: a truncated rejoin may have moved the window meanwhile.
  it('a page that no longer joins onto the oldest message held (a truncated rejoin came in between) leaves no hole', () => {
    let log = logAfterFirstJoin(101, 150);
    const before = log.messages[0]!.seq; // loadOlder asks for before=101
    log = applyJoined(log, joined(1260, msgs(761, 1260), { truncated: true })); // reconnect meanwhile
    log = applyOlder(log, msgs(before - 50, before - 1), true); // the page for before=101 arrives
    const first = log.messages[0]!.seq;
    expect(contiguousSeq(log.messages, first - 1)).toBe(log.lastSeq);
    expect(seqs(log)).toEqual(range(761, 1260));
    expect(log.hasOlder).toBe(true);
  });

  // Two requests for the same page can answer out of order; the late one must not reopen history.
  it('a late duplicate page does not turn hasOlder back on once seq 1 is held', () => {
    let log = logAfterFirstJoin(101, 150);
    log = applyOlder(log, msgs(51, 100), true); // first answer for before=101
    log = applyOlder(log, msgs(1, 50), false); // answer for before=51
    expect(log.hasOlder).toBe(false);
    log = applyOlder(log, msgs(51, 100), true); // the duplicate request for before=101 answers last
    expect(seqs(log)).toEqual(range(1, 150));
    expect(log.hasOlder).toBe(false);
  });

  // An empty room joined at seq 0, then msg 3 before 1 and 2: the page bringing 1..2 closes the hole.
  it('a page that closes the hole at the bottom of the window moves lastSeq up', () => {
    let log = applyJoined(emptyLog(ROOM), joined(0, []));
    const r = applyMessage(log, msg(3));
    expect(r.gap).toBe(true);
    log = applyOlder(r.log, msgs(1, 2), false);
    expect(seqs(log)).toEqual([1, 2, 3]);
    expect(log.lastSeq).toBe(3);
  });
});

describe('presence', () => {
  it('the joined snapshot plus presence diffs give the members online, sorted by name', () => {
    let log = applyJoined(emptyLog(ROOM), joined(0, [], { members: [alice, bob] }));
    log = applyPresence(log, { joins: [dave], leaves: [] });
    log = applyPresence(log, { joins: [carol], leaves: [bob] });
    expect(log.members).toEqual([alice, carol, dave]);
    log = applyPresence(log, { joins: [], leaves: [alice, dave] });
    expect(log.members).toEqual([carol]);
  });

  it('a second tab of someone online does not list them twice', () => {
    let log = applyJoined(emptyLog(ROOM), joined(0, [], { members: [alice, bob] }));
    log = applyPresence(log, { joins: [{ id: bob.id, name: 'bob' }], leaves: [] });
    expect(log.members).toEqual([alice, bob]);
  });

  it('a new joined snapshot replaces the members (after a reconnect)', () => {
    let log = applyJoined(emptyLog(ROOM), joined(0, [], { members: [alice, bob] }));
    log = applyPresence(log, { joins: [carol], leaves: [] });
    log = applyJoined(log, joined(0, [], { members: [alice, dave] }));
    expect(log.members).toEqual([alice, dave]);
  });

  it('a member who leaves stops showing as typing; others stay', () => {
    let log = applyJoined(emptyLog(ROOM), joined(0, [], { members: [alice, bob, carol] }));
    log = applyTyping(log, bob, T0);
    log = applyTyping(log, carol, T0);
    log = applyPresence(log, { joins: [], leaves: [bob] });
    expect(log.typing.map((t) => t.user)).toEqual([carol]);
    expect(activeTypists(log, T0 + 1)).toEqual([carol]);
  });
});

describe('typing', () => {
  it('shows for 4 s by default, then expires', () => {
    const log = applyTyping(emptyLog(ROOM), bob, T0);
    expect(activeTypists(log, T0)).toEqual([bob]);
    expect(activeTypists(log, T0 + 3999)).toEqual([bob]);
    expect(activeTypists(log, T0 + 4000)).toEqual([]);
    expect(activeTypists(log, T0 + 60_000)).toEqual([]);
  });

  it('honours a custom duration', () => {
    const log = applyTyping(emptyLog(ROOM), bob, T0, 1500);
    expect(activeTypists(log, T0 + 1499)).toEqual([bob]);
    expect(activeTypists(log, T0 + 1500)).toEqual([]);
  });

  it('typing again extends the notice and keeps one entry per user', () => {
    let log = applyTyping(emptyLog(ROOM), bob, T0);
    log = applyTyping(log, carol, T0 + 1000);
    log = applyTyping(log, bob, T0 + 3000);
    expect(log.typing).toHaveLength(2);
    expect(activeTypists(log, T0 + 4500).map((m) => m.name).sort()).toEqual(['bob', 'carol']);
    expect(activeTypists(log, T0 + 5500)).toEqual([bob]);
    expect(activeTypists(log, T0 + 7000)).toEqual([]);
  });
});

// --- property tests -------------------------------------------------------------------

/**
 * A model of the server and of what Connection does with its frames, driven by a seeded
 * PRNG. The room's history is the messages 1..N. Frames reach the log through the pure
 * functions only, as fresh copies (as a decoder would hand them over).
 */
interface SimOptions {
  /** Messages in the room by the end. */
  n: number;
  /** `joined` with since: at most this many, then truncated (the server's 500). */
  cap: number;
  /** `joined` without since: the latest this many (the server's 50). */
  latest: number;
  /** HTTP page size. */
  pageLimit: number;
  /** Whether a msg frame may be delivered after a later `joined` (a harsher-than-real delay). */
  delaysCrossJoined: boolean;
  /** Whether an HTTP page is answered at a later step (one request at a time) or at once. */
  asyncPages: boolean;
}

class Sim {
  readonly stream: ChatMessage[];
  log: RoomLog = emptyLog(ROOM);
  published = 0;
  connected = false;
  /** The server has answered a join on this socket and sends it `msg` frames. */
  subscribed = false;
  /** The join the server will answer next (a later join supersedes it). */
  pendingJoin: { since: number | undefined } | undefined;
  /** msg frames on their way; delivery picks the head mostly, any other sometimes. */
  live: ChatMessage[] = [];
  pendingPage: { before: number } | undefined;
  /** Every message the log has been given, by id. */
  readonly seen = new Map<number, ChatMessage>();
  /**
   * The first seq of the window the log is building, from what the server said: the first
   * message of a `joined` given to an empty log (or the seq after it, when it had none) or of
   * a truncated one, lowered by each page of older messages. Undefined before any `joined`.
   */
  start: number | undefined;
  /** How many truncated `joined` answers this run produced. */
  truncations = 0;

  constructor(
    readonly rnd: () => number,
    readonly o: SimOptions,
  ) {
    this.stream = msgs(1, o.n);
  }

  private copy(seq: number): ChatMessage {
    const m = this.stream[seq - 1]!;
    return { ...m, user: { ...m.user } };
  }

  private see(ms: readonly ChatMessage[]): void {
    for (const m of ms) this.seen.set(m.id, m);
  }

  /** Connection.join: since = lastSeq once anything is held. */
  sendJoin(): void {
    if (!this.connected) return;
    const held = this.log.messages.length > 0 || this.log.lastSeq > 0;
    this.pendingJoin = { since: held ? this.log.lastSeq : undefined };
  }

  publish(): void {
    if (this.published >= this.o.n) return;
    this.published++;
    if (!this.subscribed) return;
    this.live.push(this.copy(this.published));
    // Some frames come twice.
    if (this.rnd() < 0.15) this.live.splice(Math.floor(this.rnd() * (this.live.length + 1)), 0, this.copy(this.published));
  }

  deliverLive(): void {
    if (this.live.length === 0) return;
    const i = this.rnd() < 0.7 ? 0 : Math.floor(this.rnd() * this.live.length);
    const [m] = this.live.splice(i, 1);
    this.see([m!]);
    const r = applyMessage(this.log, m!);
    this.log = r.log;
    if (r.gap) this.sendJoin();
  }

  answerJoin(): void {
    if (!this.connected || !this.pendingJoin) return;
    // Frames on a socket are ordered: what was sent before this joined arrives before it.
    if (!this.o.delaysCrossJoined) while (this.live.length > 0) this.deliverLive();
    const since = this.pendingJoin?.since;
    this.pendingJoin = undefined;
    const after = since ?? 0;
    let ms = range(after + 1, this.published).map((s) => this.copy(s));
    const limit = since === undefined ? this.o.latest : this.o.cap;
    const truncated = since !== undefined && ms.length > limit;
    if (ms.length > limit) ms = ms.slice(ms.length - limit);
    this.see(ms);
    if (truncated) this.truncations++;
    if (truncated || this.log.messages.length === 0) this.start = ms[0]?.seq ?? this.published + 1;
    this.log = applyJoined(this.log, { seq: this.published, members: [alice], messages: ms, truncated });
    this.subscribed = true;
  }

  /** Connection.loadOlder, when the UI offers it (hasOlder): before = the oldest seq held (or lastSeq + 1). */
  requestOlder(): void {
    if (this.pendingPage || !this.log.hasOlder) return;
    const before = this.log.messages[0]?.seq ?? this.log.lastSeq + 1;
    if (before <= 1) return;
    this.pendingPage = { before };
    if (!this.o.asyncPages) this.answerPage();
  }

  answerPage(): void {
    if (!this.pendingPage) return;
    const { before } = this.pendingPage;
    this.pendingPage = undefined;
    const from = Math.max(1, before - this.o.pageLimit);
    const page = range(from, before - 1).map((s) => this.copy(s));
    this.see(page);
    if (this.start !== undefined && before === this.start) this.start = from;
    this.log = applyOlder(this.log, page, from > 1);
  }

  disconnect(): void {
    if (!this.connected) return;
    // Connection ignores every frame of a closed socket; the HTTP fetch goes on.
    this.connected = false;
    this.subscribed = false;
    this.live = [];
    this.pendingJoin = undefined;
  }

  reconnect(): void {
    if (this.connected) return;
    this.connected = true;
    this.sendJoin();
  }

  step(): string {
    const r = this.rnd();
    if (r < 0.3) return this.publish(), 'publish';
    if (r < 0.6) return this.deliverLive(), 'msg';
    if (r < 0.72) return this.answerJoin(), 'joined';
    if (r < 0.8) return this.requestOlder(), 'older?';
    if (r < 0.88) return this.answerPage(), 'page';
    if (r < 0.93) return this.disconnect(), 'close';
    return this.reconnect(), 'open';
  }

  /** Everything delivered, the socket open and caught up, and all history paged in. */
  settle(): void {
    this.answerPage();
    while (this.published < this.o.n) this.publish();
    this.reconnect();
    for (let guard = 0; this.live.length > 0 || this.pendingJoin; guard++) {
      if (guard > 10_000) throw new Error('settle: no progress');
      if (this.live.length > 0) this.deliverLive();
      else this.answerJoin();
    }
    for (let guard = 0; this.log.hasOlder; guard++) {
      if (guard > 10_000) throw new Error('settle: hasOlder never clears');
      this.requestOlder();
      this.answerPage();
    }
  }
}

function sameMessage(a: ChatMessage, b: ChatMessage): boolean {
  return a.id === b.id && a.seq === b.seq && a.room === b.room && a.at === b.at && a.body === b.body && a.cid === b.cid && a.user.id === b.user.id && a.user.name === b.user.name;
}

/** The invariants that hold after every step; returns what is wrong, or undefined. */
function checkInvariants(sim: Sim, exactSeen: boolean): string | undefined {
  const { log } = sim;
  for (let i = 1; i < log.messages.length; i++) {
    if (!(log.messages[i]!.seq > log.messages[i - 1]!.seq)) return `seq not strictly ascending at index ${i}: ${seqs(log).join(',')}`;
  }
  const ids = new Set(log.messages.map((m) => m.id));
  if (ids.size !== log.messages.length) return 'duplicate ids';
  for (const m of log.messages) {
    const want = sim.stream[m.seq - 1];
    if (!want || !sameMessage(m, want)) return `message at seq ${m.seq} is not the room's`;
    if (!sim.seen.has(m.id)) return `seq ${m.seq} held but never delivered`;
  }
  // lastSeq: the highest seq with no hole from the start of the window. That is the first
  // message held, unless the first ones of the window are still on their way.
  const held = new Set(log.messages.map((m) => m.seq));
  const start = sim.start;
  if (start === undefined) {
    if (log.messages.length > 0 || log.lastSeq !== 0) return 'a log that never joined holds something';
    return undefined;
  }
  if (log.messages.length > 0 && log.messages[0]!.seq < start) return `seq ${log.messages[0]!.seq} held below the window start ${start}`;
  let expected = start - 1;
  while (held.has(expected + 1)) expected++;
  if (log.lastSeq !== expected) return `lastSeq ${log.lastSeq}, expected ${expected} (window from ${start}, held ${seqs(log).join(',')})`;
  if (log.messages.length > 0 && log.messages[0]!.seq === start && log.lastSeq < start) return 'lastSeq below the first held';
  // hasOlder: exactly when the window does not reach seq 1.
  if (log.hasOlder !== start > 1) return `hasOlder ${log.hasOlder} with the window starting at ${start}`;
  // What was seen is held: all of it, or (after truncated resets) all of it from the window up.
  for (const m of sim.seen.values()) {
    if ((exactSeen || m.seq >= start) && !held.has(m.seq)) return `seq ${m.seq} was delivered but is not held`;
  }
  return undefined;
}

function runProperty(o: SimOptions, seeds: number, steps: number, exactSeen: boolean): { truncations: number; pages: number } {
  let truncations = 0;
  let pages = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const sim = new Sim(rng(seed), { ...o, n: o.n + (seed % 17) });
    sim.reconnect();
    const trace: string[] = ['open'];
    for (let i = 0; i < steps; i++) {
      const what = sim.step();
      trace.push(what);
      if (what === 'page') pages++;
      const problem = checkInvariants(sim, exactSeen);
      if (problem) throw new Error(`seed ${seed}, step ${i} (${trace.slice(-12).join(' ')}): ${problem}`);
    }
    sim.settle();
    const problem = checkInvariants(sim, exactSeen);
    if (problem) throw new Error(`seed ${seed}, after settling: ${problem}`);
    // Caught up and fully paged in: exactly the room's history.
    expect(seqs(sim.log), `seed ${seed}`).toEqual(range(1, sim.o.n));
    expect(sim.log.lastSeq, `seed ${seed}`).toBe(sim.o.n);
    expect(sim.log.hasOlder, `seed ${seed}`).toBe(false);
    truncations += sim.truncations;
  }
  return { truncations, pages };
}

describe('RoomLog under random interleavings (property)', () => {
  it('joins with since, duplicated and delayed msgs, reconnects and older pages: exactly the messages seen, in order, lastSeq right', () => {
    const stats = runProperty(
      { n: 120, cap: 500, latest: 10, pageLimit: 7, delaysCrossJoined: true, asyncPages: true },
      300,
      400,
      true,
    );
    expect(stats.truncations).toBe(0);
    expect(stats.pages).toBeGreaterThan(100); // the pages path was exercised
  });

  it('with truncated rejoins (small cap): the invariants hold after every step, and it converges to the whole history', () => {
    const stats = runProperty(
      { n: 80, cap: 6, latest: 4, pageLimit: 5, delaysCrossJoined: false, asyncPages: false },
      300,
      400,
      false,
    );
    expect(stats.truncations).toBeGreaterThan(50); // the truncated path was exercised
  });
});
