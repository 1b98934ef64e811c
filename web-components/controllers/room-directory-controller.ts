/**
 * The room list a signed-in screen shows: pages loaded over HTTP (see api/room-pages.ts)
 * with the live lists laid over them (online counts, rooms made since: see
 * connection/live-lists.ts). The reader starts with the first page and asks for one more at
 * a time (`more()`); each load (`refresh()`, when the live lists say so) reloads as many
 * pages as they have opened, stopping at the last.
 *
 * The rooms the reader is a member of are loaded whole beside the pages (GET
 * /api/rooms?joined=1), so the sidebar's own list never depends on how many pages are open.
 *
 * The room on screen may be on a page not loaded. Its summary (kind, topic, the other
 * person of a direct room) then comes from GET /api/rooms/:name, looked up when the reader
 * opens it and again on each load, so `summary(name)` finds it either way.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { HttpError } from '../api/http.js';
import { listMyRooms, listRoomsPage, roomInfo, type RoomSummary } from '../api/parley-api.js';
import { findRoom, loadRoomPages, type RoomPages } from '../api/room-pages.js';
import { liveRooms, type LiveLists } from '../connection/live-lists.js';
import { LoadController } from './load-controller.js';
import { shownError } from '../format/retry.js';

export interface RoomDirectoryOptions {
  /** The room on screen, if any. */
  openRoom: () => string | undefined;
  /** The live lists to lay over the pages loaded. */
  live: () => LiveLists;
  /** Told about every failed load of the list (e.g. to notice a 401). */
  onError?: (error: HttpError) => void;
}

export class RoomDirectoryController implements ReactiveController {
  /** True while pages asked for with `more()` load. */
  loadingMore = false;
  /** Why the last `more()` failed, until a load succeeds. */
  moreError: string | undefined;
  /** How many pages the reader has opened. */
  private wanted = 1;
  private readonly pages: LoadController<RoomPages>;
  /** The open room when no loaded page has it. */
  private lookedUp: RoomSummary | undefined;
  private lookingUp: string | undefined;
  private seenOpen: string | undefined;
  /** The last pages shown, kept while neither the pages nor the live lists change. */
  private shown: { pages: RoomPages; live: LiveLists; result: RoomPages } | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly opts: RoomDirectoryOptions,
  ) {
    host.addController(this);
    this.pages = new LoadController(host, { load: () => this.load(), onError: opts.onError });
  }

  /** The rooms on the pages loaded and those announced since, with live counts, by name; undefined before the first load. */
  get rooms(): RoomSummary[] | undefined {
    return this.current()?.rooms;
  }

  /** More pages exist after those loaded. */
  get hasMore(): boolean {
    return (this.pages.value?.next ?? null) !== null;
  }

  /** Why the list could not be loaded, shown only while there is none to show. */
  get loadError(): string | undefined {
    return this.pages.error && !this.pages.value ? shownError(this.pages.error, 'The room list could not be loaded.', Date.now()).message : undefined;
  }

  summary(name: string): RoomSummary | undefined {
    return findRoom(name, this.rooms, this.lookedUp);
  }

  /** Loads the pages opened again. */
  refresh(): Promise<void> {
    return this.pages.refresh();
  }

  /**
   * A room was just joined (perhaps created). Live lists announce a new room before its
   * `joined`; without them (no snapshot yet on this socket), reload if it is not known.
   */
  roomReady(name: string): void {
    if (!this.summary(name) && !this.opts.live().synced) void this.refresh();
  }

  /** Opens one more page; the loads from now on reload that many. */
  async more(): Promise<void> {
    if (this.loadingMore || !this.hasMore) return;
    this.wanted = (this.pages.value?.pages ?? 0) + 1;
    this.loadingMore = true;
    this.moreError = undefined;
    this.host.requestUpdate();
    await this.pages.refresh();
    this.loadingMore = false;
    if (this.pages.error) this.moreError = `More rooms could not be loaded. ${shownError(this.pages.error, 'Try again in a moment.', Date.now()).message}`;
    this.host.requestUpdate();
  }

  hostUpdate(): void {
    // A room opened that no loaded page has: look it up now rather than at the next load.
    const open = this.opts.openRoom();
    if (open === this.seenOpen) return;
    this.seenOpen = open;
    if (open && this.rooms && !this.summary(open)) void this.lookUp(open);
  }

  private current(): RoomPages | undefined {
    const pages = this.pages.value;
    if (!pages) return undefined;
    const live = this.opts.live();
    if (this.shown?.pages !== pages || this.shown.live !== live) this.shown = { pages, live, result: liveRooms(pages, live) };
    return this.shown.result;
  }

  private async load(): Promise<RoomPages> {
    // The reader's own rooms come whole, wherever their names fall among the pages.
    const [paged, mine] = await Promise.all([loadRoomPages(listRoomsPage, this.wanted), listMyRooms()]);
    const held = new Set(paged.rooms.map((r) => r.name));
    const extra = mine.filter((r) => !held.has(r.name));
    const pages = extra.length ? { ...paged, rooms: [...paged.rooms, ...extra].sort((a, b) => (a.name < b.name ? -1 : 1)) } : paged;
    this.moreError = undefined;
    const open = this.opts.openRoom();
    if (open && !findRoom(open, pages.rooms)) await this.lookUp(open);
    return pages;
  }

  private async lookUp(name: string): Promise<void> {
    if (this.lookingUp === name) return;
    this.lookingUp = name;
    let found: RoomSummary | undefined;
    try {
      found = (await roomInfo(name)).room;
    } catch (e) {
      // 404: not created yet (joining creates it); 403: not the reader's; the room view says
      // which. Anything else (the server away) keeps what an earlier look-up found.
      const gone = e instanceof HttpError && (e.status === 404 || e.status === 403);
      if (!gone) found = this.lookedUp?.name === name ? this.lookedUp : undefined;
    } finally {
      if (this.lookingUp === name) this.lookingUp = undefined;
    }
    if (this.opts.openRoom() !== name) return;
    this.lookedUp = found;
    this.host.requestUpdate();
  }
}
