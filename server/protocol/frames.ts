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

/** Echoed on the direct reply or error to the frame that carried it. */
export type Ref = string | number;

export type ClientFrame =
  | { t: 'join'; room: string; since?: number; ref?: Ref }
  | { t: 'leave'; room: string; ref?: Ref }
  | { t: 'send'; room: string; body: string; cid: string; ref?: Ref }
  | { t: 'typing'; room: string; ref?: Ref }
  | { t: 'watch'; ref?: Ref };

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
  | { t: 'lists'; full?: boolean; rooms: Record<string, number>; users?: number[]; on?: number[]; off?: number[]; ref?: Ref }
  /** New rooms and users for the lists, after `watch`: public rooms to everyone, a direct room to its two members. */
  | { t: 'directory'; rooms?: RoomListing[]; users?: Member[] }
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
