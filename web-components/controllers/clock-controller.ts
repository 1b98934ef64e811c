/**
 * Redraws its host once a second until a moment (`until()`, epoch ms) has passed, for text
 * that counts down. It stops by itself then, and starts again when `until()` moves on.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

const TICK_MS = 1000;

export class ClockController implements ReactiveController {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly until: () => number | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
  }

  hostUpdated(): void {
    this.arm();
  }

  hostDisconnected(): void {
    this.connected = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const left = (this.until() ?? 0) - Date.now();
    if (!this.connected || left <= 0) return;
    // On the second boundary of the countdown, so "12 s" turns into "11 s" when it is true.
    this.timer = setTimeout(() => this.host.requestUpdate(), left % TICK_MS || TICK_MS);
  }
}
