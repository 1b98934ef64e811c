/**
 * Keeps the host's room open on the Connection while the host is on the page: opens it
 * when the host appears or switches room, closes it when the host leaves or switches away.
 * The Connection counts opens, so two views of one room share the subscription.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Connection } from '../connection/connection.js';

export class OpenRoomController implements ReactiveController {
  private opened: { connection: Connection; room: string } | undefined;

  constructor(
    host: ReactiveControllerHost,
    private readonly connection: () => Connection | undefined,
    private readonly room: () => string | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.sync();
  }

  hostUpdate(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.close();
  }

  private sync(): void {
    const connection = this.connection();
    const room = this.room();
    if (this.opened?.connection === connection && this.opened?.room === room) return;
    this.close();
    if (!connection || !room) return;
    this.opened = { connection, room };
    connection.openRoom(room);
  }

  private close(): void {
    if (!this.opened) return;
    this.opened.connection.closeRoom(this.opened.room);
    this.opened = undefined;
  }
}
