/**
 * 1. kill -9 of Parley in the middle of a send storm. Its PostgreSQL is left running (nothing
 * tells a postmaster its parent died); the next start on the same DATA_DIR must not be
 * blocked by it. The clients reconnect to the restarted server and retry every cid that was
 * unanswered, with the same cid.
 */
import { stillPostgres } from '../../test/spawn-server.js';
import { ms, readyStatus, timeUntil, type Scenario } from './scenario.js';
import { STORM_CLIENTS, STORM_ROOMS, stormFault } from './storm-fault.js';

export const killParley: Scenario = {
  id: 1,
  title: 'kill -9 of Parley mid-storm, restart on the same DATA_DIR',
  async run(ctx) {
    let sentBeforeKill = 0;
    const result = await stormFault('kill-parley', ctx, async ({ parley, storm, ledger, report }) => {
      const pgBefore = parley.postgresPids();
      const postmaster = parley.postmasterPid();
      sentBeforeKill = ledger.attempts.length;
      const killedAt = performance.now();
      await parley.kill9();
      const unanswered = ledger.attempts.filter((a) => a.outcome === undefined || a.outcome === 'closed').length;
      report.figure('sends on the wire when killed', sentBeforeKill);
      report.figure('of them unanswered (socket closed)', unanswered);
      const orphans = stillPostgres(pgBefore);
      report.figure('PostgreSQL processes alive after the kill', `${orphans.length} of ${pgBefore.length} (postmaster pid ${postmaster})`);

      let restartMs: number;
      try {
        restartMs = await parley.spawn();
      } catch (err) {
        report.check(false, `the restart on the same DATA_DIR failed: ${(err as Error).message.split('\n')[0]}`);
        throw err;
      }
      report.figure('restart: spawn to listening', ms(restartMs));
      const readyMs = await timeUntil(async () => (await readyStatus(parley.url)) === 200, killedAt, 30_000);
      report.check(readyMs !== undefined, 'readyz was not 200 within 30 s of the restart');
      report.figure('kill to readyz 200 on the new process', ms(readyMs));
      const orphanLine = parley.current.stdout().split('\n').find((l) => l.includes('left running') || l.includes('left-over'));
      const stoppedLine = parley.current.stdout().split('\n').find((l) => l.includes('stopped the left-over'));
      report.figure('orphan PostgreSQL', orphanLine ? (stoppedLine ? `stopped by the new start (${JSON.parse(stoppedLine).msg})` : 'found; see log') : 'no log line about it');
      report.check(stillPostgres([postmaster ?? -1]).length === 0 || parley.postmasterPid() === postmaster, 'the old postmaster still runs beside a new one');

      const t0 = performance.now();
      await storm.reconnect(parley.url);
      report.figure('clients reconnected and joined', `${storm.connected()} of ${STORM_CLIENTS} in ${ms(performance.now() - t0)}`);
    });
    const t = result.ledger?.totals;
    result.tried = `${STORM_CLIENTS} clients in ${STORM_ROOMS} rooms storming (up to 64 unanswered each); kill -9 after 3 s (${sentBeforeKill} sends); restart; reconnect; storm 2 s; retry with the same cids (${t?.cids ?? '?'} cids, ${t?.attempts ?? '?'} sends in all)`;
    return result;
  },
};
