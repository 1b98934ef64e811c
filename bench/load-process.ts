/**
 * A load process of the benchmark (subscribers.ts, publisher.ts or ws-publisher.ts): a Node child pinned to
 * the load core, spoken to over the IPC channel with the messages of load-messages.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LOAD_CORE, onCore, type Pinning } from './cpu-pinning.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

type Typed = { type: string };

export class LoadProcess<To extends Typed, From extends Typed> {
  private queued = new Map<string, From[]>();
  private waiters = new Map<string, Array<{ resolve: (m: From) => void; reject: (e: Error) => void }>>();
  private listeners = new Map<string, (m: From) => void>();
  /**
   * Per reply type, replies still owed to waits that timed out. The process answers in
   * order, so the next replies of that type are theirs: without dropping them, every later
   * wait got the reply meant for the one before (a progress tick right after a saturated
   * pass read the previous pass's count, and the count after the reset came one tick late).
   */
  private owedToTimedOut = new Map<string, number>();
  private exitError: Error | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (m: From) => this.deliver(m));
    // Spawn failures and sends that race the channel closing; exit reports the rest.
    child.on('error', (err) => {
      this.exitError ??= new Error(`${name}: ${err.message}`);
    });
    child.on('exit', (code, signal) => {
      this.exitError = new Error(`${name} exited (${code ?? signal})`);
      for (const list of this.waiters.values()) for (const w of list.splice(0)) w.reject(this.exitError);
    });
  }

  /** Starts `node --import tsx <script>` (a path from the repository root) on the load core; `wrap`: a command prefix such as prlimit. */
  static start<To extends Typed, From extends Typed>(script: string, pinning: Pinning, env: NodeJS.ProcessEnv = {}, wrap: string[] = []): LoadProcess<To, From> {
    const [cmd, ...args] = onCore(pinning, LOAD_CORE, [...wrap, process.execPath, '--import', 'tsx', script]);
    const child = spawn(cmd!, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new LoadProcess<To, From>(script, child);
  }

  send(message: To): void {
    if (this.exitError) throw this.exitError;
    if (!this.child.connected) throw new Error(`${this.name} is being stopped`);
    this.child.send(message);
  }

  /** Calls fn for every message of this type (instead of queueing them for next()). */
  on<T extends From['type']>(type: T, fn: (m: Extract<From, { type: T }>) => void): void {
    this.listeners.set(type, fn as (m: From) => void);
  }

  /** The next message of this type (one already received, or the next to come). */
  next<T extends From['type']>(type: T, timeoutMs: number): Promise<Extract<From, { type: T }>> {
    const queued = this.queued.get(type)?.shift();
    if (queued) return Promise.resolve(queued as Extract<From, { type: T }>);
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(type) ?? [];
        const i = list.indexOf(waiter);
        if (i >= 0) list.splice(i, 1);
        this.owedToTimedOut.set(type, (this.owedToTimedOut.get(type) ?? 0) + 1);
        reject(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (m: From) => {
          clearTimeout(timer);
          resolve(m as Extract<From, { type: T }>);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const list = this.waiters.get(type) ?? [];
      list.push(waiter);
      this.waiters.set(type, list);
    });
  }

  /** Sends a message and waits for the reply of the given type. */
  async request<T extends From['type']>(message: To, replyType: T, timeoutMs: number): Promise<Extract<From, { type: T }>> {
    // Replies arrive in a later event-loop turn, so waiting after sending misses none.
    this.send(message);
    return this.next(replyType, timeoutMs);
  }

  /** Ends the process: disconnecting makes it exit; SIGKILL if it has not after a second. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
  }

  private deliver(m: From): void {
    const listener = this.listeners.get(m.type);
    if (listener) return listener(m);
    const owed = this.owedToTimedOut.get(m.type) ?? 0;
    if (owed > 0) {
      this.owedToTimedOut.set(m.type, owed - 1);
      return;
    }
    const waiter = this.waiters.get(m.type)?.shift();
    if (waiter) return waiter.resolve(m);
    const list = this.queued.get(m.type) ?? [];
    list.push(m);
    this.queued.set(m.type, list);
  }
}
