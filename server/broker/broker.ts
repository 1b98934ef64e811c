/**
 * Delivery of packed frames to every subscriber of a room topic.
 * Guarantee: frames published to one topic reach each subscriber in publish order.
 */
export interface Broker {
  publish(topic: string, frame: Uint8Array): void;
}

/** The topic of a room on uWS (and on any broker that relays between processes). */
export function roomTopic(room: string): string {
  return `room/${room}`;
}
