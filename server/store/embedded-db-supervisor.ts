/**
 * Keeps a database server process running: when it exits without being asked to, start it
 * again, retrying with a growing delay until it is back or we are told to stop.
 *
 * Usage: `const s = new ClusterSupervisor(cluster, { log }); await s.start();` then
 * `s.restart()` / `s.stop()`. start(), restart() and stop() run one at a time, in call order,
 * and a restart attempt of the healing loop takes its turn among them, so a deliberate stop or
 * restart never races a heal: stop() ends supervision before it stops the server, and an exit
 * caused by stop() or restart() is never healed.
 *
 * Options:
 * - `log`: one line per exit noticed, per failed attempt and per recovery.
 * - `sleep(ms)`: how to wait between attempts (default: an unref'd timer), so tests need not
 *   wait on the real clock.
 * - `delays`: first delay and cap of the doubling backoff (default 500 ms, 10 s).
 */
import type { DbLog } from './db-log.js';

/** The server being kept up, as the supervisor sees it. */
export interface Cluster {
  /** Starts the server; resolves once it accepts connections. `onExit` is called once when that server process ends. */
  start(onExit: () => void): Promise<void>;
  /** Stops the server if it runs (it may already have exited); resolves once it has. */
  stop(): Promise<void>;
}

export interface SupervisorOptions {
  log: DbLog;
  sleep?: (ms: number) => Promise<void>;
  delays?: { firstMs: number; maxMs: number };
}

/** The wait before restart attempt `attempt` (0-based): doubling from `firstMs`, capped at `maxMs`. */
export function backoffMs(attempt: number, { firstMs, maxMs }: { firstMs: number; maxMs: number }): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(attempt, 30));
}

function unrefSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export class ClusterSupervisor {
  private readonly log: DbLog;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly delays: { firstMs: number; maxMs: number };
  /** Whether the server should be running: set at the call, so the last call wins. */
  private wanted = false;
  /** Bumped by every stop() and restart(): an exit or a heal from an older epoch is not ours to act on. */
  private epoch = 0;
  /** The tail of the one-at-a-time queue of starts and stops. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Ends the healing loop's current wait early (stop() and restart() call it). */
  private wake: () => void = () => {};

  constructor(
    private readonly cluster: Cluster,
    opts: SupervisorOptions,
  ) {
    this.log = opts.log;
    this.sleep = opts.sleep ?? unrefSleep;
    this.delays = opts.delays ?? { firstMs: 500, maxMs: 10_000 };
  }

  start(): Promise<void> {
    this.wanted = true;
    const epoch = this.epoch;
    return this.inTurn(() => this.launch(epoch));
  }

  stop(): Promise<void> {
    this.wanted = false;
    this.epoch++;
    this.wake();
    return this.inTurn(() => this.cluster.stop());
  }

  restart(): Promise<void> {
    this.wanted = true;
    const epoch = ++this.epoch;
    this.wake();
    return this.inTurn(async () => {
      await this.cluster.stop();
      await this.launch(epoch);
    });
  }

  private inTurn<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op);
    this.queue = run.catch(() => {});
    return run;
  }

  private launch(epoch: number): Promise<void> {
    return this.cluster.start(() => this.exited(epoch));
  }

  private exited(epoch: number): void {
    if (!this.wanted || epoch !== this.epoch) return; // we stopped it
    this.log('embedded PostgreSQL exited unexpectedly; starting it again', 'warn');
    void this.heal(epoch);
  }

  private async heal(epoch: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const delay = backoffMs(attempt, this.delays);
      await Promise.race([this.sleep(delay), new Promise<void>((resolve) => (this.wake = resolve))]);
      if (epoch !== this.epoch) return; // stop() or restart() took over
      try {
        await this.inTurn(() => (epoch === this.epoch ? this.launch(epoch) : Promise.resolve()));
        if (epoch === this.epoch) this.log(`embedded PostgreSQL is running again (attempt ${attempt + 1})`);
        return;
      } catch (err) {
        const next = backoffMs(attempt + 1, this.delays);
        this.log(`embedded PostgreSQL did not start again (attempt ${attempt + 1}): ${err instanceof Error ? err.message : String(err)}; next attempt in ${next} ms`, 'warn');
      }
    }
  }
}
