/**
 * The soak's completeness check: every room's history read back over HTTP
 * (GET /api/rooms/:name/messages, newest page first, then `before` the oldest seq of each
 * page) and held against what the load was told. Each cid is unique to one send, so a cid
 * found twice is a message stored twice, and an acknowledged cid not found is one lost.
 */
import { forEachConcurrently } from '../concurrency.js';
import { readHistory } from '../room-reads.js';
import type { HistoryCheck } from './messages.js';

/** Rooms read at once. */
const CONCURRENCY = 4;
const EXAMPLES = 10;

interface StoredMessage {
  seq: number;
  id: number;
  cid: string;
}

export interface SentRecord {
  /** Every acknowledged send, per room: cid -> the seq and id of its ack. */
  acked: Map<string, Map<string, { seq: number; id: number }>>;
  /** Sends given up after an error that said nothing was stored. */
  refused: Set<string>;
  /** Sends unanswered when their connection closed: stored or not, either is right. */
  unanswered: Set<string>;
}

export async function checkHistory(url: string, cookie: string, rooms: string[], sent: SentRecord): Promise<HistoryCheck> {
  const started = Date.now();
  const result: HistoryCheck = {
    rooms: rooms.length,
    stored: 0,
    acked: 0,
    storedOnce: 0,
    lost: 0,
    doubled: 0,
    mismatched: 0,
    refusedStored: 0,
    unansweredStored: 0,
    foreign: 0,
    roomsWithSeqGaps: 0,
    examples: [],
    ms: 0,
  };
  const example = (text: string) => {
    if (result.examples.length < EXAMPLES) result.examples.push(text);
  };
  for (const acked of sent.acked.values()) result.acked += acked.size;
  const ackedRooms = [...sent.acked.keys()].filter((r) => !rooms.includes(r));
  if (ackedRooms.length) throw new Error(`acks for rooms outside the workload: ${ackedRooms.join(', ')}`);

  await forEachConcurrently(rooms.length, CONCURRENCY, async (i) => {
    const room = rooms[i]!;
    const messages = await readHistory<StoredMessage>(url, cookie, room);
    result.stored += messages.length;
    // seq counts up by one per room with no gaps: the history is exactly 1..last.
    const gapAt = messages.findIndex((m, k) => m.seq !== k + 1);
    if (gapAt >= 0) {
      result.roomsWithSeqGaps++;
      example(`${room}: history position ${gapAt + 1} holds seq ${messages[gapAt]!.seq}`);
    }
    const byCid = new Map<string, StoredMessage[]>();
    for (const m of messages) {
      const same = byCid.get(m.cid);
      if (same) same.push(m);
      else byCid.set(m.cid, [m]);
    }
    const acked = sent.acked.get(room) ?? new Map<string, { seq: number; id: number }>();
    for (const [cid, found] of byCid) {
      if (found.length > 1) {
        result.doubled++;
        example(`${room}: cid ${cid} stored ${found.length} times (seqs ${found.map((m) => m.seq).join(', ')})`);
      }
      if (acked.has(cid)) continue;
      if (sent.refused.has(cid)) {
        result.refusedStored++;
        example(`${room}: cid ${cid} (seq ${found[0]!.seq}) was refused with an error, yet stored`);
      } else if (sent.unanswered.has(cid)) result.unansweredStored++;
      else {
        result.foreign++;
        example(`${room}: cid ${cid} (seq ${found[0]!.seq}) was never sent by this run`);
      }
    }
    for (const [cid, ack] of acked) {
      const found = byCid.get(cid);
      if (!found) {
        result.lost++;
        example(`${room}: acked cid ${cid} (seq ${ack.seq}) is not in history`);
      } else if (found.length === 1 && (found[0]!.seq !== ack.seq || found[0]!.id !== ack.id)) {
        result.mismatched++;
        example(`${room}: cid ${cid} acked as seq ${ack.seq} id ${ack.id}, stored as seq ${found[0]!.seq} id ${found[0]!.id}`);
      } else if (found.length === 1) result.storedOnce++;
    }
  });
  result.ms = Date.now() - started;
  return result;
}
