/**
 * Logout and password changes in a cluster: the node that revokes a session tells the others
 * over the broker, and each drops it from its session cache and closes its sockets (1008), as
 * the revoking node does for its own. Without it a tab on another node would stay connected
 * until it next needed the session.
 */
import { SESSIONS_CHANNEL, type Broker } from '../broker/broker.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import type { SessionStore } from './session-store.js';

export async function relayRevocations(sessions: SessionStore, broker: Broker, closeSessions: (ids: string[]) => void): Promise<void> {
  sessions.onRevoke((ids) => broker.publish(SESSIONS_CHANNEL, encodeFrame({ ids })));
  await broker.subscribe(SESSIONS_CHANNEL, (frame) => {
    let ids: unknown;
    try {
      ids = (decodeFrame(frame) as { ids?: unknown }).ids;
    } catch {
      return;
    }
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) return;
    sessions.revokedElsewhere(ids);
    closeSessions(ids);
  });
}
