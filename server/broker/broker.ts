/**
 * Relays room events (committed messages, typing notices) and presence between the nodes of
 * a cluster. Delivery to this node's own sockets is not the broker's: that stays on uWS
 * topics (room-topics.ts), packed once.
 *
 * Guarantees: an event crosses to the other nodes once, however many sockets they hold in
 * the room; one node's events on one channel reach every other node in publish order; a node
 * never hears its own events back. Delivery is at most once: what is published while the
 * link is down is dropped, and after `onReconnect` the listener must assume it missed events
 * (messages are recovered from PostgreSQL by seq; presence re-sends whole node states).
 */
export interface Broker {
  /** This process's id in the cluster (NODE_ID, or generated at start). */
  readonly nodeId: string;
  /** False while the link to the other nodes is down (always true without a cluster). */
  readonly connected: boolean;
  /** Sends a packed event to the other nodes subscribed to the channel. Never throws. */
  publish(channel: string, frame: Uint8Array): void;
  /**
   * Calls `handler` with other nodes' events on the channel, one handler per channel.
   * Resolves once events flow, or after a short wait when the link is down (they will flow
   * once it is back; the caller recovers what it missed).
   */
  subscribe(channel: string, handler: (frame: Uint8Array, from: string) => void): Promise<void>;
  unsubscribe(channel: string): void;
  /** Called each time the link comes back after being down. */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

/** The broker channel of a room's events. Room names cannot contain ':', so no name clashes with the others below. */
export function roomChannel(room: string): string {
  return `room:${room}`;
}

/** Where nodes tell each other who is online. */
export const PRESENCE_CHANNEL = 'presence';
/** Where nodes tell each other of new rooms and users (the pushed sidebar). */
export const DIRECTORY_CHANNEL = 'directory';
/** Where nodes tell each other of revoked sessions, so every node closes their sockets. */
export const SESSIONS_CHANNEL = 'sessions';
