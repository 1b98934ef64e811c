/**
 * Accounts in PostgreSQL: what sign-up, sign-in, the password change and the contact list
 * ask of the `users` table. Names arrive already normalized (lower-cased, checked against
 * the naming rules) by the routes.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { User } from './entities.js';
import type { Member } from '../protocol/frames.js';

/** A user with the hash their password is checked against. */
export interface Account extends Member {
  passwordHash: string;
}

/** What create() answers for a name someone already has. */
export const NAME_TAKEN = 'taken';

export class UserStore {
  constructor(private orm: MikroORM) {}

  /** Creates an account; NAME_TAKEN when the name is in use (the unique key decides, so two sign-ups cannot both win). */
  async create(name: string, passwordHash: string): Promise<Member | typeof NAME_TAKEN> {
    try {
      const id = await this.orm.em.fork().insert(User, { name, passwordHash, createdAt: new Date() });
      return { id, name };
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) return NAME_TAKEN;
      throw err;
    }
  }

  byName(name: string): Promise<Account | null> {
    return this.account({ name });
  }

  byId(id: number): Promise<Account | null> {
    return this.account({ id });
  }

  /** Users by name (the database's collation), those whose name starts with `prefix` when given. */
  async list(page: { prefix?: string; limit: number }): Promise<Member[]> {
    const where = page.prefix ? { name: { $like: `${escapeLike(page.prefix)}%` } } : {};
    const rows = await this.orm.em.fork().find(User, where, { orderBy: { name: 'asc' }, limit: page.limit, fields: ['id', 'name'] });
    return rows.map((u) => ({ id: u.id, name: u.name }));
  }

  /** The users with these names (lower-cased already); unknown names are left out. */
  async byNames(names: string[]): Promise<Member[]> {
    if (names.length === 0) return [];
    const rows = await this.orm.em.fork().find(User, { name: { $in: names } }, { fields: ['id', 'name'] });
    return rows.map((u) => ({ id: u.id, name: u.name }));
  }

  /** Removes an account that was never handed to anyone (its sessions go with it). */
  async remove(id: number): Promise<void> {
    await this.orm.em.fork().nativeDelete(User, { id });
  }

  async setPasswordHash(id: number, passwordHash: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(User, { id }, { passwordHash });
  }

  private async account(where: { id: number } | { name: string }): Promise<Account | null> {
    const user = await this.orm.em.fork().findOne(User, where);
    return user && { id: user.id, name: user.name, passwordHash: user.passwordHash };
  }
}

/** A LIKE pattern matching `text` literally (PostgreSQL's default escape character is `\`). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}
