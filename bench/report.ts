/**
 * The fan-out benchmark's results: the JSON of a run, a Markdown table per publishing path
 * (HTTP posts, WebSocket sends), an SVG chart (server CPU per delivery from the closed-loop
 * pass, p99 latency from the fixed-rate pass, per server and scenario, a row of panels per
 * path), written side by side into the results directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionScaleResult, FanOutSettings, PassResult, PublishVia, ScenarioOpening } from './results-model.js';
import type { OpeningRetries, ServerKind } from './load-messages.js';
import { isParley, serverLabel, type BeforeCommit } from './server-process.js';

export interface BenchRun {
  startedAt: string;
  wallSeconds: number;
  quick: boolean;
  machine: { cpu: string; cores: number; node: string; os: string };
  pinning: string;
  settings: FanOutSettings & { scenarios: string[]; servers: ServerKind[] };
  /** Parley's environment on top of its defaults, for the fan-out passes. */
  parleyEnv: Record<string, string>;
  /** `--before`: the older commit measured as 'parley-before'. */
  before: BeforeCommit | undefined;
  passes: PassResult[];
  /** Per scenario and server, how its subscribers opened (retries included). */
  openings: ScenarioOpening[];
  connectionScale: ConnectionScaleResult | undefined;
  /** Servers or scenarios that failed, with why. */
  failures: string[];
}

/** Hypervisor steal on a core, percent, from which a pass gets a note. */
const STEAL_NOTE_PERCENT = 5;

const COLORS: Record<ServerKind, string> = { parley: '#2563eb', 'parley-before': '#93c5fd', 'parley-cluster': '#7c3aed', uws: '#64748b', socketio: '#d97706' };

/** Short names of the publishing paths, and what each table and row of the chart is headed. */
const VIA_SHORT: Record<PublishVia, string> = { http: 'HTTP', ws: 'WS' };
const VIA_HEADINGS: Record<PublishVia, string> = { http: 'Publishing over HTTP (POST, answered 201)', ws: 'Publishing over WebSocket (send, answered by ack)' };

const num = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number | undefined) => (n === undefined ? '–' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : num(n));
const mib = (n: number | undefined) => (n === undefined ? '–' : (n / 1024 / 1024).toFixed(0));

/** Steal high enough on either core to note; one test, so the notes' filter and their text agree. */
const stealNoted = (r: PassResult): r is PassResult & { cores: NonNullable<PassResult['cores']> } =>
  !!r.cores && Math.max(r.cores.server.stealPercent, r.cores.load.stealPercent) >= STEAL_NOTE_PERCENT;

function completeness(r: PassResult): string {
  if (r.completeness >= 1) return '100%';
  return `${Math.min(99.999, r.completeness * 100).toFixed(3)}%`;
}

function cpuPerDelivery(r: PassResult): string {
  if (!r.serverCpu || !Number.isFinite(r.serverCpu.usPerDelivery)) return '–';
  const total = r.serverCpu.usPerDelivery.toFixed(2);
  if (!isParley(r.server) || r.deliveries === 0) return total;
  return `${total} (PG ${(r.serverCpu.databaseUs / r.deliveries).toFixed(2)})`;
}

function loadCpu(r: PassResult): string {
  const part = (us: number) => Math.round(us / 1e4 / r.cpuSpanSeconds);
  return `${Math.round(r.loadCpu.percentOfCore)}% (${part(r.loadCpu.publisherUs)}+${part(r.loadCpu.subscribersUs)})`;
}

/** "2 subscriber openings retried: <reason> (x2)", for openings retried after a transport failure. */
export function retriedOpenings(r: OpeningRetries, what = 'subscriber'): string {
  return `${r.count} ${what} opening${r.count === 1 ? '' : 's'} retried: ${r.reasons.join('; ')}`;
}

