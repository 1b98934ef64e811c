/**
 * Parley as an operator runs it, for the reliability scenarios: `node --import tsx
 * server/main.ts` in a child process on PORT=0 and a throwaway DATA_DIR, restarted on the
 * same DATA_DIR after a crash, with the handles a fault needs (its pid, the embedded
 * PostgreSQL's postmaster and backends) and an account of how it ended: a process that
 * exits without being told to is a finding, and so is a PostgreSQL left running after a
 * clean stop.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresTree, spawnServer, stillPostgres, stopIfRunning, waitListening, type Proc } from '../../test/spawn-server.js';
import { rssBytes } from '../proc-stats.js';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

export interface StopReport {
  /** Exits nobody asked for, e.g. "exit code 1" or "signal SIGABRT", with the generation. */
  unexpectedExits: string[];
  /** PostgreSQL processes of this DATA_DIR still alive after the final stop (then killed). */
  postgresLeft: number;
  logFile: string;
}

export class ParleyProcess {
  /** Every generation of the server on this DATA_DIR (a restart adds one). */
  private readonly generations: Proc[] = [];
  /** Generations we killed or stopped on purpose. */
  private readonly ended = new Set<Proc>();
  url = '';

  private constructor(
    readonly name: string,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
  ) {}

  /**
   * Starts Parley on a new DATA_DIR, a copy of the run's template (an initialised, migrated
   * cluster: initdb takes 2 to 12 s on this VM, for every one of a dozen servers otherwise).
   * `startMs` is spawn to "Parley is listening".
   */
  static async start(name: string, env: Record<string, string>, ctx: { logDir: string; templateDir: string }): Promise<{ parley: ParleyProcess; startMs: number }> {
    const dataDir = mkdtempSync(join(tmpdir(), `parley-reliability-${name}-`));
    // cp -a, not fs.cp: the cluster's files must stay owned by the postgres user.
    execFileSync('cp', ['-a', `${ctx.templateDir}/.`, dataDir]);
    const parley = new ParleyProcess(name, dataDir, env, ctx.logDir);
    try {
      return { parley, startMs: await parley.spawn() };
    } catch (err) {
      await parley.stop(); // leaves no server, PostgreSQL or DATA_DIR behind
      throw err;
    }
  }

  /**
   * Makes the run's template DATA_DIR: a first start as an operator's (initdb, migrations),
   * then a clean stop. Resolves with its path and how long that first start took.
   */
  static async template(logDir: string): Promise<{ dir: string; firstStartMs: number }> {
    const parley = new ParleyProcess('template', mkdtempSync(join(tmpdir(), 'parley-reliability-template-')), {}, logDir);
    let firstStartMs: number;
    try {
      firstStartMs = await parley.spawn();
    } catch (err) {
      await parley.stop();
      throw err;
    }
    const stop = await parley.stopServer();
    if (stop.unexpectedExits.length || stop.postgresLeft) throw new Error(`the template server did not stop cleanly (log: ${stop.logFile})`);
    // Names the process that ran its PostgreSQL, now gone; a copy starts without it.
    rmSync(join(parley.dataDir, 'pg-owner'), { force: true });
    return { dir: parley.dataDir, firstStartMs };
  }

  get current(): Proc {
    return this.generations[this.generations.length - 1]!;
  }

  get pid(): number {
    return this.current.child.pid!;
  }

  /** Starts another generation on the same DATA_DIR; resolves with spawn-to-listening ms. */
  async spawn(): Promise<number> {
    const t0 = performance.now();
    const p = spawnServer({ PORT: '0', DATA_DIR: this.dataDir, LOG_LEVEL: 'info', ...this.env });
    this.generations.push(p);
    this.url = await waitListening(p, START_TIMEOUT_MS);
    return performance.now() - t0;
  }

  /** kill -9 of the server process (PostgreSQL is left running, as after a real crash). */
  async kill9(): Promise<void> {
    const p = this.current;
    this.ended.add(p);
    p.child.kill('SIGKILL');
    await p.waitExit(STOP_TIMEOUT_MS);
  }

  /** The pid in DATA_DIR/pg/postmaster.pid, if that process is alive and is PostgreSQL. */
  postmasterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      return stillPostgres([pid]).length ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** The postmaster and its children. */
  postgresPids(): number[] {
    return postgresTree(this.dataDir);
  }

  rssBytes(): number | undefined {
    return rssBytes(this.pid);
  }

  logs(): string {
    return this.generations.map((p, i) => `--- generation ${i + 1} stdout ---\n${p.stdout()}\n--- stderr ---\n${p.stderr()}`).join('\n');
  }

  /**
   * Stops the server as an operator would (SIGINT, SIGKILL after 20 s), then checks that no
   * PostgreSQL of this DATA_DIR is left (continuing and killing any that is), writes the
   * logs and removes DATA_DIR.
   */
  async stop(): Promise<StopReport> {
    const report = await this.stopServer();
    rmSync(this.dataDir, { recursive: true, force: true });
    return report;
  }

  /** stop() without removing DATA_DIR. */
  private async stopServer(): Promise<StopReport> {
    const unexpectedExits: string[] = [];
    this.generations.forEach((p, i) => {
      const c = p.child;
      if (!this.ended.has(p) && (c.exitCode !== null || c.signalCode !== null)) {
        unexpectedExits.push(`generation ${i + 1}: ${c.signalCode ? `signal ${c.signalCode}` : `exit code ${c.exitCode}`}`);
      }
    });
    const last = this.current;
    this.ended.add(last);
    await stopIfRunning(last, STOP_TIMEOUT_MS);
    // A scenario that failed half-way may have left PostgreSQL stopped by SIGSTOP.
    const left = this.postgresPids();
    for (const pid of left) signal(pid, 'SIGCONT');
    for (const pid of left) signal(pid, 'SIGKILL');
    const logFile = join(this.logDir, `${this.name}.log`);
    writeFileSync(logFile, this.logs());
    return { unexpectedExits, postgresLeft: left.length, logFile };
  }
}

/** Where withParley records how a server ended (a Report). */
export interface StopRecorder {
  check(ok: boolean, failure: string): boolean;
  readonly logFiles: string[];
}

/**
 * Runs `work` against a Parley started for it and, however `work` ends, stops that Parley
 * and records whether it had exited on its own or left PostgreSQL running.
 */
export async function withParley<T>(
  recorder: StopRecorder,
  name: string,
  env: Record<string, string>,
  ctx: { logDir: string; templateDir: string },
  work: (parley: ParleyProcess, startMs: number) => Promise<T>,
): Promise<T> {
  const { parley, startMs } = await ParleyProcess.start(name, env, ctx);
  try {
    return await work(parley, startMs);
  } finally {
    const stop = await parley.stop();
    recorder.logFiles.push(stop.logFile);
    recorder.check(stop.unexpectedExits.length === 0, `Parley exited on its own: ${stop.unexpectedExits.join('; ')} (log: ${stop.logFile})`);
    recorder.check(stop.postgresLeft === 0, `${stop.postgresLeft} PostgreSQL processes of the data dir were left after Parley stopped (log: ${stop.logFile})`);
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}
