/**
 * The single-process broker: uWS's own topic pub/sub, which copies the frame once into
 * each subscriber's queue and writes them out at the end of the event-loop iteration.
 */
import type { TemplatedApp } from 'uws-current';
import type { Broker } from './broker.js';

export class LocalBroker implements Broker {
  constructor(private readonly app: Pick<TemplatedApp, 'publish'>) {}

  publish(topic: string, frame: Uint8Array): void {
    this.app.publish(topic, frame, true);
  }
}
