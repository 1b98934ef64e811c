/**
 * The cluster broker: Redis sharded pub/sub (SPUBLISH / SSUBSCRIBE) through node-redis.
 *
 * Each event is one SPUBLISH of the frame already packed for the sockets, behind a short
 * header naming the node that sent it (so a node drops its own events when Redis echoes
 * them). A node subscribes to a room's channel only while it has members there, so Redis
 * sends each event only to the nodes that need it. Sharded pub/sub routes a channel by its
 * hash slot, so the same channel names work on a Redis Cluster (connect with createCluster
 * instead of createClient; nothing else changes); a single Redis 7 takes them as well.
 *
 * Two connections: one publishes (no offline queue: while Redis is down an event is dropped
 * at once rather than queued behind a reconnection, see Broker), one is subscribed (node-redis
 * subscribes it again after each reconnection).
 */
import { createClient } from 'redis';
import type { Logger } from 'pino';
import type { Broker } from './broker.js';

export interface RedisBrokerOptions {
  url: string;
  nodeId: string;
  log: Logger;
  /** Prefix of every Redis channel, so several Parley clusters can share one Redis. */
  prefix?: string;
  /** How long subscribe() waits for Redis when it is down before resolving anyway. */
  subscribeWaitMs?: number;
}

type Handler = (frame: Uint8Array, from: string) => void;
type Client = ReturnType<typeof createClient>;

const RECONNECT_MAX_MS = 2000;

export class RedisBroker implements Broker {
  readonly nodeId: string;
  private readonly header: Buffer;
  private readonly prefix: string;
  private readonly pub: Client;
  private readonly sub: Client;
  private readonly handlers = new Map<string, Handler>();
  private up = false;
  private everUp = false;
  private closed = false;
  private readonly reconnectListeners: Array<() => void> = [];

  constructor(private readonly opts: RedisBrokerOptions) {
    this.nodeId = opts.nodeId;
    const id = Buffer.from(opts.nodeId, 'utf8');
    if (id.length > 255) throw new Error('node ids are at most 255 bytes');
    this.header = Buffer.concat([Buffer.from([id.length]), id]);
    this.prefix = opts.prefix ?? 'parley:';
    const socket = { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, RECONNECT_MAX_MS) };
    this.pub = createClient({ url: opts.url, disableOfflineQueue: true, socket });
    this.sub = createClient({ url: opts.url, socket });
    for (const [name, client] of [['publisher', this.pub], ['subscriber', this.sub]] as const) {
      client.on('error', (err: Error) => {
        // node-redis reconnects by itself; an error listener keeps the process alive meanwhile.
        if (this.up) opts.log.warn({ err: err.message, connection: name }, 'redis connection error');
        this.check();
      });
      client.on('ready', () => this.check());
      client.on('end', () => this.check());
      client.on('reconnecting', () => this.check());
    }
  }

  /** Starts both connections; resolves when they are up, or after waitMs with the broker down (it keeps trying). */
  async start(waitMs = 5000): Promise<void> {
    const connecting = Promise.all([this.pub.connect(), this.sub.connect()]).then(() => this.check());
    connecting.catch(() => {});
    await Promise.race([connecting, new Promise((r) => setTimeout(r, waitMs).unref())]);
    if (!this.up) this.opts.log.warn({ url: redactUrl(this.opts.url) }, 'redis is not reachable yet: serving local clients, retrying');
  }

  get connected(): boolean {
    return this.up;
  }

  publish(channel: string, frame: Uint8Array): void {
    if (!this.up) return;
    const body = Buffer.concat([this.header, frame]);
    // Refused or cut off: dropped, as the Broker's contract allows.
    this.pub.sPublish(this.prefix + channel, body).catch(() => {});
  }

  async subscribe(channel: string, handler: Handler): Promise<void> {
    this.handlers.set(channel, handler);
    const done = this.sub.sSubscribe(this.prefix + channel, this.onMessage, true);
    done.catch((err: Error) => this.opts.log.warn({ err: err.message, channel }, 'redis subscribe failed'));
    if (!this.up) {
      // Queued for the reconnection; the caller recovers what it misses until then.
      await Promise.race([done, new Promise((r) => setTimeout(r, this.opts.subscribeWaitMs ?? 0).unref())]).catch(() => {});
      return;
    }
    await done.catch(() => {});
  }

  unsubscribe(channel: string): void {
    if (!this.handlers.delete(channel)) return;
    this.sub.sUnsubscribe(this.prefix + channel, this.onMessage, true).catch(() => {});
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.up = false;
    await Promise.allSettled([this.pub.close(), this.sub.close()]);
  }

  private readonly onMessage = (message: Buffer, channel: Buffer | string): void => {
    const n = message[0] ?? 0;
    if (message.length < 1 + n) return;
    const from = message.toString('utf8', 1, 1 + n);
    if (from === this.nodeId) return;
    const name = (typeof channel === 'string' ? channel : channel.toString('utf8')).slice(this.prefix.length);
    const handler = this.handlers.get(name);
    if (!handler) return;
    try {
      handler(message.subarray(1 + n), from);
    } catch (err) {
      this.opts.log.error({ err, channel: name, from }, 'broker event handler failed');
    }
  };

  private check(): void {
    const up = !this.closed && this.pub.isReady && this.sub.isReady;
    if (up === this.up) return;
    this.up = up;
    if (up) {
      const again = this.everUp;
      this.everUp = true;
      this.opts.log.info({ node: this.nodeId }, again ? 'redis link back' : 'redis link up');
      if (again) for (const l of this.reconnectListeners) l();
    } else {
      this.opts.log.warn({ node: this.nodeId }, 'redis link down: serving local clients only until it is back');
    }
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