const passLabel = (r: PassResult) => (r.pass === 'closed' ? 'closed loop' : `${num(r.targetPublishesPerSecond ?? 0)} posts/s`);

function mainTable(passes: PassResult[], labelOf: (kind: ServerKind) => string): string[] {
  const lines = [
    '| server | scenario | pass | publishes/s | deliveries/s | complete | extra | p50 ms | p95 ms | p99 ms | max ms | server CPU µs/delivery | server CPU | load CPU (pub+sub) | server RSS MB |',
    '|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of passes) {
    lines.push(
      `| ${labelOf(r.server)} | ${r.scenario} | ${passLabel(r)} | ${num(r.publishesPerSecond)} | ${num(r.deliveriesPerSecond)} | ${completeness(r)} | ${num(r.extra)} | ` +
        `${ms(r.latency?.p50)} | ${ms(r.latency?.p95)} | ${ms(r.latency?.p99)} | ${ms(r.latency?.max)} | ${cpuPerDelivery(r)} | ` +
        `${r.serverCpu ? Math.round(r.serverCpu.percentOfCore) + '%' : '–'} | ${loadCpu(r)} | ${mib(r.serverRssBytes)} |`,
    );
  }
  return lines;
}

/** Who publishes in the closed loop, per path measured. */
function closedLoopPublishers(s: BenchRun['settings']): string {
  const n = s.closedConnections;
  if (!s.publishVia.includes('ws')) return `${n} autocannon connections`;
  const ws = `${n} publisher sockets over WebSocket (one send in flight each)`;
  return s.publishVia.includes('http') ? `${n} autocannon connections over HTTP, ${ws}` : ws;
}

/** Whether the run measured the WebSocket path: then tables, notes and the chart name the path of each pass. */
const measuresWs = (run: BenchRun) => run.settings.publishVia.includes('ws');

