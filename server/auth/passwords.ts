/**
 * Password hashing with argon2id (the `argon2` package, native), OWASP parameters:
 * 19 MiB memory, 2 passes, 1 lane. The salt is per hash and stored in the PHC string.
 *
 * Every hash and verify goes through one gate. argon2 runs on libuv's thread pool (4
 * threads), which PostgreSQL connections need too (pg resolves the host there): a thousand
 * sign-ups at once filled it, new pool connections waited behind the hashes, timed out, and
 * the sign-ups answered 500 after 36 s. The gate runs two at a time (the machine's cores do
 * the work anyway) and queues a bounded number; beyond that the caller hears `Busy` at once
 * and answers 503 with Retry-After, as a server under load should.
 */
import argon2 from 'argon2';
import pLimit from 'p-limit';

const PARAMS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Password work at once; the rest waits in the gate's queue. */
const CONCURRENT = 2;

/** The gate's queue is full: try again shortly. */
export class PasswordsBusy extends Error {
  constructor() {
    super('too many sign-ins at once; retry in a moment');
  }
}

export class PasswordHasher {
  private readonly gate = pLimit(CONCURRENT);
  private decoy: Promise<string> | undefined;

  /** @param maxQueue password operations allowed to wait beyond those running (PASSWORD_QUEUE) */
  constructor(private readonly maxQueue = 32) {}

  hash(password: string): Promise<string> {
    return this.run(() => argon2.hash(password, PARAMS));
  }

  /**
   * Verifies against a stored hash, or against a throwaway hash when the user does not exist,
   * so an unknown name costs the same time as a wrong password.
   */
  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    this.decoy ??= argon2.hash('decoy password that no account has', PARAMS);
    const hash = storedHash ?? (await this.decoy);
    const ok = await this.run(() => argon2.verify(hash, password).catch(() => false)); // constant-time compare inside
    return ok && storedHash !== undefined;
  }

  private run<T>(work: () => Promise<T>): Promise<T> {
    if (this.gate.pendingCount >= this.maxQueue) return Promise.reject(new PasswordsBusy());
    return this.gate(work);
  }
}
