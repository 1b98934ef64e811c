/**
 * The real server as an operator runs it: `node --import tsx server/main.ts` in a child
 * process, stopped by signals, restarted on the same DATA_DIR; plus readiness while the
 * database is down (in-process, through the test harness).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startTestServer, type TestServer } from './harness.js';
import { postgresTree, processesMentioning, spawnServer, stillPostgres, stopIfRunning, waitListening, type Proc } from './spawn-server.js';
import { freePort } from '../server/store/embedded-db.js';

const SIGNAL_EXIT_MS = 15_000;

/** The machine has the jemalloc server/start.sh looks for first (Debian's libjemalloc2). */
const JEMALLOC_HERE = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'].some((f) => existsSync(f));

/** The allocator the server's start-up log names. */
function allocatorLogged(p: Proc): string | undefined {
  const line = p.stdout().split('\n').find((l) => l.includes('memory allocator'));
  return line ? (JSON.parse(line) as { allocator: string }).allocator : undefined;
}

describe('the server process', () => {
  let dataDir: string;
  const spawned: Proc[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-process-'));
  });

  afterAll(async () => {
    // A failed test may leave a server running: stop it the way an operator would.
    for (const p of spawned) await stopIfRunning(p, SIGNAL_EXIT_MS);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves, then stops cleanly on SIGTERM leaving no postgres behind', async () => {
    const port = await freePort();
    const p = spawnServer({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    spawned.push(p);
    await waitListening(p);
    expect(p.stdout()).toContain(`http://127.0.0.1:${port}`);
    // server/start.sh preloads jemalloc where the machine has it (CI installs it).
    expect(allocatorLogged(p)).toBe(JEMALLOC_HERE ? 'jemalloc' : 'system');

    const client = new Client(`http://127.0.0.1:${port}`);
    expect((await client.get('/healthz')).status).toBe(200);
    expect((await client.get('/readyz')).status).toBe(200);
    const signup = await client.post('/api/auth/signup', { username: 'carol', password: 'correct horse' });
    expect(signup.status).toBe(201);
    expect(signup.body.user.name).toBe('carol');

    const pg = postgresTree(dataDir);
    expect(pg.length, 'the embedded postgres should be running').toBeGreaterThan(1);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);

    p.child.kill('SIGTERM');
    const exit = await p.waitExit(SIGNAL_EXIT_MS);
    expect(exit, p.stderr()).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(SIGNAL_EXIT_MS);
    expect(p.stdout()).toContain('Parley stopped');
    expect(p.stderr()).toBe('');

    expect(processesMentioning(dataDir)).toEqual([]);
    expect(stillPostgres(pg)).toEqual([]);
    // A clean PostgreSQL shutdown removes its pid file.
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('reuses DATA_DIR on the next start, and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    // PARLEY_MALLOC=system: glibc's malloc, nothing preloaded.
    const p = spawnServer({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info', PARLEY_MALLOC: 'system' });
    spawned.push(p);
    await waitListening(p);
    // Same cluster, same schema, same session secret: nothing created or generated again.
    expect(p.stdout()).not.toContain('creating embedded PostgreSQL');
    expect(p.stdout()).not.toContain('migrations applied');
    expect(p.stdout()).not.toContain('SESSION_SECRET is not set');
    expect(allocatorLogged(p)).toBe('system');

    const client = new Client(`http://127.0.0.1:${port}`);
    const login = await client.post('/api/auth/login', { username: 'carol', password: 'correct horse' });
    expect(login.status).toBe(200);
    expect(login.body.user.name).toBe('carol');
    const wrong = await new Client(`http://127.0.0.1:${port}`).post('/api/auth/login', { username: 'carol', password: 'wrong horse' });
    expect(wrong.status).toBe(401);

    const pg = postgresTree(dataDir);
    expect(pg.length).toBeGreaterThan(1);

    p.child.kill('SIGINT');
    const exit = await p.waitExit(SIGNAL_EXIT_MS);
    expect(exit, p.stderr()).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(SIGNAL_EXIT_MS);
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(stillPostgres(pg)).toEqual([]);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('refuses a bad configuration quickly with one line naming the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-badconfig-'));
    try {
      const p = spawnServer({ PORT: 'abc', DATA_DIR: dir });
      spawned.push(p);
      const exit = await p.waitExit(10_000);
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(exit.ms).toBeLessThan(10_000);
      const lines = p.stderr().split('\n').filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('PORT');
      expect(lines[0]).toContain('"abc"');
      expect(p.stdout()).not.toContain('Parley is listening');
      // Nothing was started for it.
      expect(existsSync(join(dir, 'pg'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readiness while the database is down', () => {
  let server: TestServer | undefined;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it('readyz is 503 while the embedded PostgreSQL is stopped and 200 again after it restarts', async () => {
    const s = server!;
    const client = new Client(s.url);
    expect((await client.get('/readyz')).status).toBe(200);

    await s.embeddedDb!.stop();
    const down = await client.get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('unavailable');
    // Liveness does not depend on the database.
    expect((await client.get('/healthz')).status).toBe(200);

    await s.embeddedDb!.restart();
    let status = 0;
    for (const t0 = Date.now(); Date.now() - t0 < 10_000; await new Promise((r) => setTimeout(r, 200))) {
      status = (await client.get('/readyz')).status;
      if (status === 200) break;
    }
    expect(status).toBe(200);
  });
});
