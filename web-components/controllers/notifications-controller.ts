/**
 * Desktop notifications for a direct message or a mention while the tab is hidden. Off until
 * the reader turns them on: the browser's permission is asked only then, inside that click
 * (browsers ignore or block requests that come without a user gesture). The choice is kept
 * in localStorage; turning them off needs no permission at all.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ActivityFrame, Connection } from '../connection/connection.js';
import { roomPath } from '../app/router.js';
import { isDirectRoomName } from '../format/room-label.js';

const KEY = 'parley.notifications';

export type NotificationSetting = 'on' | 'off' | 'denied' | 'unsupported';

export class NotificationsController implements ReactiveController {
  private subscribed: Connection | undefined;
  private readonly onActivity = (e: Event) => this.notify((e as CustomEvent<ActivityFrame>).detail);

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly opts: { connection: () => Connection | undefined; open: (path: string) => void },
  ) {
    host.addController(this);
  }

  get setting(): NotificationSetting {
    if (typeof Notification === 'undefined') return 'unsupported';
    if (Notification.permission === 'denied') return 'denied';
    return localStorage.getItem(KEY) === 'on' && Notification.permission === 'granted' ? 'on' : 'off';
  }

  /** Called from the click that asked for it. */
  async toggle(): Promise<void> {
    if (this.setting === 'on') {
      localStorage.setItem(KEY, 'off');
    } else if (typeof Notification !== 'undefined') {
      const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
      localStorage.setItem(KEY, permission === 'granted' ? 'on' : 'off');
    }
    this.host.requestUpdate();
  }

  hostUpdate(): void {
    const next = this.opts.connection();
    if (next === this.subscribed) return;
    this.subscribed?.removeEventListener('activity', this.onActivity);
    next?.addEventListener('activity', this.onActivity);
    this.subscribed = next;
  }

  hostDisconnected(): void {
    this.subscribed?.removeEventListener('activity', this.onActivity);
    this.subscribed = undefined;
  }

  private notify(a: ActivityFrame): void {
    if (this.setting !== 'on' || document.visibilityState === 'visible') return;
    const where = isDirectRoomName(a.room) ? a.by.name : `${a.by.name} in #${a.room}`;
    const n = new Notification(a.mention ? `${where} mentioned you` : where, { body: a.preview, tag: `${a.room}:${a.seq}` });
    n.onclick = () => {
      window.focus();
      this.opts.open(roomPath(a.room));
      n.close();
    };
  }
}
