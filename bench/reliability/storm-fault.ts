/**
 * The frame of every fault scenario: Parley started as an operator does, a send storm by
 * several clients over a few rooms, the fault in the middle of it, the storm carried on
 * after recovery, every unacknowledged cid retried until acknowledged, and the stored
 * history audited against the ledger.
 *
 * The per-connection send rate is lifted (SEND_RATE, SEND_BURST) so that a handful of
 * clients make a storm; every other limit keeps its default.
 */
import { Ledger, type Audit, type LedgerTotals } from './ledger.js';
import { withParley, type ParleyProcess } from './parley-process.js';
import { Report, Tally, ms, readyStatus, spread, timeUntil, type ScenarioContext, type ScenarioResult } from './scenario.js';
import { Storm, signUpUsers, sleep } from './storm.js';

export const STORM_ENV = { SEND_RATE: '100000', SEND_BURST: '100000' };
export const STORM_CLIENTS = 6;
export const STORM_ROOMS = 3;
/** Storm before the fault, and after recovery. */
const BEFORE_MS = 3000;
const AFTER_MS = 2000;
const SETTLE_MS = 30_000;
/** An unanswered send older than this, on an open socket, counts as a hang. */
const HANG_MS = 15_000;

export interface FaultContext {
  parley: ParleyProcess;
  storm: Storm;
  ledger: Ledger;
  report: Report;
  ctx: ScenarioContext;
}

export async function stormFault(
  name: string,
  ctx: ScenarioContext,
  fault: (f: FaultContext) => Promise<void | (() => void)>,
): Promise<Omit<ScenarioResult, 'id' | 'title' | 'ms'>> {
  const report = new Report();
  const ledger = new Ledger();
  let outcome: { totals: LedgerTotals; audit: Audit; storedBeforeRetry: Record<string, number> } | undefined;
  await withParley(report, name, STORM_ENV, ctx, async (parley, startMs) => {
    report.figure("start (on a copy of the run's initialised DATA_DIR)", ms(startMs));
    const users = await signUpUsers(parley.url, 'storm', STORM_CLIENTS);
    const rooms = Array.from({ length: STORM_ROOMS }, (_, i) => `storm-${i}`);
    const storm = await Storm.open(parley.url, users, rooms, ledger);
    try {
      storm.start();
      await sleep(BEFORE_MS);
      ctx.progress(`${name}: ${ledger.attempts.length} sends so far; fault`);
      // What the fault returns runs after the retries, for figures over answers that came late.
      const after = await fault({ parley, storm, ledger, report, ctx });
      ctx.progress(`${name}: recovered; storm ${AFTER_MS} ms more, then retries`);
      await sleep(AFTER_MS);
      storm.pause();
      const tSettle = performance.now();
      await storm.settle(parley.url, SETTLE_MS);
      report.figure('retries settled in', ms(performance.now() - tSettle));
      const storedAllAlong = ledger.storedBeforeRetry();
      report.figure('retried cids that had been stored all along (the retry got the original ack), by the answer before the retry', Tally.of(storedAllAlong).toString());
      if (storedAllAlong.unavailable) {
        report.note(
          `${storedAllAlong.unavailable} sends answered \`unavailable\` had in fact been committed: a commit whose answer is lost with the connection ` +
            `cannot be told from one that failed, so \`unavailable\` means "maybe not stored", and the retry with the same cid settled each one exactly once`,
        );
      }
      after?.();
      const hung = storm.oldestUnansweredMs();
      report.check(hung < HANG_MS, `a send on an open socket was still unanswered after ${ms(hung)}`);
      outcome = { totals: ledger.totals(), audit: await ledger.audit(parley.url, users[0]!.cookie), storedBeforeRetry: storedAllAlong };
      const closes = new Tally();
      for (const code of storm.closeCodes()) closes.add(code);
      if (closes.total) report.figure('socket closes seen by clients', closes.toString());
    } finally {
      storm.close();
    }
  }).catch((err) => report.aborted(err));
  if (outcome) checkLedger(report, outcome.totals, outcome.audit);
  return { ...report.result(''), ledger: outcome };
}

/** The contract's promises over a storm: nothing acked is lost or doubled, seq has no gaps. */
export function checkLedger(report: Report, totals: LedgerTotals, audit: Audit): void {
  const examples = audit.examples.length ? ` (e.g. ${audit.examples.slice(0, 4).join('; ')})` : '';
  report.check(audit.lost === 0, `${audit.lost} acknowledged messages were not stored${examples}`);
  report.check(audit.doubled === 0, `${audit.doubled} cids were stored more than once${examples}`);
  report.check(audit.ackMismatch === 0, `${audit.ackMismatch} acks named another seq/id than the stored row${examples}`);
  report.check(audit.seqGaps === 0, `${audit.seqGaps} gaps in room seq numbers${examples}`);
  report.check(totals.conflictingAcks === 0, `${totals.conflictingAcks} cids were acknowledged twice with different seq/id`);
  const unacked = totals.cids - totals.acked;
  report.check(unacked === 0, `${unacked} cids were never acknowledged after ${SETTLE_MS / 1000} s of retries (last answers: ${Tally.of(totals.unackedBy)})`);
}

/** Attempts sent in [from, to): how they were answered, and how long the answers took. */
export function attemptsBetween(ledger: Ledger, from: number, to: number): { outcomes: Tally; latencies: number[]; count: number } {
  const outcomes = new Tally();
  const latencies: number[] = [];
  let count = 0;
  for (const a of ledger.attempts) {
    if (a.sentAt < from || a.sentAt >= to) continue;
    count++;
    outcomes.add(a.outcome ?? 'no answer');
    if (a.answeredAt !== undefined) latencies.push(a.answeredAt - a.sentAt);
  }
  return { outcomes, latencies, count };
}

/** Without a 503 by then, readiness is taken as never lost. */
const NEVER_DOWN_MS = 10_000;

/**
 * Polls readyz from `since`: when it first said something else than 200, and when it said
 * 200 after that (undefined if it never went down within 10 s, or never came back).
 */
export async function watchReadiness(url: string, since: number, timeoutMs: number): Promise<{ downMs?: number; upMs?: number }> {
  let downMs: number | undefined;
  const upMs = await timeUntil(
    async () => {
      const status = await readyStatus(url);
      if (status !== 200 && downMs === undefined) downMs = performance.now() - since;
      return status === 200 && (downMs !== undefined || performance.now() - since > NEVER_DOWN_MS);
    },
    since,
    timeoutMs,
    100,
  );
  return { downMs, upMs: downMs === undefined ? undefined : upMs };
}

/** How the sends made while the database was away were answered. */
export function outageSends(report: Report, ledger: Ledger, from: number, to: number, label: string): void {
  const during = attemptsBetween(ledger, from, to);
  report.figure(`sends made ${label}`, during.count);
  report.figure(`  their answers`, during.outcomes.toString());
  report.figure(`  answer latency`, spread(during.latencies));
}