export function markdownReport(run: BenchRun): string {
  const s = run.settings;
  const labelOf = (kind: ServerKind) => serverLabel(kind, run.before);
  const showVia = measuresWs(run);
  /** A pass named in notes: server, scenario, and the path when there are two. */
  const passName = (r: PassResult) => `${labelOf(r.server)} ${r.scenario}${showVia ? ` ${VIA_SHORT[r.via]}` : ''} ${r.pass}`;
  const lines: string[] = [];
  lines.push(`# Fan-out benchmark${run.quick ? ' (quick run)' : ''}`, '');
  lines.push(
    `${run.startedAt.slice(0, 10)} · ${run.machine.cpu}, ${run.machine.cores} cores · ${run.machine.os} · Node ${run.machine.node} · ${run.pinning}. ` +
      `Each pass ${s.seconds} s after a ${s.warmupSeconds} s closed-loop warm-up per scenario${showVia ? ' and publishing path' : ''}; ` +
      `closed loop: ${closedLoopPublishers(s)}; ` +
      `fixed rate: ${num(s.deliveriesPerSecond)} deliveries/s (posts/s = that / subscribers per room). Latency from 1 subscriber connection in ${s.sampleEvery}. ` +
      `Parley as shipped (embedded PostgreSQL, fsync on) except ${Object.entries(run.parleyEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} (the per-user send rate limit lifted so one publisher user can post at load-test rates). Whole run: ${num(run.wallSeconds)} s.`,
    '',
  );
  if (!showVia) {
    lines.push(...mainTable(run.passes, labelOf), '');
  } else {
    for (const via of s.publishVia) {
      lines.push(`## ${VIA_HEADINGS[via]}`, '');
      if (via === 'http') lines.push('`POST /api/rooms/:name/messages {body}` from autocannon, answered `201 {id, seq, at}`.', '');
      if (via === 'ws') {
        lines.push(
          `\`{t:'send', room, body, cid}\` on ${s.closedConnections} publisher sockets of their own, each joined to the rooms it publishes to ` +
            "(socket i: rooms i, i+N, i+2N…), answered by `ack` (Socket.IO: a `send` event with an ack callback). Every server also sends each publisher " +
            'socket the `msg` of every post to its rooms, its own included: those copies are not counted in deliveries/s or complete, and their cost is ' +
            'in the server CPU without being in the deliveries it is divided by.',
          '',
        );
      }
      lines.push(...mainTable(run.passes.filter((r) => r.via === via), labelOf), '');
    }
  }
  const notes = run.passes.filter(
    (r) =>
      r.completeness < 1 ||
      r.drainSeconds >= 1 ||
      stealNoted(r) ||
      r.seqGaps > 0 ||
      r.staleSampled > 0 ||
      Object.keys(r.closedByServer).length > 0 ||
      r.extra > r.extraExplained ||
      r.publishes.errors + r.publishes.timeouts > 0 ||
      Object.keys(r.publishes.non2xx).length > 0,
  );
  for (const r of notes) {
    const parts: string[] = [];
    if (r.drainSeconds >= 1) parts.push(`deliveries went on for ${r.drainSeconds.toFixed(1)} s after the publisher stopped (a backlog: see load CPU)`);
    if (r.drainEndedShort) parts.push('the drain ended before every acknowledged post had arrived');
    if (stealNoted(r)) {
      parts.push(`the hypervisor took ${Math.round(r.cores.server.stealPercent)}% of the server core and ${Math.round(r.cores.load.stealPercent)}% of the load core (steal)`);
    }
    if (r.completeness < 1) parts.push(`${r.incompleteConnections} of ${r.subscribers} connections missed acknowledged posts (${num(r.expected - Math.round(r.completeness * r.expected))} deliveries)`);
    if (r.seqGaps > 0) parts.push(`${r.seqGaps} seq gaps on sampled connections`);
    if (r.staleSampled > 0) parts.push(`${num(r.staleSampled)} frames on sampled connections were published before this pass (the last pass's backlog, still arriving), left out of its latency`);
    if (Object.keys(r.closedByServer).length) parts.push(`connections closed by the server: ${JSON.stringify(r.closedByServer)}`);
    if (r.extra > r.extraExplained) parts.push(`${num(r.extra - r.extraExplained)} extra deliveries not explained by posts in flight (duplicates)`);
    if (r.publishes.errors > 0) parts.push(r.via === 'ws' ? `${r.publishes.errors} posts not sent: their socket had closed` : `${r.publishes.errors} publisher connection errors`);
    if (r.publishes.timeouts > 0) parts.push(`${r.publishes.timeouts} post${r.publishes.timeouts === 1 ? '' : 's'} unanswered after autocannon's 10 s timeout (counted in flight)`);
    if (Object.keys(r.publishes.non2xx).length) parts.push(`${r.via === 'ws' ? 'error frames and sockets closed' : 'non-2xx answers'}: ${JSON.stringify(r.publishes.non2xx)}`);
    lines.push(`- ${passName(r)}: ${parts.join('; ')}.`);
  }
  const committedOff = run.passes.filter((r) => r.committed !== undefined && (r.committed < r.publishes.acked || r.committed > r.publishes.acked + r.publishes.inFlight));
  for (const r of committedOff) lines.push(`- ${passName(r)}: lastSeq grew by ${r.committed}, but ${r.publishes.acked} posts were acknowledged and ${r.publishes.inFlight} in flight.`);
  const retried = run.openings.filter((o) => o.retries.count > 0);
  for (const o of retried) lines.push(`- ${labelOf(o.server)} ${o.scenario}: ${retriedOpenings(o.retries)}.`);
  for (const f of run.failures) lines.push(`- Failed: ${f}`);
  if (notes.length || committedOff.length || retried.length || run.failures.length) lines.push('');

  const scraped = run.passes.filter((r) => r.serverMetrics);
  if (scraped.length) {
    lines.push(
      "## Parley's /metrics beside the bench's figures",
      '',
      'Scraped before each window and after its drain. Deliveries: msg frames counted at the subscribers, against ' +
        '`parley_deliveries_total` (every frame published, times its subscribers: the sidebar lists and activity ' +
        'frames too)' +
        (showVia ? '; over WebSocket the bench adds the copies its publisher sockets received ("+ N"), which Parley counts as deliveries too' : '') +
        '. Committed: acknowledged posts, against `parley_messages_committed_total`. CPU: the server ' +
        'process from /proc (PostgreSQL apart), against its own `process_cpu_seconds_total`.' +
        (showVia ? ' WS acks: `parley_ack_seconds` (a send frame read to its ack written), count and p99 bucket bound in ms.' : ''),
      '',
      `| server | scenario | pass | deliveries bench / Parley | acked / committed | commit statements | mean batch | commit p99 ≤ | CPU s /proc / Parley | event loop p99 | HTTP 2xx / other | ${showVia ? 'WS acks, p99 ≤ | ' : ''}limited, errors, slow closed |`,
      `|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|${showVia ? '--:|' : ''}--:|`,
    );
    for (const r of scraped) {
      const m = r.serverMetrics!;
      const copies = r.publishes.ownCopies === undefined ? '' : ` + ${num(r.publishes.ownCopies)}`;
      lines.push(
        `| ${labelOf(r.server)} | ${r.scenario} | ${showVia ? `${VIA_SHORT[r.via]} ` : ''}${passLabel(r)} | ${num(r.deliveries)}${copies} / ${num(m.deliveries)} | ${num(r.publishes.acked)} / ${num(m.committed)} | ` +
          `${num(m.commitStatements)} | ${m.meanBatch === undefined ? '–' : m.meanBatch.toFixed(1)} | ${ms(m.commitP99Ms)} | ` +
          `${r.serverCpu ? (r.serverCpu.processUs / 1e6).toFixed(2) : '–'} / ${(m.processCpuUs / 1e6).toFixed(2)} | ${ms(m.eventLoopP99Ms)} | ` +
          `${num(m.http2xx)} / ${num(m.httpOther)} | ${showVia ? `${num(m.wsAcks)}, ${ms(m.ackP99Ms)} | ` : ''}${num(m.rateLimited)}, ${num(m.errorFrames)}, ${num(m.slowReadersClosed)} |`,
      );
    }
    lines.push('');
  }

  const c = run.connectionScale;
  if (c) {
    lines.push('## Connection scale (Parley)', '');
    lines.push('| idle authenticated connections | opened | time to open | server RSS before → after | per connection |', '|--:|--:|--:|--:|--:|');
    lines.push(
      `| ${num(c.connections)} | ${num(c.opened)} | ${c.connectSeconds.toFixed(1)} s | ${mib(c.rssBeforeBytes)} → ${mib(c.rssAfterBytes)} MB | ${c.bytesPerConnection === undefined ? '–' : (c.bytesPerConnection / 1024).toFixed(2) + ' KB'} |`,
      '',
      `${c.users} users (CONNECTIONS_PER_USER=100), signed up in ${c.signupSeconds.toFixed(1)} s; open files: ${c.fileLimit}.${c.failures.length ? ' Failures: ' + c.failures.join('; ') : ''}` +
        (c.retries.count ? ` ${retriedOpenings(c.retries, 'idle connection')}.` : ''),
      '',
    );
  }
  return lines.join('\n');
}

