/**
 * Loads something now and again every `everyMs` while the host is on the page and the tab
 * is visible; a tab coming back into view refreshes at once. Loads never overlap: the next
 * one is scheduled when the last one settles.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { HttpError } from '../api/http.js';

export interface PollOptions<T> {
  everyMs: number;
  load: () => Promise<T>;
  /** Told about every failed load (e.g. to notice a 401). */
  onError?: (error: HttpError) => void;
}

export class PollController<T> implements ReactiveController {
  value: T | undefined;
  error: HttpError | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private loading: Promise<void> | undefined;
  private again: Promise<void> | undefined;
  private active = false;
  private readonly onVisibility = () => {
    if (document.visibilityState === 'visible') void this.refresh();
    else clearTimeout(this.timer);
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly opts: PollOptions<T>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.active = true;
    document.addEventListener('visibilitychange', this.onVisibility);
    void this.refresh();
  }

  hostDisconnected(): void {
    this.active = false;
    clearTimeout(this.timer);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  /**
   * Loads now and restarts the interval. Asked during a load, it loads once more after that
   * one: the load under way may have started before what the caller wants to see (a room
   * just created, one more page asked for). Several such asks share that one extra load.
   */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again ??= this.loading.then(() => {
        this.again = undefined;
        return this.refresh();
      });
      return this.again;
    }
    this.loading = this.load().finally(() => {
      this.loading = undefined;
      this.schedule();
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    clearTimeout(this.timer);
    try {
      this.value = await this.opts.load();
      this.error = undefined;
    } catch (e) {
      this.error = e instanceof HttpError ? e : new HttpError(0, 'internal', String(e));
      this.opts.onError?.(this.error);
    }
    this.host.requestUpdate();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.active || document.visibilityState !== 'visible') return;
    this.timer = setTimeout(() => void this.refresh(), this.opts.everyMs);
  }
}
