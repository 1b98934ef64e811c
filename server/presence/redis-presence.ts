/**
 * Presence across the nodes of a cluster, over the broker's presence channel.
 *
 * Each node numbers the changes of its own state (versions) and publishes each one (`delta`);
 * every other node applies them in order and merges them into its cluster view, which then
 * publishes the union's diffs to its own sockets. A node that misses a version (the link
 * dropped an event) asks for the whole state of that node (`want`) and replaces what it held.
 *
 * Nodes heartbeat (`beat`, every HEARTBEAT_MS, carrying their version). A node not heard from
 * for NODE_TIMEOUT_MS is taken as lost: its members leave wherever no other node holds them.
 * A node stopping says `bye` and is forgotten at once. A node starting says `hello`, to which
 * every node answers with its state; it has its own boot id, so a node restarted under the
 * same NODE_ID replaces its old state instead of resuming it: it starts clean.
 *
 * While this node's own link to Redis is down it cannot hear anyone, so it does not expire
 * anyone either: it keeps the last known members (its local clients are served meanwhile),
 * and once the link is back it says `hello` again and every node re-sends its whole state.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { PRESENCE_CHANNEL, type Broker } from '../broker/broker.js';
import type { Clock } from '../clock.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import type { NodeChange, NodeSnapshot } from './cluster-presence.js';
import { LocalPresence, type PresenceDiff } from './presence.js';

export interface RedisPresenceOptions {
  broker: Broker;
  clock: Clock;
  log: Logger;
  publish: (diff: PresenceDiff) => void;
  heartbeatMs?: number;
  nodeTimeoutMs?: number;
}

/** A node says it is alive this often... */
export const HEARTBEAT_MS = 2000;
/** ...and is taken as lost when not heard from for this long (its members' leaves follow within a second). */
export const NODE_TIMEOUT_MS = 10_000;
/** A node asks another for its state at most this often. */
const WANT_EVERY_MS = 1000;

type Wire =
  | { k: 'hello'; b: string }
  | { k: 'state'; b: string; v: number; s: NodeSnapshot }
  | { k: 'delta'; b: string; v: number; c: NodeChange }
  | { k: 'beat'; b: string; v: number }
  | { k: 'want'; b: string; of: string }
  | { k: 'bye'; b: string };

interface Peer {
  boot: string;
  version: number;
  seen: number;
  /** False after a missed version, until its state arrives. */
  synced: boolean;
}

export class RedisPresence extends LocalPresence {
  private readonly boot = randomBytes(6).toString('hex');
  private version = 0;
  private readonly peers = new Map<string, Peer>();
  private readonly asked = new Map<string, number>();
  private timers: Array<() => void> = [];
  private readonly heartbeatMs: number;
  private readonly nodeTimeoutMs: number;

  constructor(private readonly o: RedisPresenceOptions) {
    super(o.broker.nodeId, o.publish);
    this.heartbeatMs = o.heartbeatMs ?? HEARTBEAT_MS;
    this.nodeTimeoutMs = o.nodeTimeoutMs ?? NODE_TIMEOUT_MS;
  }

  override async start(): Promise<void> {
    await this.o.broker.subscribe(PRESENCE_CHANNEL, (frame, from) => this.receive(frame, from));
    this.o.broker.onReconnect(() => this.rejoin());
    this.timers.push(this.o.clock.every(this.heartbeatMs, () => this.send({ k: 'beat', b: this.boot, v: this.version })));
    this.timers.push(this.o.clock.every(Math.min(1000, this.nodeTimeoutMs / 4), () => this.expire()));
    this.send({ k: 'hello', b: this.boot });
    this.sendState();
  }

  override async stop(): Promise<void> {
    for (const stop of this.timers) stop();
    this.timers = [];
    this.send({ k: 'bye', b: this.boot });
  }

  /** Nodes this one holds a state of (itself not included). */
  get peerNodes(): string[] {
    return [...this.peers.keys()];
  }

  protected override announce(change: NodeChange): void {
    this.version++;
    this.send({ k: 'delta', b: this.boot, v: this.version, c: change });
  }

  private send(w: Wire): void {
    this.o.broker.publish(PRESENCE_CHANNEL, encodeFrame(w));
  }

  private sendState(): void {
    this.send({ k: 'state', b: this.boot, v: this.version, s: this.cluster.snapshot(this.nodeId) });
  }

  /** The link is back: whatever was said meanwhile is unknown, so everyone re-sends everything. */
  private rejoin(): void {
    const now = this.o.clock.now();
    for (const p of this.peers.values()) p.seen = now;
    this.send({ k: 'hello', b: this.boot });
    this.sendState();
  }

  private receive(frame: Uint8Array, from: string): void {
    let w: Wire;
    try {
      w = decodeFrame(frame) as Wire;
    } catch {
      return;
    }
    const now = this.o.clock.now();
    const peer = this.peers.get(from);
    switch (w.k) {
      case 'hello':
        if (peer && peer.boot !== w.b) this.forget(from);
        this.sendState();
        return;
      case 'state':
        if (peer && peer.boot === w.b && w.v < peer.version) return;
        this.emit(this.cluster.replace(from, w.s));
        this.peers.set(from, { boot: w.b, version: w.v, seen: now, synced: true });
        return;
      case 'delta':
        if (!peer || peer.boot !== w.b || !peer.synced) return this.want(from, now);
        peer.seen = now;
        if (w.v <= peer.version) return;
        if (w.v !== peer.version + 1) {
          peer.synced = false;
          return this.want(from, now);
        }
        peer.version = w.v;
        this.emit(this.cluster.apply(from, w.c));
        return;
      case 'beat':
        if (!peer || peer.boot !== w.b) return this.want(from, now);
        peer.seen = now;
        if (w.v > peer.version || !peer.synced) this.want(from, now);
        return;
      case 'want':
        if (w.of === this.nodeId) this.sendState();
        return;
      case 'bye':
        if (!peer || peer.boot === w.b) this.forget(from);
        return;
    }
  }

  private want(node: string, now: number): void {
    if (now - (this.asked.get(node) ?? -Infinity) < WANT_EVERY_MS) return;
    this.asked.set(node, now);
    this.send({ k: 'want', b: this.boot, of: node });
  }

  private forget(node: string): void {
    this.peers.delete(node);
    this.asked.delete(node);
    this.emit(this.cluster.drop(node));
  }

  private expire(): void {
    if (!this.o.broker.connected) return;
    const now = this.o.clock.now();
    for (const [node, p] of [...this.peers]) {
      if (now - p.seen > this.nodeTimeoutMs) {
        this.o.log.warn({ node, silentMs: now - p.seen }, 'cluster node lost: its members leave');
        this.forget(node);
      }
    }
  }
}
