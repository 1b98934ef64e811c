/**
 * One fan-out scenario (R rooms x S subscribers) against one running server: the
 * subscribers connect and join; then, for each publishing path (HTTP posts, then `send`
 * frames on the publishers' own WebSockets), a closed-loop warm-up runs and drains, and two
 * measured passes follow: closed loop (as fast as the server answers) and fixed rate (for
 * latency). The WebSocket warm-up is also when the publisher sockets open and join.
 *
 * A pass: zero the subscribers' counts, sample the server's CPU, publish for `seconds`,
 * wait until the subscribers have caught up (the drain), sample again, collect. Deliveries are
 * counted at the subscribers. A connection is complete when it received at least every
 * acknowledged (2xx) post to its room; deliveries beyond that come from posts still in flight
 * when the publisher stopped (answered after, or never), and are reported as extra.
 */
import { roomSeqs } from './accounts.js';
import type { LoadProcess } from './load-process.js';
import type {
  FromPublisher,
  FromSubscribers,
  LatencySummary,
  OpeningRetries,
  PublishResult,
  ServerKind,
  SubscriberSpec,
  ToPublisher,
  ToSubscribers,
} from './load-messages.js';
import { LOAD_CORE, SERVER_CORE } from './cpu-pinning.js';
import { compareScrapes, scrapeMetrics } from './server-metrics.js';
import { coreTimes, cpuDelta, cpuSample, descendantsPssBytes, serverRssBytes as serverRss, type CoreTimes } from './proc-stats.js';
import { passSummaryLine, retriedOpenings } from './report.js';
import type { CoreUse, FanOutSettings, PassKind, PassResult, Progress, PublishVia, ScenarioOpening } from './results-model.js';
import { isParley, type ServerUnderTest } from './server-process.js';

export interface Scenario {
  label: string;
  rooms: number;
  subscribersPerRoom: number;
}

/** "1x1000,10x100" -> scenarios (rooms x subscribers per room). */
export function parseScenarios(list: string): Scenario[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((label) => {
      const m = /^(\d+)x(\d+)$/.exec(label);
      if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`scenario "${label}": write ROOMSxSUBSCRIBERS, e.g. 10x100`);
      return { label, rooms: Number(m[1]), subscribersPerRoom: Number(m[2]) };
    });
}






function coreUse(from: CoreTimes | undefined, to: CoreTimes | undefined): CoreUse | undefined {
  if (!from || !to || to.totalUs <= from.totalUs) return undefined;
  const total = to.totalUs - from.totalUs;
  return { busyPercent: ((to.busyUs - from.busyUs) / total) * 100, stealPercent: ((to.stealUs - from.stealUs) / total) * 100 };
}


