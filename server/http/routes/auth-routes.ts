/** Sign-up, login, logout, password change and `me`, per the HTTP contract. */
import { Hono } from 'hono';
import type { DirectoryEvents } from '../../chat/live-lists.js';
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import { clientAddress, type AppEnv } from '../context.js';
import { signedIn } from '../middleware/session.js';
import { validJson } from '../middleware/validate.js';
import { Password, Username } from './schemas.js';
import type { SessionCookie } from '../../auth/session-cookie.js';
import type { SessionStore } from '../../auth/session-store.js';
import { PasswordsBusy, type PasswordHasher } from '../../auth/passwords.js';
import type { AbuseGuards } from '../../limits/abuse-guards.js';
import { NAME_TAKEN, type Account, type UserStore } from '../../store/user-store.js';
import { PASSWORD_MAX, PASSWORD_MIN, normalizeUsername } from '../../protocol/names.js';

export interface AuthDeps {
  users: UserStore;
  cookie: SessionCookie;
  sessions: SessionStore;
  passwords: PasswordHasher;
  guards: AbuseGuards;
  trustProxy: boolean;
  /** Told of each new user, for the live lists. */
  directory: DirectoryEvents;
}

/** How soon a password operation refused for a full queue may be tried again. */
const BUSY_RETRY_MS = 1000;

/** Password work through the hasher's gate; a full gate is 503 with Retry-After, not a wait. */
async function passwordWork<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof PasswordsBusy) throw new ApiError('unavailable', err.message, BUSY_RETRY_MS);
    throw err;
  }
}

function tooMany(what: string, waitMs: number): ApiError {
  return new ApiError('rate_limited', `too many ${what}; retry in ${Math.ceil(waitMs / 1000)} s`, waitMs);
}

const Credentials = z.object({ username: Username, password: Password });
/** Login takes any strings: a malformed name is answered like an unknown one. */
const LoginAttempt = z.object({ username: z.string(), password: z.string() });
const PasswordChange = z.object({ current: z.string().max(PASSWORD_MAX), next: Password });

const CREDENTIALS_HINT = `username is 3..32 of a-z 0-9 _, password is ${PASSWORD_MIN}..${PASSWORD_MAX} characters`;

export function authRoutes(deps: AuthDeps) {
  const r = new Hono<AppEnv>();
  const publicUser = (u: { id: number; name: string }) => ({ id: u.id, name: u.name });

  const { guards } = deps;

  r.post('/auth/signup', validJson(Credentials, CREDENTIALS_HINT), async (c) => {
    const { username, password } = c.req.valid('json');
    const address = clientAddress(c, deps.trustProxy);
    const wait = guards.signup.attempt(address, guards.now());
    if (wait > 0) throw tooMany('sign-ups from this address', wait);
    const passwordHash = await passwordWork(() => deps.passwords.hash(password)).catch((err: unknown) => {
      guards.signup.refund(address); // refused for load, not for the caller: it does not count
      throw err;
    });
    // Answered 503 meanwhile (a loaded server): do not create an account the caller was told failed.
    if (c.var.deadline?.aborted) {
      guards.signup.refund(address);
      throw new ApiError('unavailable', 'the sign-up took too long; retry shortly');
    }
    const user = await deps.users.create(username, passwordHash);
    if (user === NAME_TAKEN) throw new ApiError('taken', `the name ${username} is taken`);
    const session = await deps.sessions.create(user);
    const cookie = await deps.cookie.issue(session.sessionId);
    // Nothing is awaited from this check to the answer, so the deadline cannot fall between.
    if (c.var.deadline?.aborted) {
      // Answered 503 while the account was being made: take it back, so that the caller's
      // retry signs up instead of finding the name taken.
      await deps.users.remove(user.id);
      guards.signup.refund(address);
      throw new ApiError('unavailable', 'the sign-up took too long; retry shortly');
    }
    c.header('set-cookie', cookie, { append: true });
    deps.directory.userAdded(publicUser(user));
    return c.json({ user: publicUser(user) }, 201);
  });

  r.post('/auth/login', validJson(LoginAttempt, 'username and password are required strings'), async (c) => {
    const body = c.req.valid('json');
    const password = body.password.slice(0, PASSWORD_MAX + 1);
    // A malformed name can't match a user; treat it like an unknown one (same work, same answer).
    const name = normalizeUsername(body.username);
    // Throttled by the name as typed, so guesses at names that do not exist count too.
    const account = name ?? body.username.slice(0, 64).toLowerCase();
    const address = clientAddress(c, deps.trustProxy);
    const wait = guards.login.begin(address, account, guards.now());
    if (wait > 0) throw tooMany('failed sign-ins; this account or address is paused', wait);
    let user: Account | null = null;
    let guessedWrong = true;
    try {
      user = name ? await deps.users.byName(name) : null;
      const ok = await passwordWork(() => deps.passwords.verify(user?.passwordHash, password));
      guessedWrong = !ok || !user;
    } catch (err) {
      // An outage or a full gate is not the caller's guess: it does not count.
      guessedWrong = false;
      throw err;
    } finally {
      if (!guessedWrong) guards.login.release(address, account);
    }
    if (guessedWrong || !user) throw new ApiError('bad_credentials', 'wrong username or password');
    const session = await deps.sessions.create(user);
    c.header('set-cookie', await deps.cookie.issue(session.sessionId), { append: true });
    return c.json({ user: publicUser(user) }, 200);
  });

  r.post('/auth/logout', async (c) => {
    const s = c.get('session');
    if (s) await deps.sessions.revoke(s.sessionId);
    c.header('set-cookie', deps.cookie.clear(), { append: true });
    return c.body(null, 204);
  });

  r.post('/auth/password', signedIn, validJson(PasswordChange, `next is ${PASSWORD_MIN}..${PASSWORD_MAX} characters`), async (c) => {
    const s = c.var.me;
    const { current, next } = c.req.valid('json');
    const user = await deps.users.byId(s.user.id);
    if (!user || !(await passwordWork(() => deps.passwords.verify(user.passwordHash, current)))) {
      throw new ApiError('bad_credentials', 'the current password is wrong');
    }
    await deps.users.setPasswordHash(user.id, await passwordWork(() => deps.passwords.hash(next)));
    await deps.sessions.revokeOthers(user.id, s.sessionId);
    return c.body(null, 204);
  });

  r.get('/me', signedIn, (c) => c.json({ user: publicUser(c.var.me.user) }));

  return r;
}
