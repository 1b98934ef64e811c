/**
 * Re-renders a host whenever its Connection reports a change. The host may be handed a
 * different Connection (a new sign-in), so the subscription follows the getter on each update.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Connection } from '../connection/connection.js';

export class ConnectionController implements ReactiveController {
  private subscribed: Connection | undefined;
  private readonly onChange = () => this.host.requestUpdate();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly connection: () => Connection | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.follow();
  }

  hostUpdate(): void {
    this.follow();
  }

  hostDisconnected(): void {
    this.subscribed?.removeEventListener('change', this.onChange);
    this.subscribed = undefined;
  }

  private follow(): void {
    const next = this.connection();
    if (next === this.subscribed) return;
    this.subscribed?.removeEventListener('change', this.onChange);
    next?.addEventListener('change', this.onChange);
    this.subscribed = next;
  }
}