/** One line per pass for the terminal. */
export function passSummaryLine(r: PassResult): string {
  const lat = r.latency ? `  p50/p99 ${r.latency.p50.toFixed(1)}/${r.latency.p99.toFixed(1)} ms` : '';
  const cpu = r.serverCpu ? `  ${r.serverCpu.usPerDelivery.toFixed(2)} µs CPU/delivery (server ${Math.round(r.serverCpu.percentOfCore)}%, load ${Math.round(r.loadCpu.percentOfCore)}%)` : '';
  const closed = Object.keys(r.closedByServer).length ? `  closed by server: ${JSON.stringify(r.closedByServer)}` : '';
  const committed = r.committed === undefined ? '' : `  committed ${num(r.committed)} (acked ${num(r.publishes.acked)}, in flight ${num(r.publishes.inFlight)})`;
  return (
    `  ${VIA_SHORT[r.via]} ${r.pass === 'closed' ? 'closed loop' : 'fixed rate'}: ${num(r.publishesPerSecond)} publishes/s, ${num(r.deliveriesPerSecond)} deliveries/s, ` +
    `complete ${(r.completeness * 100).toFixed(r.completeness === 1 ? 0 : 3)}%${lat}${cpu}${closed}${committed}`
  );
}

// ---- SVG chart ------------------------------------------------------------------------

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A step of 1, 2 or 5 x 10^k that gives about five gridlines up to max. */
function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

