/**
 * What Parley measures about itself, for Prometheus (prom-client), served by GET /metrics
 * when METRICS_TOKEN is set (routes/metrics-routes.ts). Counters and histograms are moved by
 * the code that does the work, through the small hooks it is given (no module reaches for a
 * global registry); gauges read their value from the service that knows it when scraped.
 *
 * Everything is per process: in a cluster, scrape every node and sum (online users and room
 * counts are already cluster-wide, so take those from any one node).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How often the event-loop delay is sampled, ms (nodejs_eventloop_lag_* include it). */
const LAG_SAMPLE_MS = 20;

/** Values read when scraped. */
export interface MetricSources {
  connections: () => number;
  joinedRooms: () => number;
  onlineUsers: () => number;
  databaseUp: () => Promise<boolean>;
  /** Absent in a single process. */
  redisUp?: () => boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly messagesCommitted = new Counter({ name: 'parley_messages_committed_total', help: 'Messages stored by the group commit (new ones, not retried cids)', registers: [this.registry] });
  readonly commitBatchSize = new Histogram({
    name: 'parley_commit_batch_size',
    help: 'Sends written by one group commit statement',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'parley_commit_seconds',
    help: 'Time of one group commit statement, from sending it to PostgreSQL to its answer',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly ackSeconds = new Histogram({
    name: 'parley_ack_seconds',
    help: 'From a send frame read to its ack written (WebSocket)',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly deliveries = new Counter({ name: 'parley_deliveries_total', help: 'Frames published to room, list and user topics, times the sockets subscribed to each', registers: [this.registry] });
  readonly slowReadersClosed = new Counter({ name: 'parley_slow_readers_closed_total', help: 'Sockets closed with 1013 for too much output queued', registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'parley_rate_limited_total', help: 'Frames and requests refused as rate_limited', labelNames: ['via'] as const, registers: [this.registry] });
  readonly errors = new Counter({ name: 'parley_errors_total', help: 'WebSocket error frames sent, by code', labelNames: ['code'] as const, registers: [this.registry] });
  readonly httpRequests = new Counter({
    name: 'parley_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    const r = [this.registry];
    const gauge = (name: string, help: string, value: () => number | Promise<number>) =>
      new Gauge({
        name,
        help,
        registers: r,
        async collect() {
          this.set(await value());
        },
      });
    gauge('parley_connections_open', 'WebSocket connections open on this process', sources.connections);
    gauge('parley_rooms_joined', 'Room memberships of the open connections (a connection in 3 rooms counts 3)', sources.joinedRooms);
    gauge('parley_users_online', 'People with at least one connection (cluster-wide)', sources.onlineUsers);
    gauge('parley_database_up', '1 while PostgreSQL answers', async () => ((await sources.databaseUp().catch(() => false)) ? 1 : 0));
    if (sources.redisUp) gauge('parley_redis_up', '1 while the link to Redis is up (cluster)', () => (sources.redisUp!() ? 1 : 0));
    // Event-loop delay (nodejs_eventloop_lag_*), memory, CPU, handles: prom-client's own.
    // The event-loop delay is sampled every 20 ms rather than prom-client's 10: each sample
    // wakes the loop, and on the bench's VM 100 wake-ups a second cost an otherwise idle
    // process 0.50% of a core (50 a second: 0.20%). Its figures include the interval: an
    // idle loop reads 0.020 s.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: LAG_SAMPLE_MS });
  }
}
