/**
 * The suite's template database: one embedded PostgreSQL created (initdb) and migrated once
 * by test/global-setup.ts, stopped cleanly, then copied into each test's data dir. Creating a
 * cluster costs seconds and every test file starts at least one; a copy costs a fraction of
 * that. The copy is what a restart over an existing data dir meets, which Parley must handle
 * anyway; the first start of an empty data dir keeps its own tests (process, migrations,
 * config), which take empty dirs.
 *
 * The template's path travels in PARLEY_TEST_DB_TEMPLATE, which the test workers inherit.
 * Without it (a test file run some other way, the bench's reliability scripts) a data dir
 * starts empty and Parley creates its database as usual.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDb } from '../server/store/embedded-db.js';
import { initOrm, migrate } from '../server/store/orm.js';

const ENV = 'PARLEY_TEST_DB_TEMPLATE';

export async function makeDbTemplate(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-template-'));
  const db = await startEmbeddedDb(dir, () => {});
  const orm = await initOrm(db.url, { logger: () => {} });
  try {
    await migrate(orm);
  } finally {
    await orm.close();
    await db.stop();
  }
  process.env[ENV] = dir;
  return dir;
}

export function removeDbTemplate(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A new throwaway data dir: a copy of the template when there is one (owners and modes kept,
 * as PostgreSQL checks them), else empty.
 */
export function newDataDir(prefix = 'parley-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const template = process.env[ENV];
  if (template) execFileSync('cp', ['-a', `${template}/.`, dir]);
  return dir;
}