interface Panel {
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
  groups: string[];
  servers: ServerKind[];
  labelOf: (server: ServerKind) => string;
  value: (server: ServerKind, group: string) => number | undefined;
  digits: number;
  /** The largest value the axis must hold, when panels share a scale; else this panel's largest. */
  scaleMax?: number;
}

function panelValues(p: Pick<Panel, 'groups' | 'servers' | 'value'>): number[] {
  return p.groups.flatMap((g) => p.servers.map((s) => p.value(s, g))).filter((v): v is number => v !== undefined && Number.isFinite(v));
}

function barPanel(p: Panel): string {
  const out: string[] = [];
  const left = p.x + 48;
  const top = p.y + 30;
  const plotW = p.width - 60;
  const plotH = p.height - 70;
  const values = panelValues(p);
  // No figures at all (only the connection-scale test ran): an empty chart on a 0..1 axis.
  const max = p.scaleMax ?? (values.length ? Math.max(...values, 1e-9) : 1);
  const step = niceStep(max * 1.1);
  const top_ = Math.ceil((max * 1.1) / step) * step;
  const yOf = (v: number) => top + plotH - (v / top_) * plotH;
  out.push(`<text x="${p.x + p.width / 2}" y="${p.y + 14}" text-anchor="middle" font-size="14" font-weight="600">${esc(p.title)}</text>`);
  for (let v = 0; v <= top_ + step / 2; v += step) {
    const y = yOf(v);
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#475569">${esc(num(v, step < 1 ? Math.ceil(-Math.log10(step) - 1e-9) : 0))}</text>`);
  }
  const groupW = plotW / p.groups.length;
  const barW = Math.min(36, (groupW * 0.8) / p.servers.length);
  p.groups.forEach((g, gi) => {
    const gx = left + gi * groupW + (groupW - barW * p.servers.length) / 2;
    p.servers.forEach((s, si) => {
      const v = p.value(s, g);
      const x = gx + si * barW;
      if (v === undefined || !Number.isFinite(v)) {
        out.push(`<text x="${x + barW / 2}" y="${top + plotH - 4}" text-anchor="middle" font-size="10" fill="#94a3b8">n/a</text>`);
        return;
      }
      const y = yOf(v);
      out.push(`<rect x="${x + 1}" y="${y}" width="${barW - 2}" height="${top + plotH - y}" fill="${COLORS[s]}"><title>${esc(`${p.labelOf(s)} ${g}: ${num(v, p.digits)}`)}</title></rect>`);
      out.push(`<text x="${x + barW / 2}" y="${y - 4}" text-anchor="middle" font-size="10" fill="#0f172a">${esc(num(v, p.digits))}</text>`);
    });
    out.push(`<text x="${left + gi * groupW + groupW / 2}" y="${top + plotH + 18}" text-anchor="middle" font-size="12" fill="#0f172a">${esc(g)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#94a3b8"/>`);
  out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 36}" text-anchor="middle" font-size="11" fill="#475569">rooms x subscribers per room</text>`);
  return out.join('\n');
}

/** Panels are this tall; with both publishing paths, each row of two is headed by its path. */
const PANEL_HEIGHT = 360;
const ROW_HEADING = 30;

export function svgChart(run: BenchRun): string {
  const groups = run.settings.scenarios;
  const servers = run.settings.servers;
  const vias = run.settings.publishVia;
  const showVia = measuresWs(run);
  const find = (s: ServerKind, g: string, pass: PassResult['pass'], via: PublishVia) =>
    run.passes.find((r) => r.server === s && r.scenario === g && r.pass === pass && r.via === via);
  // One column of panels per figure; every row (path) on the same axis, so the paths compare by height.
  const columns = [
    {
      title: 'Server CPU per delivery, µs (closed loop; lower is better)',
      digits: 2,
      value: (via: PublishVia) => (s: ServerKind, g: string) => find(s, g, 'closed', via)?.serverCpu?.usPerDelivery,
    },
    {
      title: `p99 latency, ms (fixed rate, ${num(run.settings.deliveriesPerSecond)} deliveries/s)`,
      digits: 1,
      value: (via: PublishVia) => (s: ServerKind, g: string) => find(s, g, 'rate', via)?.latency?.p99,
    },
  ];
  const heading = showVia ? ROW_HEADING : 0;
  const width = 960;
  const height = 10 + vias.length * (heading + PANEL_HEIGHT) + 30;
  const panelW = (width - 40) / 2;
  const labelOf = (kind: ServerKind) => serverLabel(kind, run.before);
  const rows = vias.flatMap((via, i) => {
    const top = 10 + i * (heading + PANEL_HEIGHT);
    const out = showVia ? [`<text x="20" y="${top + 18}" font-size="15" font-weight="700" fill="#0f172a">${esc(VIA_HEADINGS[via])}</text>`] : [];
    columns.forEach((c, ci) => {
      const all = vias.flatMap((v) => panelValues({ groups, servers, value: c.value(v) }));
      out.push(
        barPanel({
          x: 20 + ci * (panelW + 20),
          y: top + heading,
          width: panelW,
          height: PANEL_HEIGHT,
          title: c.title,
          groups,
          servers,
          labelOf,
          value: c.value(via),
          digits: c.digits,
          scaleMax: all.length ? Math.max(...all, 1e-9) : undefined,
        }),
      );
    });
    return out;
  });
  let legendX = 20;
  const legend = servers
    .map((s) => {
      const x = legendX;
      legendX += Math.max(130, 18 + labelOf(s).length * 7 + 20); // about 7 px a character at 12 px
      return `<rect x="${x}" y="${height - 24}" width="12" height="12" fill="${COLORS[s]}"/><text x="${x + 18}" y="${height - 14}" font-size="12">${esc(labelOf(s))}</text>`;
    })
    .join('\n');
  const caption = `${run.startedAt.slice(0, 10)}, ${run.machine.cores} cores, ${run.quick ? 'quick run' : `${run.settings.seconds} s per pass`}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...rows,
    legend,
    `<text x="${width - 20}" y="${height - 14}" text-anchor="end" font-size="11" fill="#475569">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes <timestamp>.json, and latest.md / latest.svg (latest-quick.* for quick runs). */
export function writeResults(run: BenchRun, dir: string): { json: string; md: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = run.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const base = run.quick ? 'latest-quick' : 'latest';
  const files = { json: join(dir, `${stamp}${run.quick ? '-quick' : ''}.json`), md: join(dir, `${base}.md`), svg: join(dir, `${base}.svg`) };
  writeFileSync(files.json, JSON.stringify(run, null, 2) + '\n');
  writeFileSync(files.md, markdownReport(run) + '\n');
  writeFileSync(files.svg, svgChart(run));
  return files;
}