export interface FanOutContext {
  server: ServerUnderTest;
  subscribers: LoadProcess<ToSubscribers, FromSubscribers>;
  /** Posts over HTTP (publisher.ts). */
  publisher: LoadProcess<ToPublisher, FromPublisher>;
  /** Sends over WebSocket (ws-publisher.ts); needed when settings.publishVia has 'ws'. */
  wsPublisher?: LoadProcess<ToPublisher, FromPublisher>;
  /** Cookie headers of the subscriber users (Parley), used in rotation; empty otherwise. */
  subscriberCookies: string[];
  publisherCookies: string[];
  settings: FanOutSettings;
  progress: Progress;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
/**
 * How long the subscriber process may take to answer a count. Under a backlog of 1 × 1000 it
 * can be busy with frames for over 10 s (bare uWS's run once failed on a 10 s limit).
 */
const PEEK_TIMEOUT_MS = 60_000;

/** Short of the expected deliveries, the drain ends after this long without one. */
const QUIET_MS = 10_000;

export async function runScenario(ctx: FanOutContext, scenario: Scenario, tag: string): Promise<{ opening: ScenarioOpening; passes: PassResult[] }> {
  const { subscribers, server, settings, progress } = ctx;
  const rooms = Array.from({ length: scenario.rooms }, (_, i) => `${tag}-${i}`);
  const specs: SubscriberSpec[] = [];
  for (const room of rooms) {
    for (let j = 0; j < scenario.subscribersPerRoom; j++) {
      const cookie = ctx.subscriberCookies.length ? ctx.subscriberCookies[specs.length % ctx.subscriberCookies.length] : undefined;
      specs.push({ room, cookie });
    }
  }
  const head = `${server.kind} ${scenario.label}`;
  progress.status(`${head}: opening ${fmt(specs.length)} subscriber connections`);
  const opened = await subscribers.request(
    { type: 'open', kind: server.kind, url: server.url, connections: specs, sampleEvery: settings.sampleEvery, concurrency: 50 },
    'opened',
    180_000,
  );
  const retried = opened.retries.count > 0 ? `; ${retriedOpenings(opened.retries)}` : '';
  try {
    if (opened.opened < specs.length) {
      throw new Error(`${head}: only ${opened.opened} of ${specs.length} subscribers joined: ${opened.failures.join('; ')}${retried}`);
    }
    progress.log(`${head}: ${fmt(specs.length)} subscribers joined in ${(opened.ms / 1000).toFixed(1)} s${retried}`);
    const passes: PassResult[] = [];
    for (const via of settings.publishVia) {
      progress.status(`${head}: ${VIA_LABELS[via]} warm-up ${settings.warmupSeconds} s`);
      const warm = await publish(ctx, via, rooms, 'closed', settings.warmupSeconds, 0, () => {});
      await drain(ctx, warm.acked * scenario.subscribersPerRoom);
      for (const pass of ['closed', 'rate'] as const) {
        const result = await measurePass(ctx, scenario, rooms, specs, pass, via);
        passes.push(result);
        progress.log(passSummaryLine(result));
      }
    }
    const opening = { server: server.kind, scenario: scenario.label, subscribers: specs.length, seconds: opened.ms / 1000, retries: opened.retries };
    return { opening, passes };
  } finally {
    // When a load process is gone, the error that brought us here says more.
    if (ctx.wsPublisher && settings.publishVia.includes('ws')) await ctx.wsPublisher.request({ type: 'close' }, 'closed', 30_000).catch(() => {});
    await subscribers.request({ type: 'close' }, 'closed', 30_000).catch(() => {});
  }
}

/** How the progress lines name the publishing paths. */
const VIA_LABELS: Record<PublishVia, string> = { http: 'HTTP', ws: 'WS' };

async function measurePass(ctx: FanOutContext, scenario: Scenario, rooms: string[], specs: SubscriberSpec[], pass: PassKind, via: PublishVia): Promise<PassResult> {
  const { subscribers, server, settings, progress } = ctx;
  const parley = isParley(server.kind);
  const seqsBefore = parley ? await roomSeqs(server.url, ctx.publisherCookies[0]!) : undefined;
  const targetPps = pass === 'rate' ? Math.max(1, Math.round(settings.deliveriesPerSecond / scenario.subscribersPerRoom)) : undefined;

  subscribers.send({ type: 'reset' });
  await subscribers.request({ type: 'peek' }, 'peek', PEEK_TIMEOUT_MS); // the reset has been applied
  const metrics0 = server.metricsToken ? await scrapeMetrics(server.url, server.metricsToken) : undefined;
  const cpu0 = cpuSample(server.pid);
  const cores0 = coreTimes();
  const t0 = performance.now();

  let lastTick = { at: t0, acked: 0, delivered: 0, cpu: cpu0 };
  const label = `${server.kind} ${scenario.label} ${VIA_LABELS[via]} ${pass === 'closed' ? 'closed loop' : `fixed rate ${targetPps} posts/s`}`;
  let publishing = true;
  const onTick = async (acked: number) => {
    const { delivered } = await subscribers.request({ type: 'peek' }, 'peek', 10_000);
    if (!publishing) return;
    const now = performance.now();
    const cpu = cpuSample(server.pid);
    const dt = (now - lastTick.at) / 1000;
    const used = cpuDelta(lastTick.cpu, cpu);
    const cpuPct = used ? ` server CPU ${Math.round((used.selfUs + used.childrenUs) / 1e4 / dt)}%` : '';
    progress.status(
      `${label}: ${((now - t0) / 1000).toFixed(0)} s  publishes/s ${fmt((acked - lastTick.acked) / dt)}  deliveries/s ${fmt((delivered - lastTick.delivered) / dt)}${cpuPct}`,
    );
    lastTick = { at: now, acked, delivered, cpu };
  };
  const published = await publish(ctx, via, rooms, pass, settings.seconds, targetPps ?? 0, (acked) => void onTick(acked).catch(() => {}));
  const windowEnd = performance.now();
  publishing = false;

  const ackedByRoom = new Map(Object.entries(published.perRoom).map(([room, r]) => [room, r.acked]));
  const inFlightByRoom = new Map(Object.entries(published.perRoom).map(([room, r]) => [room, r.sent - r.answered]));
  const expected = specs.reduce((sum, s) => sum + (ackedByRoom.get(s.room!) ?? 0), 0);
  progress.status(`${label}: draining`);
  const drained = await drain(ctx, expected);
  const cpu1 = cpuSample(server.pid);
  const cores1 = coreTimes();
  const metrics1 = metrics0 && (await scrapeMetrics(server.url, server.metricsToken!));
  const spanUs = (performance.now() - t0) * 1000;
  const serverRssBytes = serverRss(server.pid);
  const databasePssBytes = parley ? descendantsPssBytes(server.pid) : undefined;
  const { report } = await subscribers.request({ type: 'report' }, 'report', 30_000);
  // Read after the drain, like the subscribers' counts: the copies of posts in flight at the stop are in it.
  const ownCopies = via === 'ws' ? (await publisherOf(ctx, via).request({ type: 'copies' }, 'copies', 30_000)).received : undefined;

  let delivered = 0;
  let extra = 0;
  let extraExplained = 0;
  let incompleteConnections = 0;
  report.perConnection.forEach((count, i) => {
    const room = specs[i]!.room!;
    const want = ackedByRoom.get(room) ?? 0;
    delivered += Math.min(count, want);
    extra += Math.max(0, count - want);
    extraExplained += inFlightByRoom.get(room) ?? 0;
    if (count < want) incompleteConnections++;
  });

  let committed: number | undefined;
  if (seqsBefore) {
    const after = await roomSeqs(server.url, ctx.publisherCookies[0]!);
    committed = rooms.reduce((sum, r) => sum + (after.get(r) ?? 0) - (seqsBefore.get(r) ?? 0), 0);
  }

  const used = cpuDelta(cpu0, cpu1);
  const seconds = published.seconds;
  const drainSeconds = Math.max(0, (drained.lastGrowthAt - windowEnd) / 1000);
  const loadUs = published.cpuUs + report.cpuUs;
  return {
    server: server.kind,
    scenario: scenario.label,
    subscribers: specs.length,
    pass,
    via,
    seconds,
    drainSeconds,
    drainEndedShort: drained.short,
    targetPublishesPerSecond: targetPps,
    publishes: {
      sent: published.sent,
      acked: published.acked,
      inFlight: [...inFlightByRoom.values()].reduce((sum, n) => sum + n, 0),
      non2xx: published.non2xx,
      errors: published.errors,
      timeouts: published.timeouts,
      ownCopies,
    },
    publishesPerSecond: published.acked / seconds,
    deliveries: report.delivered,
    deliveriesPerSecond: report.delivered / (seconds + drainSeconds),
    expected,
    completeness: expected === 0 ? 1 : delivered / expected,
    incompleteConnections,
    extra,
    extraExplained,
    seqGaps: report.seqGaps,
    staleSampled: report.staleSampled,
    closedByServer: report.closedByServer,
    latency: report.latency,
    serverCpu: used && {
      processUs: used.selfUs,
      databaseUs: used.childrenUs,
      percentOfCore: ((used.selfUs + used.childrenUs) / spanUs) * 100,
      usPerDelivery: report.delivered > 0 ? (used.selfUs + used.childrenUs) / report.delivered : NaN,
    },
    serverRssBytes,
    databasePssBytes,
    loadCpu: { publisherUs: published.cpuUs, subscribersUs: report.cpuUs, percentOfCore: (loadUs / spanUs) * 100 },
    cpuSpanSeconds: spanUs / 1e6,
    cores: (() => {
      const serverCore = coreUse(cores0[SERVER_CORE], cores1[SERVER_CORE]);
      const loadCore = coreUse(cores0[LOAD_CORE], cores1[LOAD_CORE]);
      return serverCore && loadCore ? { server: serverCore, load: loadCore } : undefined;
    })(),
    committed,
    serverMetrics: metrics0 && metrics1 ? compareScrapes(metrics0, metrics1) : undefined,
  };
}

function publisherOf(ctx: FanOutContext, via: PublishVia): LoadProcess<ToPublisher, FromPublisher> {
  if (via === 'http') return ctx.publisher;
  if (!ctx.wsPublisher) throw new Error('publishing over WebSocket needs the ws-publisher process');
  return ctx.wsPublisher;
}

async function publish(
  ctx: FanOutContext,
  via: PublishVia,
  rooms: string[],
  mode: PassKind,
  seconds: number,
  publishesPerSecond: number,
  onTick: (acked: number) => void,
): Promise<PublishResult> {
  const publisher = publisherOf(ctx, via);
  publisher.on('tick', (m) => onTick(m.acked));
  const run = {
    url: ctx.server.url,
    kind: ctx.server.kind,
    rooms,
    cookies: ctx.publisherCookies,
    seconds,
    mode,
    connections: ctx.settings.closedConnections,
    publishesPerSecond,
  };
  // Over WebSocket the run may first open and join its sockets (up to 30 s each, retried).
  const done = await publisher.request({ type: 'run', run }, 'done', (seconds + 60 + (via === 'ws' ? 120 : 0)) * 1000);
  if (done.error) throw new Error(`${VIA_LABELS[via]} publisher: ${done.error}`);
  return done.result;
}

/**
 * Waits until the subscribers have everything: their count reaches `expected` and holds for
 * 300 ms. A backlog can pause for seconds (a sender waiting on a full receive window backs
 * off), so short of `expected` it waits until nothing has arrived for QUIET_MS, or the
 * drain timeout.
 */
async function drain(ctx: FanOutContext, expected: number): Promise<{ lastGrowthAt: number; short: boolean }> {
  const start = performance.now();
  let last = -1;
  let lastGrowthAt = start;
  for (;;) {
    const { delivered } = await ctx.subscribers.request({ type: 'peek' }, 'peek', PEEK_TIMEOUT_MS);
    const now = performance.now();
    if (delivered !== last) {
      last = delivered;
      lastGrowthAt = now;
    }
    const steadyMs = now - lastGrowthAt;
    if (delivered >= expected && steadyMs >= 300) return { lastGrowthAt, short: false };
    if (steadyMs >= QUIET_MS || now - start > ctx.settings.drainTimeoutSeconds * 1000) return { lastGrowthAt, short: true };
    await new Promise((r) => setTimeout(r, 50));
  }
}
