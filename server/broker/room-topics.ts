/**
 * Delivery to this node's sockets: uWS's own topic pub/sub, which copies a packed frame once
 * into each subscriber's queue. One topic per room, one for the live lists of the sidebar,
 * one per user for what only that user's tabs should hear.
 */
import type { TemplatedApp } from 'uws-current';

export function roomTopic(room: string): string {
  return `room/${room}`;
}

/** Every socket whose client asked for live lists (`watch`). */
export const LISTS_TOPIC = 'lists';

export function userTopic(userId: number): string {
  return `user/${userId}`;
}

export class RoomTopics {
  /** Frames published so far: a socket's output queue grows only when this does. */
  published = 0;

  constructor(
    private readonly app: Pick<TemplatedApp, 'publish' | 'numSubscribers'>,
    /** Told how many sockets each publish reached (the deliveries metric). */
    private readonly delivered?: (sockets: number) => void,
  ) {}

  publish(topic: string, frame: Uint8Array): void {
    this.published++;
    this.app.publish(topic, frame, true);
    if (this.delivered) this.delivered(this.app.numSubscribers(topic));
  }
}
