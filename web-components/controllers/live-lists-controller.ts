/**
 * The sidebar's live lists on the host's Connection (see connection/live-lists.ts): redraws
 * the host when they change and says when to load the lists over HTTP, which is when the
 * host appears and again when a socket opened since the last load has its snapshot (rooms
 * and users made while no socket watched are in no `directory` frame). Nothing polls.
 *
 * The host may be handed a different Connection (a new sign-in), so the subscription
 * follows the getter on each update, and a new Connection loads the lists again.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Connection } from '../connection/connection.js';
import { noLiveLists, reloadDue, watchCovered, type LiveLists } from '../connection/live-lists.js';

export interface LiveListsOptions {
  connection: () => Connection | undefined;
  /** Loads the room and people lists over HTTP. */
  reload: () => void;
}

export class LiveListsController implements ReactiveController {
  private subscribed: Connection | undefined;
  /** The watch the last reload is sure to cover (see watchCovered). */
  private covered = -1;
  private readonly onLists = () => {
    if (reloadDue(this.lists, this.covered)) this.reload();
    this.host.requestUpdate();
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly opts: LiveListsOptions,
  ) {
    host.addController(this);
  }

  get lists(): LiveLists {
    return this.subscribed?.lists ?? noLiveLists;
  }

  hostConnected(): void {
    this.follow();
    this.reload();
  }

  hostUpdate(): void {
    if (this.follow() && this.subscribed) this.reload();
  }

  hostDisconnected(): void {
    this.subscribed?.removeEventListener('lists', this.onLists);
    this.subscribed = undefined;
  }

  /** Subscribes to the host's Connection; true when that is a different one than before. */
  private follow(): boolean {
    const next = this.opts.connection();
    if (next === this.subscribed) return false;
    this.subscribed?.removeEventListener('lists', this.onLists);
    next?.addEventListener('lists', this.onLists);
    this.subscribed = next;
    return true;
  }

  private reload(): void {
    this.covered = watchCovered(this.lists);
    this.opts.reload();
  }
}
