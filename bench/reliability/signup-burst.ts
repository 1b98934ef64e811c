/**
 * 7. 1,000 sign-ups at once from one address: first with the default limits (LIMIT_SIGNUP_ADDRESS
 * 20 an hour: expect 429s), then with that limit lifted, where the password hasher's queue
 * (PASSWORD_QUEUE 32) is what pushes back (503 with Retry-After). Never a 500, and the users
 * that exist afterwards are exactly those answered 201.
 *
 * A third pass makes the request deadline short (REQUEST_DEADLINE_MS=1000) so that sign-ups
 * admitted by the hasher's queue outlive it, as they do under the default 8 s when the
 * machine is slower or busier: a sign-up answered 503 must not have created the user.
 */
import { withParley } from './parley-process.js';
import { Report, Tally, answerKey, jsonPost, ms, spread, timedFetch, type Scenario, type ScenarioContext } from './scenario.js';

const SIGNUPS = 1000;
const SHORT_DEADLINE_SIGNUPS = 200;

async function signUpAtOnce(url: string, prefix: string, count: number): Promise<{ answers: Tally; retryAfter: Tally; latencies: number[]; ms: number; created: string[] }> {
  const answers = new Tally();
  const retryAfter = new Tally();
  const latencies: number[] = [];
  const created: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const username = `${prefix}${i}`;
      const r = await jsonPost(`${url}/api/auth/signup`, { username, password: 'correct horse battery' });
      answers.add(answerKey(r));
      latencies.push(r.ms);
      if (r.status === 201) created.push(username);
      if (r.status >= 400) retryAfter.add(`${r.status}: ${r.headers.get('retry-after') ?? 'none'}`);
    }),
  );
  return { answers, retryAfter, latencies, ms: performance.now() - t0, created };
}

/** Where the observer signs up from (TRUST_PROXY=1 and X-Forwarded-For), apart from the burst's address. */
const OBSERVER_ADDRESS = '192.0.2.1';

function pass(report: Report, ctx: ScenarioContext, label: string, count: number, env: Record<string, string>): Promise<void> {
  // TRUST_PROXY lets an observer sign up from an address of its own; the burst carries no
  // X-Forwarded-For, so its address is the peer's, 127.0.0.1, for every request.
  return withParley(report, `signup-burst-${label.replace(/\W+/g, '-')}`, { TRUST_PROXY: '1', ...env }, ctx, async (parley) => {
    const observer = await jsonPost(`${parley.url}/api/auth/signup`, { username: 'observer', password: 'correct horse battery' }, { 'x-forwarded-for': OBSERVER_ADDRESS });
    if (!report.check(observer.status === 201, `${label}: the observer's sign-up answered ${answerKey(observer)}`)) return;
    const cookie = observer.headers.get('set-cookie')!.split(';')[0]!;
    const r = await signUpAtOnce(parley.url, 'burst', count);
    report.figure(`${label}: answers`, r.answers.toString());
    report.figure(`${label}: all answered in`, `${ms(r.ms)}; per request ${spread(r.latencies)}`);
    report.figure(`${label}: Retry-After by status`, r.retryAfter.toString());
    report.check(!r.answers.keys().some((k) => k.startsWith('500') || k.startsWith('no answer')), `${label}: sign-ups answered ${r.answers}`);

    // The users that exist are exactly those answered 201: none missing, none made by a refused
    // sign-up. Sign-ups answered at their deadline may still be at work: read until it settles.
    const burstUsers = async () => {
      const users = (await timedFetch(`${parley.url}/api/users`, { headers: { cookie } })).body?.users as Array<{ name: string }> | undefined;
      return users?.filter((u) => u.name.startsWith('burst')).map((u) => u.name) ?? [];
    };
    let burst = await burstUsers();
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const again = await burstUsers();
      if (again.length === burst.length) break;
      burst = again;
    }
    report.figure(`${label}: users that exist afterwards`, `${burst.length} (201 answers: ${r.created.length})`);
    report.check(r.created.every((name) => burst.includes(name)), `${label}: some sign-ups answered 201 have no user`);
    const refusedButCreated = burst.filter((name) => !r.created.includes(name));
    if (refusedButCreated.length) {
      const name = refusedButCreated[0]!;
      const again = await jsonPost(`${parley.url}/api/auth/signup`, { username: name, password: 'correct horse battery' });
      const login = await jsonPost(`${parley.url}/api/auth/login`, { username: name, password: 'correct horse battery' });
      report.check(
        false,
        `${label}: ${refusedButCreated.length} sign-ups were answered 503 \`unavailable\` ("retry shortly") yet created their user: ` +
          `retrying one (${name}) answers ${answerKey(again)}, and its password signs in (${answerKey(login)})`,
      );
    }
  });
}

export const signupBurst: Scenario = {
  id: 7,
  title: '1,000 concurrent sign-ups from one address',
  async run(ctx) {
    const report = new Report();
    try {
      await pass(report, ctx, 'default limits', SIGNUPS, {});
      await pass(report, ctx, 'LIMIT_SIGNUP_ADDRESS lifted', SIGNUPS, { LIMIT_SIGNUP_ADDRESS: '1000000/1' });
      await pass(report, ctx, `lifted, REQUEST_DEADLINE_MS=1000, ${SHORT_DEADLINE_SIGNUPS} at once`, SHORT_DEADLINE_SIGNUPS, { LIMIT_SIGNUP_ADDRESS: '1000000/1', REQUEST_DEADLINE_MS: '1000' });
    } catch (err) {
      report.aborted(err);
    }
    return report.result(
      `${SIGNUPS} POST /api/auth/signup sent at once (one connection each) from one address (TRUST_PROXY=1 only so that an observer can sign up from another), ` +
        `on a server with the default limits and on one with LIMIT_SIGNUP_ADDRESS=1000000/1; then ${SHORT_DEADLINE_SIGNUPS} at once with that limit lifted and REQUEST_DEADLINE_MS=1000`,
    );
  },
};
