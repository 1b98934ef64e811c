/**
 * 5. Password guessing. Client addresses are simulated with TRUST_PROXY=1 and an
 * X-Forwarded-For header (Parley then takes the address from its last entry), so one
 * machine can play an attacker, the account's owner and many other places.
 *
 * - 300 wrong passwords for one account from one address, 20 at a time, as fast as possible;
 *   then the right password from that address (until it works) and from the owner's;
 * - meanwhile, 300 wrong passwords for 300 different names from one address (spraying);
 * - and 300 wrong passwords for another account from 300 addresses (a spread-out attack),
 *   then its owner signing in from their own address.
 */
import { forEachConcurrently } from '../concurrency.js';
import { withParley } from './parley-process.js';
import { Report, Tally, answerKey, jsonPost, ms, type Scenario, type Timed } from './scenario.js';

const GUESSES = 300;
const CONCURRENCY = 20;
const PASSWORD = 'correct horse battery';
const OWNER = '198.51.100.10';
const ATTACKER = '203.0.113.66';
const SPRAYER = '203.0.113.77';
/** Longest we wait for the right password to work again from the attacker's address. */
const RECOVERY_TIMEOUT_MS = 60_000;
/** The default limits (count per seconds), as the server runs with them here. */
const LOGIN_PAIR = { count: 10, seconds: 300 };
const LOGIN_ADDRESS = { count: 50, seconds: 300 };
const LOGIN_ACCOUNT = { count: 50, seconds: 300 };

/** Attempts a limit lets through in `ms`: the burst, plus one per refill interval that passed. */
function allowed(limit: { count: number; seconds: number }, ms: number): number {
  return limit.count + Math.floor(ms / ((limit.seconds * 1000) / limit.count));
}

interface Burst {
  answers: Tally;
  retryAfter: number[];
  ms: number;
  statuses: number[];
}

async function burst(count: number, attempt: (i: number) => Promise<Timed>): Promise<Burst> {
  const answers = new Tally();
  const retryAfter: number[] = [];
  const statuses: number[] = [];
  const t0 = performance.now();
  await forEachConcurrently(count, CONCURRENCY, async (i) => {
    const r = await attempt(i);
    answers.add(answerKey(r));
    statuses.push(r.status);
    const ra = r.headers.get('retry-after');
    if (ra !== null) retryAfter.push(Number(ra));
  });
  return { answers, retryAfter, ms: performance.now() - t0, statuses };
}

function retryAfterRange(values: number[]): string {
  return values.length ? `${Math.min(...values)}..${Math.max(...values)} s (${values.length} answers carried it)` : 'none';
}

/** Tries the right password every Retry-After (1..5 s) until 200; ms from `since`, or undefined. */
async function untilSignedIn(login: () => Promise<Timed>, since: number, timeoutMs: number): Promise<{ ms?: number; tries: number }> {
  let tries = 0;
  while (performance.now() - since < timeoutMs) {
    const r = await login();
    tries++;
    if (r.status === 200) return { ms: performance.now() - since, tries };
    const wait = Math.min(5, Math.max(1, Number(r.headers.get('retry-after') ?? 1)));
    await new Promise((res) => setTimeout(res, wait * 1000));
  }
  return { tries };
}

