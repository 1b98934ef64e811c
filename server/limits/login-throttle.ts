/**
 * Throttles password guessing. Only failed logins count, three ways at once:
 * - one account from one address (the tightest: someone guessing at one person);
 * - one address, any account (spraying many accounts from one place);
 * - one account, any address (guessing spread over many addresses).
 * The owner signing in from their own address meets only the last two, and those run out
 * only under an attack from many places, for at most that limit's window after it stops.
 *
 * An attempt reserves its place before the password is checked, so a thousand concurrent
 * guesses cannot all pass the check before the first one fails; a login that succeeds, or
 * that an outage kept from being checked, gives its place back. Pure: the caller passes the clock.
 */
import { KeyedLimiter, type RateLimit } from './keyed-limiter.js';

export interface LoginLimits {
  loginPair: RateLimit;
  loginAddress: RateLimit;
  loginAccount: RateLimit;
}

export class LoginThrottle {
  private readonly pair: KeyedLimiter;
  private readonly address: KeyedLimiter;
  private readonly account: KeyedLimiter;

  constructor(limits: LoginLimits) {
    this.pair = new KeyedLimiter(limits.loginPair);
    this.address = new KeyedLimiter(limits.loginAddress);
    this.account = new KeyedLimiter(limits.loginAccount);
  }

  /** Reserves an attempt: 0 when it may go ahead, else the ms until one may. */
  begin(address: string, account: string, now: number): number {
    const pairKey = `${account}\n${address}`;
    const wait = Math.max(this.pair.wait(pairKey, now), this.address.wait(address, now), this.account.wait(account, now));
    if (wait > 0) return wait;
    this.pair.take(pairKey, now);
    this.address.take(address, now);
    this.account.take(account, now);
    return 0;
  }

  /** The attempt begun for this pair does not count: it succeeded, or could not be checked. */
  release(address: string, account: string): void {
    this.pair.refund(`${account}\n${address}`);
    this.address.refund(address);
    this.account.refund(account);
  }

  sweep(now: number): void {
    this.pair.sweep(now);
    this.address.sweep(now);
    this.account.sweep(now);
  }
}
