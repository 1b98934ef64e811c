/**
 * 2. kill -9 of PostgreSQL's postmaster in the middle of a send storm. Nobody helps: Parley
 * must notice, start its PostgreSQL again and be ready without an operator.
 */
import { signal } from './parley-process.js';
import { ms, type Scenario } from './scenario.js';
import { STORM_CLIENTS, STORM_ROOMS, outageSends, stormFault, watchReadiness } from './storm-fault.js';

const RECOVERY_TIMEOUT_MS = 60_000;

export const killPostmaster: Scenario = {
  id: 2,
  title: 'kill -9 of the PostgreSQL postmaster mid-storm',
  async run(ctx) {
    const result = await stormFault('kill-postmaster', ctx, async ({ parley, ledger, report }) => {
      const postmaster = parley.postmasterPid();
      if (!report.check(postmaster !== undefined, 'no postmaster found in DATA_DIR/pg/postmaster.pid')) return;
      const killedAt = performance.now();
      signal(postmaster!, 'SIGKILL');
      const { downMs, upMs } = await watchReadiness(parley.url, killedAt, RECOVERY_TIMEOUT_MS);
      const recoveredAt = performance.now();
      report.figure('kill to readyz 503', ms(downMs));
      report.figure('kill to readyz 200 again (no one helping)', ms(upMs));
      report.check(downMs !== undefined, 'readyz never answered 503 after the kill');
      report.check(downMs === undefined || upMs !== undefined, `readyz was not 200 again within ${RECOVERY_TIMEOUT_MS / 1000} s of the kill`);
      report.figure('new postmaster', `pid ${parley.postmasterPid()} (was ${postmaster})`);
      const healed = parley.current.stdout().split('\n').filter((l) => l.includes('embedded PostgreSQL'));
      for (const line of healed.slice(-3)) report.note(`server log: ${JSON.parse(line).msg}`);
      return () => outageSends(report, ledger, killedAt, recoveredAt, 'between the kill and readyz 200');
    });
    const t = result.ledger?.totals;
    result.tried = `${STORM_CLIENTS} clients in ${STORM_ROOMS} rooms storming; after 3 s, kill -9 of the postmaster (its backends left to die on their own); readyz polled every 100 ms; storm 2 s after recovery; retry with the same cids (${t?.cids ?? '?'} cids, ${t?.attempts ?? '?'} sends)`;
    return result;
  },
};
