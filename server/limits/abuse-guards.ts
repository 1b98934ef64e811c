/**
 * The limiters against abuse, built once from the configuration and shared by HTTP and the
 * WebSocket gateway (room creation and joins are counted the same on both). The clock is
 * passed in so tests can drive it.
 */
import type { AbuseLimits } from '../config.js';
import { KeyedLimiter } from './keyed-limiter.js';
import { LoginThrottle } from './login-throttle.js';

/** A send limit as the configuration gives it: `sendBurst` at once, `sendRate` a second after. */
export interface SendLimit {
  sendRate: number;
  sendBurst: number;
}

export interface AbuseGuards {
  login: LoginThrottle;
  /** Sign-ups per client address. */
  signup: KeyedLimiter;
  /** Rooms created per user (key: user id). */
  roomCreate: KeyedLimiter;
  /** Joins per user (key: user id). */
  join: KeyedLimiter;
  /** Messages posted over HTTP per user (key: user id): the WebSocket's send limit, per user. */
  posts: KeyedLimiter;
  now(): number;
  /** Forgets keys whose limits are full again; the composition root calls it now and then. */
  sweep(): void;
}

export function createAbuseGuards(limits: AbuseLimits, sends: SendLimit, now: () => number = Date.now): AbuseGuards {
  const guards = {
    login: new LoginThrottle(limits),
    signup: new KeyedLimiter(limits.signupAddress),
    roomCreate: new KeyedLimiter(limits.roomCreate),
    join: new KeyedLimiter(limits.join),
    posts: new KeyedLimiter({ burst: sends.sendBurst, periodMs: (sends.sendBurst / sends.sendRate) * 1000 }),
    now,
    sweep() {
      const t = now();
      guards.login.sweep(t);
      guards.signup.sweep(t);
      guards.roomCreate.sweep(t);
      guards.join.sweep(t);
      guards.posts.sweep(t);
    },
  };
  return guards;
}
