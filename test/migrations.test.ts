/**
 * The migrations against a real (embedded) PostgreSQL: applied once under concurrency,
 * producing exactly the entity schema, constraints included.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDb, type EmbeddedDb } from '../server/store/embedded-db.js';
import { initOrm, migrate, MIGRATIONS_DIR } from '../server/store/orm.js';
import { Message, Room, User } from '../server/store/entities.js';

const migrationFiles = readdirSync(MIGRATIONS_DIR).filter((f) => /^Migration\d+\.ts$/.test(f));

let dataDir: string;
let db: EmbeddedDb | undefined;
const orms: MikroORM[] = [];
let applied: string[][];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parley-migrations-'));
  db = await startEmbeddedDb(dataDir, () => {});
  orms.push(await initOrm(db.url, { logger: () => {} }), await initOrm(db.url, { logger: () => {} }));
  // Two processes starting together on a fresh database.
  applied = await Promise.all(orms.map((orm) => migrate(orm)));
});

afterAll(async () => {
  await Promise.allSettled(orms.map((orm) => orm.close()));
  await db?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('migrate()', () => {
  it('applies every migration exactly once when two ORMs migrate concurrently', async () => {
    expect(migrationFiles.length).toBeGreaterThan(0);
    const all = applied.flat();
    expect(all).toHaveLength(migrationFiles.length);
    expect(new Set(all)).toEqual(new Set(migrationFiles.map((f) => f.replace(/\.ts$/, ''))));
    // One of them did all the work, the other found nothing pending.
    expect(applied.map((a) => a.length).sort()).toEqual([0, migrationFiles.length]);

    const rows = await orms[0]!.em.getConnection().execute<{ name: string }[]>('select name from mikro_orm_migrations');
    expect(rows).toHaveLength(migrationFiles.length);
  });

  it('is a no-op once applied', async () => {
    expect(await migrate(orms[1]!)).toEqual([]);
  });

  it('leaves nothing pending and the schema identical to the entities', async () => {
    const orm = orms[0]!;
    expect(await orm.getMigrator().checkMigrationNeeded()).toBe(false);
    expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
    const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL();
    expect(diff.trim()).toBe('');
  });
});

describe('constraints', () => {
  it('user names are unique', async () => {
    const em = orms[0]!.em.fork();
    em.create(User, { name: 'dup', passwordHash: 'h', createdAt: new Date() });
    await em.flush();
    const em2 = orms[0]!.em.fork();
    em2.create(User, { name: 'dup', passwordHash: 'h2', createdAt: new Date() });
    await expect(em2.flush()).rejects.toThrow(UniqueConstraintViolationException);
    expect(await orms[0]!.em.fork().count(User, { name: 'dup' })).toBe(1);
  });

  it('room names are unique', async () => {
    const em = orms[0]!.em.fork();
    em.create(Room, { name: 'lobby', kind: 'public', lastSeq: 0, createdAt: new Date() });
    await em.flush();
    const em2 = orms[0]!.em.fork();
    em2.create(Room, { name: 'lobby', kind: 'public', lastSeq: 0, createdAt: new Date() });
    await expect(em2.flush()).rejects.toThrow(UniqueConstraintViolationException);
  });

  it('a message seq is unique per room, and a client id per room and user', async () => {
    const em = orms[0]!.em.fork();
    const user = em.create(User, { name: 'writer', passwordHash: 'h', createdAt: new Date() });
    const room = em.create(Room, { name: 'talk', kind: 'public', lastSeq: 0, createdAt: new Date() });
    em.create(Message, { room, user, seq: 1, body: 'a', cid: 'c1', createdAt: new Date() });
    await em.flush();

    const sameSeq = orms[0]!.em.fork();
    sameSeq.create(Message, { room: room.id, user: user.id, seq: 1, body: 'b', cid: 'c2', createdAt: new Date() });
    await expect(sameSeq.flush()).rejects.toThrow(/messages_room_seq_unique/);

    const sameCid = orms[0]!.em.fork();
    sameCid.create(Message, { room: room.id, user: user.id, seq: 2, body: 'b', cid: 'c1', createdAt: new Date() });
    await expect(sameCid.flush()).rejects.toThrow(/messages_room_user_cid_unique/);
  });

  it('room kind is limited to public and direct', async () => {
    const conn = orms[0]!.em.getConnection();
    await expect(
      conn.execute(`insert into rooms (name, kind, created_at) values ('odd', 'secret', now())`),
    ).rejects.toThrow(/check constraint/);
  });
});
