import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

const limits = {
  loginPair: { burst: 3, periodMs: 30_000 },
  loginAddress: { burst: 5, periodMs: 50_000 },
  loginAccount: { burst: 8, periodMs: 80_000 },
};

describe('LoginThrottle', () => {
  it('stops one address guessing at one account after the pair limit, and says when to retry', () => {
    const t = new LoginThrottle(limits);
    for (let i = 0; i < 3; i++) expect(t.begin('1.1.1.1', 'alice', 0)).toBe(0);
    expect(t.begin('1.1.1.1', 'alice', 0)).toBe(10_000);
    // The owner, elsewhere, is not held up by that.
    expect(t.begin('2.2.2.2', 'alice', 0)).toBe(0);
    expect(t.begin('1.1.1.1', 'alice', 10_000)).toBe(0);
  });

  it('stops one address spraying many accounts at the address limit', () => {
    const t = new LoginThrottle(limits);
    for (let i = 0; i < 5; i++) expect(t.begin('1.1.1.1', `user${i}`, 0)).toBe(0);
    expect(t.begin('1.1.1.1', 'user9', 0)).toBeGreaterThan(0);
  });

  it('stops guesses at one account spread over addresses at the account limit', () => {
    const t = new LoginThrottle(limits);
    for (let i = 0; i < 8; i++) expect(t.begin(`10.0.0.${i}`, 'alice', 0)).toBe(0);
    expect(t.begin('10.0.0.99', 'alice', 0)).toBe(10_000);
  });

  it('successful logins do not count', () => {
    const t = new LoginThrottle(limits);
    for (let i = 0; i < 50; i++) {
      expect(t.begin('1.1.1.1', 'alice', 0)).toBe(0);
      t.release('1.1.1.1', 'alice');
    }
  });

  it('a refused attempt takes nothing, so waiting what it says is enough', () => {
    const t = new LoginThrottle(limits);
    for (let i = 0; i < 3; i++) t.begin('1.1.1.1', 'alice', 0);
    for (let i = 0; i < 100; i++) expect(t.begin('1.1.1.1', 'alice', 5_000)).toBe(5_000);
    expect(t.begin('1.1.1.1', 'alice', 10_000)).toBe(0);
  });
});
