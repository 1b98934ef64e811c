/**
 * 3. Every PostgreSQL process stopped with SIGSTOP for 25 s in the middle of a send storm:
 * connections stay open and nothing answers, the hardest outage for a client to notice. The
 * deadlines must turn it into 503 / `unavailable` in bounded time, and SIGCONT must bring
 * everything back with nothing acknowledged lost.
 */
import { Client } from '../../test/harness.js';
import { signal } from './parley-process.js';
import { Report, Tally, answerKey, jsonPost, ms, quantile, readyStatus, spread, timeUntil, type Scenario, type Timed } from './scenario.js';
import { STORM_CLIENTS, STORM_ROOMS, attemptsBetween, outageSends, stormFault } from './storm-fault.js';
import { sleep } from './storm.js';
import type { Ledger } from './ledger.js';

const FREEZE_MS = 25_000;
const HTTP_ROOM = 'freeze-http';
/** HTTP probes during the freeze, ms after SIGSTOP, each with this many posts and logins at once. */
const PROBES_AT = [2000, 14_000];
const PROBES = 3;
/** docs/protocol.md: a send to a frozen database is answered `unavailable` "within about 10 s". */
const SEND_ANSWER_BOUND_MS = 10_500;

interface Probe {
  posts: Timed[];
  logins: Timed[];
}

/** An HTTP post with a cid of its own, so that sending it again is safe. */
function post(url: string, poster: Client, tag: string, i: number): Promise<Timed> {
  return jsonPost(`${url}/api/rooms/${HTTP_ROOM}/messages`, { body: `posted while frozen ${tag}-${i}`, cid: `${tag}-${i}` }, { cookie: poster.cookie! });
}

async function probe(url: string, poster: Client, username: string, tag: string): Promise<Probe> {
  const login = () => jsonPost(`${url}/api/auth/login`, { username, password: 'correct horse battery' });
  const range = Array.from({ length: PROBES }, (_, i) => i);
  const [posts, logins] = await Promise.all([Promise.all(range.map((i) => post(url, poster, tag, i))), Promise.all(range.map(login))]);
  return { posts, logins };
}

function describe(rs: Timed[]): string {
  const answers = new Tally();
  for (const r of rs) answers.add(`${answerKey(r)}${r.headers.get('retry-after') ? ` (Retry-After ${r.headers.get('retry-after')})` : ''}`);
  return `${answers} in ${rs.map((r) => ms(r.ms)).join(', ')}`;
}

/** The sends that were waiting when the database froze: how and when they were answered. */
function pendingAtFreeze(report: Report, ledger: Ledger, frozenAt: number): void {
  const pending = ledger.attempts.filter((a) => a.sentAt < frozenAt && (a.answeredAt === undefined || a.answeredAt >= frozenAt));
  const outcomes = new Tally();
  for (const a of pending) outcomes.add(a.outcome ?? 'no answer');
  const answered = pending.filter((a) => a.answeredAt !== undefined).map((a) => a.answeredAt! - frozenAt);
  report.figure('sends waiting when frozen', `${pending.length}: ${outcomes}`);
  report.figure('  freeze to their answers', spread(answered));
}

