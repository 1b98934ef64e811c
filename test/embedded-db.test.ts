/**
 * The embedded PostgreSQL's lifecycle, on real processes: what a Parley killed with SIGKILL
 * leaves behind does not block the next start (while a live Parley's database is still
 * refused).
 * Each test has its own DATA_DIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from './harness.js';
import { cmdline, postgresTree, spawnServer, stillPostgres, stopIfRunning, waitListening, type Proc } from './spawn-server.js';
import { lockFilePid } from '../server/store/embedded-db-owner.js';

const PASSWORD = 'correct horse battery';

const readyz = (url: string) => new Client(url).get('/readyz').then((r) => r.status, () => 0);

/** The live postmaster that DATA_DIR/pg/postmaster.pid names, if any. */
function postmasterOf(dataDir: string): number | undefined {
  const pid = lockFilePid(join(dataDir, 'pg'));
  return pid !== undefined && cmdline(pid)?.includes('postgres') ? pid : undefined;
}

describe('embedded PostgreSQL lifecycle', () => {
  const dataDirs: string[] = [];
  const spawned: Proc[] = [];

  function freshDataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'parley-lifecycle-'));
    dataDirs.push(dir);
    return dir;
  }

  /** Parley started as an operator starts it, on `dataDir` and any free port. */
  function spawnParley(dataDir: string): Proc {
    const p = spawnServer({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    spawned.push(p);
    return p;
  }

  afterEach(async () => {
    for (const p of spawned.splice(0)) await stopIfRunning(p);
    // A failed test may leave an orphaned PostgreSQL: end it before removing its files.
    for (const dir of dataDirs.splice(0)) {
      for (const pid of stillPostgres(postgresTree(dir))) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a PostgreSQL left by a Parley killed with SIGKILL is stopped at the next start, and the data survives', async () => {
    const dataDir = freshDataDir();
    const first = spawnParley(dataDir);
    const olive = new Client(await waitListening(first));
    expect((await olive.post('/api/auth/signup', { username: 'olive', password: PASSWORD })).status).toBe(201);
    const orphan = postmasterOf(dataDir)!;
    expect(orphan, 'a running postmaster').toBeDefined();

    first.child.kill('SIGKILL');
    await first.waitExit(10_000);
    // Nothing tells the postmaster that its parent is gone: it keeps running.
    expect(cmdline(orphan)).toContain('postgres');

    const t0 = Date.now();
    const second = spawnParley(dataDir);
    const url = await waitListening(second, 40_000);
    const startMs = Date.now() - t0;
    expect(second.stdout()).toContain(`(pid ${orphan}) was left running by a Parley that is gone (pid ${first.child.pid})`);
    expect(cmdline(orphan)).toBeUndefined();
    expect(postmasterOf(dataDir)).not.toBe(orphan);
    expect(await readyz(url)).toBe(200);
    const login = await new Client(url).post('/api/auth/login', { username: 'olive', password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.name).toBe('olive');
    console.log(`[embedded-db] second start over the orphan listened after ${startMs} ms`);
  }, 90_000);

  it('a PostgreSQL in use by a live Parley is still refused, and that Parley goes on', async () => {
    const dataDir = freshDataDir();
    const first = spawnParley(dataDir);
    const url = await waitListening(first);
    const postmaster = postmasterOf(dataDir);

    const t0 = Date.now();
    const second = spawnParley(dataDir);
    const exit = await second.waitExit(30_000);
    console.log(`[embedded-db] second start on a live Parley's DATA_DIR refused after ${Date.now() - t0} ms`);
    expect(exit.code).toBe(1);
    expect(second.stderr()).toContain(`already running (pid ${postmaster}): another Parley (pid ${first.child.pid}) uses this DATA_DIR`);
    expect(second.stdout()).not.toContain('Parley is listening');

    expect(postmasterOf(dataDir)).toBe(postmaster);
    expect(await readyz(url)).toBe(200);
    expect(first.child.exitCode).toBeNull();
  }, 60_000);
});
