/**
 * The broker of a single process: there are no other nodes, so nothing is relayed and
 * subscriptions cost nothing. Parley without REDIS_URL runs on this, at the speed of uWS
 * topics alone.
 */
import type { Broker } from './broker.js';

export class LocalBroker implements Broker {
  readonly connected = true;

  constructor(readonly nodeId: string) {}

  publish(): void {}

  subscribe(): Promise<void> {
    return Promise.resolve();
  }

  unsubscribe(): void {}

  onReconnect(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }
}
