/**
 * The WebSocket frames of the contract, as types, plus the error and close codes.
 * Browser-safe: the web client imports this file as it is.
 */

export interface Member {
  id: number;
  name: string;
}

export interface ChatMessage {
  room: string;
  id: number;
  seq: number;
  /** Commit time, ms since the epoch. */
  at: number;
  user: Member;
  body: string;
  cid: string;
  /**
   * Absent on a message. On an event in the room's sequence that changed an earlier message:
   * `edit` (body is the new text) or `delete` (body is empty), and `target`, that message's seq.
   */
  kind?: 'edit' | 'delete';
  target?: number;
  /** On a message read from history: when it was last edited (ms), and whether it was deleted. */
  edited?: number;
  deleted?: true;
}

/** A room as the sidebar lists it (GET /api/rooms, and `directory` pushes). */
export interface RoomListing {
  name: string;
  kind: 'public' | 'direct';
  topic: string | null;
  lastSeq: number;
  lastAt: number | null;
  /** The other member of a direct room. */
  with?: Member;
}

/** What GET /api/rooms adds for the caller: membership and how much of the room they have read. */
export interface RoomReading {
  /** A member: a direct room's person, or someone who joined a public room and has not left it. */
  member: boolean;
  /** The last seq the caller has read (0: nothing yet). */
  readSeq: number;
  /** Messages by others after readSeq (counted up to UNREAD_COUNT_MAX), members only. */
  unread: number;
  /** Of those, the ones that mention the caller by @name. */
  mentions: number;
}

/** Unread counts stop here; the client shows "99+" past 99. */
export const UNREAD_COUNT_MAX = 100;

/** Echoed on the direct reply or error to the frame that carried it. */
export type Ref = string | number;

export type ClientFrame =
  | { t: 'join'; room: string; since?: number; ref?: Ref }
  | { t: 'leave'; room: string; ref?: Ref }
  | { t: 'send'; room: string; body: string; cid: string; ref?: Ref }
  | { t: 'typing'; room: string; ref?: Ref }
  | { t: 'watch'; ref?: Ref }
  /** Change the text of one's own message (its seq in the room). */
  | { t: 'edit'; room: string; seq: number; body: string; ref?: Ref }
  | { t: 'delete'; room: string; seq: number; ref?: Ref }
  /** The caller has seen the room up to seq: stored, and told to their other tabs. */
  | { t: 'read'; room: string; seq: number; ref?: Ref };

export type ErrorCode =
  | 'bad_frame'
  | 'invalid'
  | 'not_found'
  | 'forbidden'
  | 'not_joined'
  | 'rate_limited'
  | 'too_many_rooms'
  | 'unavailable'
  | 'internal';

export type ServerFrame =
  | { t: 'joined'; room: string; seq: number; members: Member[]; messages: ChatMessage[]; truncated: boolean; ref?: Ref }
  | { t: 'left'; room: string; ref?: Ref }
  | { t: 'ack'; cid: string; room: string; id: number; seq: number; at: number; ref?: Ref }
  | ({ t: 'msg' } & ChatMessage)
  | { t: 'presence'; room: string; joins: Member[]; leaves: Member[] }
  | { t: 'typing'; room: string; user: Member }
  /**
   * Live lists, after `watch`: first the whole picture (`full`: online counts of every public
   * room with someone in it, ids of every user online), then only what changed (a room's new
   * count, 0 included; users who came online, `on`, or went offline, `off`).
   */
  | {
      t: 'lists';
      full?: boolean;
      rooms: Record<string, number>;
      users?: number[];
      on?: number[];
      off?: number[];
      /** Public rooms with new messages since the last frame: room -> their seqs, ascending (at most 100 per frame). */
      activity?: Record<string, number[]>;
      ref?: Ref;
    }
  /**
   * To one user's sockets (after `watch`): a message for them in a room they may not have
   * open, a direct message from the other person or a mention of them by @name.
   */
  | { t: 'activity'; room: string; seq: number; by: Member; preview: string; mention: boolean }
  /** New rooms and users for the lists, after `watch`: public rooms to everyone, a direct room to its two members. */
  | { t: 'directory'; rooms?: RoomListing[]; users?: Member[] }
  /** To the user's own sockets (after `watch`): their read position in a room moved on. */
  | { t: 'read'; room: string; seq: number; ref?: Ref }
  /** To the user's own sockets (after `watch`): they became a member of a room, or left it. */
  | { t: 'membership'; room: RoomListing; member: boolean }
  | { t: 'error'; code: ErrorCode; message: string; room?: string; retry_after?: number; ref?: Ref };

export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  sessionInvalid: 1008,
  tooLarge: 1009,
  internal: 1011,
  overloaded: 1013,
} as const;

/** How many missed messages `join` with `since` returns at most, and how many without it. */
export const JOIN_BACKLOG_MAX = 500;
export const JOIN_LATEST = 50;
