/**
 * Every event a Parley component sends up, with its detail type. Components never call
 * their ancestors: they dispatch one of these (bubbling and composed, so it crosses shadow
 * roots) and whoever owns the state handles it.
 */
import type { Member } from '../server/protocol/frames.js';

export interface ParleyEventDetail {
  /** Go to a path inside the app (pushes a history entry). */
  'parley-navigate': { path: string };
  /** Sign-in or sign-up succeeded. */
  'parley-signed-in': { user: Member };
  'parley-sign-out': null;
  /** Open (or create) the direct room with this username. */
  'parley-open-direct': { user: string };
  'parley-send': { body: string };
  /** The reader is typing in the composer (not throttled here). */
  'parley-typing': null;
  'parley-retry': { cid: string };
  'parley-discard': { cid: string };
  /** The message list scrolled to the top and wants the page before its first message. */
  'parley-load-older': null;
  /** A room's first `joined` arrived (the server may just have created it). */
  'parley-room-ready': { room: string };
  /** The reader asked for the next page of the room list. */
  'parley-more-rooms': null;
  /** The reader chose a search result: open `room` and bring message `seq` into view. */
  'parley-open-result': { room: string; seq: number };
  /** Turn desktop notifications on or off (a user gesture: the permission may be asked). */
  'parley-toggle-notifications': null;
  /** Edit one's own message (its seq in the room on screen). */
  'parley-edit': { seq: number; body: string };
  'parley-delete': { seq: number };
  /** Up in an empty composer: edit the reader's last message. */
  'parley-edit-last': null;
  /** Open this room, creating it without asking if it does not exist (the reader typed its name to make it). */
  'parley-create-room': { room: string };
  /** The reader has the room's newest messages on screen, up to this seq. */
  'parley-seen': { seq: number };
}

export type ParleyEventName = keyof ParleyEventDetail;
export type ParleyEvent<K extends ParleyEventName> = CustomEvent<ParleyEventDetail[K]>;

export function emit<K extends ParleyEventName>(from: EventTarget, type: K, detail: ParleyEventDetail[K]): void {
  from.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    'parley-navigate': ParleyEvent<'parley-navigate'>;
    'parley-signed-in': ParleyEvent<'parley-signed-in'>;
    'parley-sign-out': ParleyEvent<'parley-sign-out'>;
    'parley-open-direct': ParleyEvent<'parley-open-direct'>;
    'parley-send': ParleyEvent<'parley-send'>;
    'parley-typing': ParleyEvent<'parley-typing'>;
    'parley-retry': ParleyEvent<'parley-retry'>;
    'parley-discard': ParleyEvent<'parley-discard'>;
    'parley-load-older': ParleyEvent<'parley-load-older'>;
    'parley-room-ready': ParleyEvent<'parley-room-ready'>;
    'parley-more-rooms': ParleyEvent<'parley-more-rooms'>;
    'parley-open-result': ParleyEvent<'parley-open-result'>;
    'parley-toggle-notifications': ParleyEvent<'parley-toggle-notifications'>;
    'parley-edit': ParleyEvent<'parley-edit'>;
    'parley-delete': ParleyEvent<'parley-delete'>;
    'parley-edit-last': ParleyEvent<'parley-edit-last'>;
    'parley-seen': ParleyEvent<'parley-seen'>;
    'parley-create-room': ParleyEvent<'parley-create-room'>;
  }
}
