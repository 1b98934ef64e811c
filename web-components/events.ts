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
  }
}