export const loginGuessing: Scenario = {
  id: 5,
  title: 'login guessing: one address, spraying, spread over 300 addresses',
  async run(ctx) {
    const report = new Report();
    await withParley(report, 'login-guessing', { TRUST_PROXY: '1' }, ctx, async (parley) => {
      const login = (username: string, password: string, address: string) => jsonPost(`${parley.url}/api/auth/login`, { username, password }, { 'x-forwarded-for': address });
      for (const name of ['victim', 'victim2']) {
        const r = await jsonPost(`${parley.url}/api/auth/signup`, { username: name, password: PASSWORD }, { 'x-forwarded-for': OWNER });
        if (!report.check(r.status === 201, `sign-up of ${name}: ${answerKey(r)}`)) throw new Error('no accounts to attack');
      }

      ctx.progress(`login-guessing: ${GUESSES} wrong passwords from one address`);
      const guessing = await burst(GUESSES, (i) => login('victim', `wrong password ${i}`, ATTACKER));
      const guessedAt = performance.now();
      report.figure(`${GUESSES} wrong passwords, one account, one address (${CONCURRENCY} at a time)`, `${guessing.answers} in ${ms(guessing.ms)}`);
      report.figure('  Retry-After on them', retryAfterRange(guessing.retryAfter));
      const checked = guessing.statuses.filter((s) => s === 401).length;
      report.check(checked <= allowed(LOGIN_PAIR, guessing.ms), `${checked} wrong passwords were checked from one address for one account in ${ms(guessing.ms)} (LIMIT_LOGIN_PAIR allows ${allowed(LOGIN_PAIR, guessing.ms)})`);
      report.check(guessing.statuses.every((s) => s === 401 || s === 429), `guessing got answers other than 401/429: ${guessing.answers}`);

      const [sameAddress, owner] = await Promise.all([login('victim', PASSWORD, ATTACKER), login('victim', PASSWORD, OWNER)]);
      report.figure('right password from the guessing address, at once', `${answerKey(sameAddress)}, Retry-After ${sameAddress.headers.get('retry-after') ?? 'none'}`);
      report.figure("right password from the owner's address, at once", `${answerKey(owner)} in ${ms(owner.ms)}`);
      report.check(owner.status === 200, `the owner, from another address, could not sign in during the attack: ${answerKey(owner)}`);

      // While the guessing address waits out its pause, the two other attacks (other keys).
      const recovery = untilSignedIn(() => login('victim', PASSWORD, ATTACKER), guessedAt, RECOVERY_TIMEOUT_MS);

      ctx.progress(`login-guessing: spraying ${GUESSES} names, and ${GUESSES} addresses at one account`);
      const spray = await burst(GUESSES, (i) => login(`nobody${i}`, 'wrong password', SPRAYER));
      report.figure(`${GUESSES} wrong passwords, ${GUESSES} names, one address`, `${spray.answers} in ${ms(spray.ms)}; Retry-After ${retryAfterRange(spray.retryAfter)}`);
      const sprayed = spray.statuses.filter((s) => s === 401).length;
      report.check(sprayed <= allowed(LOGIN_ADDRESS, spray.ms), `${sprayed} wrong passwords were checked from one address in ${ms(spray.ms)} (LIMIT_LOGIN_ADDRESS allows ${allowed(LOGIN_ADDRESS, spray.ms)})`);

      const spread = await burst(GUESSES, (i) => login('victim2', 'wrong password', `10.77.${i >> 8}.${i & 255}`));
      const spreadAt = performance.now();
      report.figure(`${GUESSES} wrong passwords, one account, ${GUESSES} addresses`, `${spread.answers} in ${ms(spread.ms)}; Retry-After ${retryAfterRange(spread.retryAfter)}`);
      const spreadChecked = spread.statuses.filter((s) => s === 401).length;
      report.check(spreadChecked <= allowed(LOGIN_ACCOUNT, spread.ms), `${spreadChecked} wrong passwords were checked for one account in ${ms(spread.ms)} (LIMIT_LOGIN_ACCOUNT allows ${allowed(LOGIN_ACCOUNT, spread.ms)})`);
      const owner2 = await login('victim2', PASSWORD, OWNER);
      report.figure("  then its owner from their own address", `${answerKey(owner2)}, Retry-After ${owner2.headers.get('retry-after') ?? 'none'}`);
      const owner2Back = await untilSignedIn(() => login('victim2', PASSWORD, OWNER), spreadAt, RECOVERY_TIMEOUT_MS);
      report.figure('  end of that attack to the owner signed in', `${ms(owner2Back.ms)} (${owner2Back.tries} tries)`);
      report.check(owner2Back.ms !== undefined, `after an attack from ${GUESSES} addresses the owner could not sign in for ${RECOVERY_TIMEOUT_MS / 1000} s`);

      const back = await recovery;
      report.figure('end of guessing to the right password working from the guessing address', `${ms(back.ms)} (${back.tries} tries, each after the Retry-After it was given)`);
      report.check(back.ms !== undefined, `the right password did not work from the guessing address within ${RECOVERY_TIMEOUT_MS / 1000} s`);
      const all = [...guessing.statuses, ...spray.statuses, ...spread.statuses];
      report.check(!all.some((s) => s >= 500 || s === 0), `some logins answered 5xx or not at all`);
    }).catch((err) => report.aborted(err));
    return report.result(
      `TRUST_PROXY=1, addresses set with X-Forwarded-For. ${GUESSES} wrong passwords for one account from one address, ${CONCURRENCY} at a time; ` +
        `the right one from that address (retried every Retry-After until 200) and from the owner's; ${GUESSES} wrong passwords for ${GUESSES} names from one address; ` +
        `${GUESSES} wrong passwords for one account from ${GUESSES} addresses, then its owner`,
    );
  },
};
