/**
 * The migrations against a real (embedded) PostgreSQL: applied once under concurrency,
 * producing exactly the entity schema, constraints included. The drift check builds a
 * second database from the entities alone (MikroORM's schema generator) and compares the
 * two catalogs, so an entity edited without a migration, or a migration without its entity
 * change, fails here.
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

  it('builds the same catalog as the entities do: columns, types, defaults, constraints, indexes', async () => {
    const migrated = orms[0]!;
    await migrated.em.getConnection().execute('create database from_entities');
    const fromEntities = await initOrm(db!.url.replace(/\/postgres$/, '/from_entities'), { logger: () => {} });
    try {
      await fromEntities.getSchemaGenerator().createSchema();
      const built = await catalog(fromEntities);
      expect(built.length).toBeGreaterThan(30);
      expect(await catalog(migrated)).toEqual(built);
      // And the other way round: the entities see nothing to change in the migrated database.
      expect((await fromEntities.getSchemaGenerator().getUpdateSchemaSQL()).trim()).toBe('');
    } finally {
      await fromEntities.close();
    }
  });
});

/** Every column (type, nullability, default), constraint and index of Parley's tables, as PostgreSQL prints them. */
async function catalog(orm: MikroORM): Promise<string[]> {
  const rows = await orm.em.getConnection().execute<Array<{ line: string }>>(`
    select format('column %s.%s %s%s%s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                  case when a.attnotnull then ' not null' else ' null' end,
                  coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')) as line
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
       and c.relname <> 'mikro_orm_migrations'
    union all
    select format('constraint %s.%s %s', c.relname, con.conname, pg_get_constraintdef(con.oid))
      from pg_constraint con
      join pg_class c on c.oid = con.conrelid
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relname <> 'mikro_orm_migrations'
    union all
    select format('index %s.%s %s', tablename, indexname, indexdef)
      from pg_indexes
     where schemaname = 'public' and tablename <> 'mikro_orm_migrations'
    union all
    select format('sequence %s %s', sequencename, data_type)
      from pg_sequences
     where schemaname = 'public' and sequencename <> 'mikro_orm_migrations_id_seq'`);
  return rows.map((r) => r.line).sort();
}

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