export const freezePostgres: Scenario = {
  id: 3,
  title: 'SIGSTOP of every PostgreSQL process for 25 s mid-storm',
  async run(ctx) {
    const result = await stormFault('freeze-postgres', ctx, async ({ parley, ledger, report }) => {
      const poster = new Client(parley.url);
      await poster.signup('poster');
      report.check((await poster.post('/api/rooms', { name: HTTP_ROOM })).status === 201, `could not create ${HTTP_ROOM}`);
      const pids = parley.postgresPids();
      if (!report.check(pids.length > 1, 'no PostgreSQL processes found to freeze')) return;

      const frozenAt = performance.now();
      for (const pid of pids) signal(pid, 'SIGSTOP');
      let contAt = 0;
      const probes: Promise<Probe>[] = [];
      try {
        const downMs = timeUntil(async () => (await readyStatus(parley.url)) !== 200, frozenAt, FREEZE_MS, 100);
        for (const at of PROBES_AT) {
          await sleep(at - (performance.now() - frozenAt));
          probes.push(probe(parley.url, poster, 'storm0', `frozen-${at}`));
        }
        report.figure('freeze to readyz 503', ms(await downMs));
        const readyBound = await downMs;
        report.check(readyBound !== undefined && readyBound <= 2000, `readyz did not answer 503 within 2 s of the freeze (${ms(readyBound)})`);
        await sleep(FREEZE_MS - (performance.now() - frozenAt));
      } finally {
        contAt = performance.now();
        for (const pid of pids) signal(pid, 'SIGCONT');
      }
      report.figure('frozen for', ms(contAt - frozenAt));

      const settled = await Promise.all(probes);
      settled.forEach((p, i) => {
        report.figure(`HTTP posts ${PROBES_AT[i]! / 1000} s into the freeze`, describe(p.posts));
        report.figure(`logins ${PROBES_AT[i]! / 1000} s into the freeze`, describe(p.logins));
        for (const r of [...p.posts, ...p.logins]) {
          report.check(r.status === 503 && r.ms < 12_000, `an HTTP request during the freeze answered ${answerKey(r)} after ${ms(r.ms)} (expected 503 within 12 s)`);
        }
      });

      const upMs = await timeUntil(async () => (await readyStatus(parley.url)) === 200, contAt, 30_000);
      report.figure('SIGCONT to readyz 200', ms(upMs));
      const firstAck = await timeUntil(async () => ledger.attempts.some((a) => a.outcome === 'ack' && a.answeredAt! > contAt), contAt, 30_000, 20);
      report.figure('SIGCONT to the first ack', ms(firstAck));


      // The HTTP posts refused during the freeze, retried with the same cids: one row each.
      const retried = new Tally();
      for (const at of PROBES_AT) {
        for (let j = 0; j < PROBES; j++) {
          retried.add(answerKey(await post(parley.url, poster, `frozen-${at}`, j)));
        }
      }
      const history = (await poster.get(`/api/rooms/${HTTP_ROOM}/messages?limit=100`)).body.messages as Array<{ cid: string }>;
      const cids = history.map((m) => m.cid);
      report.figure('HTTP posts retried after SIGCONT (same cids)', `${retried}; stored rows ${cids.length} for ${new Set(cids).size} cids`);
      report.check(cids.length === PROBES * PROBES_AT.length && new Set(cids).size === cids.length, `the retried HTTP posts left ${cids.length} rows for ${new Set(cids).size} cids`);

      return () => {
        pendingAtFreeze(report, ledger, frozenAt);
        outageSends(report, ledger, frozenAt, contAt, 'during the freeze');
        const during = attemptsBetween(ledger, frozenAt, contAt);
        const slowest = Math.max(0, ...during.latencies);
        report.check(
          slowest <= SEND_ANSWER_BOUND_MS,
          `sends made during the freeze waited up to ${ms(slowest)} for their answer (p50 ${ms(quantile(during.latencies, 0.5))}); docs/protocol.md says \`unavailable\` comes "within about 10 s"`,
        );
      };
    });
    const t = result.ledger?.totals;
    result.tried =
      `${STORM_CLIENTS} clients in ${STORM_ROOMS} rooms storming; after 3 s, SIGSTOP of the postmaster and every backend for ${FREEZE_MS / 1000} s; ` +
      `${PROBES} HTTP posts and ${PROBES} logins at ${PROBES_AT.map((a) => `${a / 1000} s`).join(' and ')} into the freeze; SIGCONT; storm 2 s; retry with the same cids ` +
      `(${t?.cids ?? '?'} cids, ${t?.attempts ?? '?'} sends)`;
    return result;
  },
};
