/**
 * Password hashing with argon2id (the `argon2` package, native), OWASP parameters:
 * 19 MiB memory, 2 passes, 1 lane. The salt is per hash and stored in the PHC string.
 */
import argon2 from 'argon2';

const PARAMS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, PARAMS);
}

/**
 * Verifies against a stored hash, or against a throwaway hash when the user does not exist,
 * so an unknown name costs the same time as a wrong password.
 */
export class PasswordVerifier {
  private decoy: Promise<string> | undefined;

  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    this.decoy ??= hashPassword('decoy password that no account has');
    const hash = storedHash ?? (await this.decoy);
    let ok: boolean;
    try {
      ok = await argon2.verify(hash, password); // constant-time compare inside
    } catch {
      ok = false;
    }
    return ok && storedHash !== undefined;
  }
}
