/**
 * 4. PostgreSQL stopped in the middle of a send storm, the way an operator stops it:
 * SIGINT to the postmaster, which is what `pg_ctl stop -m fast` sends (sessions ended,
 * data flushed, clean exit). Parley now starts a PostgreSQL that exits under it again by
 * itself, so a single stop does not last 10 s; the scenario reports that, then holds the
 * database down for 10 s by stopping every postmaster that comes up, and reports recovery.
 */
import { signal } from './parley-process.js';
import { ms, readyStatus, timeUntil, type Scenario } from './scenario.js';
import { STORM_CLIENTS, STORM_ROOMS, outageSends, stormFault, watchReadiness } from './storm-fault.js';
import { sleep } from './storm.js';

const HOLD_MS = 10_000;
const HOLD_POLL_MS = 50;

export const stopPostgres: Scenario = {
  id: 4,
  title: 'PostgreSQL stopped (fast shutdown) mid-storm, then held down 10 s',
  async run(ctx) {
    let stops = 0;
    const result = await stormFault('stop-postgres', ctx, async ({ parley, ledger, report }) => {
      // A: one fast shutdown, then see what happens without anyone's help.
      const first = parley.postmasterPid();
      if (!report.check(first !== undefined, 'no postmaster found to stop')) return;
      const stoppedAt = performance.now();
      signal(first!, 'SIGINT');
      const { downMs, upMs } = await watchReadiness(parley.url, stoppedAt, 60_000);
      report.figure('one fast shutdown: stop to readyz 503', ms(downMs));
      report.figure('one fast shutdown: stop to readyz 200 (Parley started it again)', ms(upMs));
      report.check(downMs === undefined || upMs !== undefined, 'after one fast shutdown, readyz was not 200 again within 60 s');
      const upAt = performance.now();
      await sleep(1000);

      // B: held down for 10 s: every postmaster that appears is stopped the same way.
      const holdFrom = performance.now();
      const seen = new Set<number>();
      while (performance.now() - holdFrom < HOLD_MS) {
        const pid = parley.postmasterPid();
        if (pid !== undefined) {
          if (!seen.has(pid)) stops++;
          seen.add(pid);
          signal(pid, 'SIGINT');
        }
        await sleep(HOLD_POLL_MS);
      }
      const releasedAt = performance.now();
      report.figure('held down: postmasters stopped during the 10 s', stops);
      const back = await timeUntil(async () => (await readyStatus(parley.url)) === 200, releasedAt, 60_000);
      report.figure('held down: end of the hold to readyz 200', ms(back));
      report.check(back !== undefined, 'after the 10 s hold, readyz was not 200 again within 60 s');
      const lines = parley.current.stdout().split('\n');
      const said = (text: string) => lines.filter((l) => l.includes(text)).length;
      report.figure(
        'server log over both',
        `${said('exited unexpectedly')} × "exited unexpectedly", ${said('did not start again')} × "did not start again", ${said('is running again')} × "is running again"`,
      );
      return () => {
        outageSends(report, ledger, stoppedAt, upAt, 'between the single stop and readyz 200');
        outageSends(report, ledger, holdFrom, releasedAt + (back ?? 0), 'during the hold and until readyz 200');
      };
    });
    const t = result.ledger?.totals;
    result.tried =
      `${STORM_CLIENTS} clients in ${STORM_ROOMS} rooms storming; after 3 s, SIGINT to the postmaster (= pg_ctl stop -m fast) once; ` +
      `then for ${HOLD_MS / 1000} s every postmaster that came up was stopped the same way (${stops} of them); storm 2 s after; retry with the same cids ` +
      `(${t?.cids ?? '?'} cids, ${t?.attempts ?? '?'} sends)`;
    return result;
  },
};
