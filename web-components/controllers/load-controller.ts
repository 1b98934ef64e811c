/**
 * The latest result of a load the host asks for with `refresh()`, and the error of the last
 * one that failed. Loads never overlap. Nothing loads on its own: what decides when (the
 * live lists, a reader's click) calls `refresh()`.
 */
import type { ReactiveControllerHost } from 'lit';
import { HttpError } from '../api/http.js';

export interface LoadOptions<T> {
  load: () => Promise<T>;
  /** Told about every failed load (e.g. to notice a 401). */
  onError?: (error: HttpError) => void;
}

export class LoadController<T> {
  value: T | undefined;
  error: HttpError | undefined;
  private loading: Promise<void> | undefined;
  private again: Promise<void> | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly opts: LoadOptions<T>,
  ) {}

  /**
   * Loads now. Asked during a load, it loads once more after that one: the load under way
   * may have started before what the caller wants to see (a reconnection, one more page
   * asked for). Several such asks share that one extra load.
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
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    try {
      this.value = await this.opts.load();
      this.error = undefined;
    } catch (e) {
      this.error = e instanceof HttpError ? e : new HttpError(0, 'internal', String(e));
      this.opts.onError?.(this.error);
    }
    this.host.requestUpdate();
  }
}
