/**
 * The app's two places, `/` and `/r/<room>`, on the History API. `parseRoute` is pure;
 * `navigate` pushes an entry and then tells listeners the same way the back button does
 * (a popstate event), so the shell has one code path for both.
 */
import { ROOM_NAME } from '../../server/protocol/names.js';

/** `bad-room`: /r/<something> that cannot be a room name; the screen says why instead of going home. */
export type Route = { kind: 'home' } | { kind: 'room'; room: string } | { kind: 'bad-room'; name: string; reason: string };

/** Why a name cannot be a room's, as a sentence for people. */
export function roomNameProblem(name: string): string {
  if (name.length === 0) return 'The address has no room name.';
  if (name.length > 64) return `Room names are at most 64 characters; this one has ${name.length}.`;
  if (!/^[a-z0-9]/.test(name)) return 'Room names start with a letter or a digit.';
  return 'Room names use only letters a–z, digits, - and _.';
}

export interface ParsedRoute {
  route: Route;
  /** Set when the address is not the canonical one for the route (e.g. upper case): replace it. */
  canonical?: string;
}

export function roomPath(room: string): string {
  return `/r/${encodeURIComponent(room)}`;
}

export function parseRoute(pathname: string): ParsedRoute {
  const match = /^\/r\/(.+?)\/?$/.exec(pathname);
  if (match) {
    let name: string;
    try {
      name = decodeURIComponent(match[1]!).toLowerCase();
    } catch {
      return { route: { kind: 'bad-room', name: match[1]!, reason: 'The address is not valid text.' } };
    }
    if (!ROOM_NAME.test(name)) return { route: { kind: 'bad-room', name, reason: roomNameProblem(name) } };
    const path = roomPath(name);
    return { route: { kind: 'room', room: name }, canonical: path === pathname ? undefined : path };
  }
  return { route: { kind: 'home' }, canonical: pathname === '/' ? undefined : '/' };
}

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === location.pathname && !opts.replace) return;
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate', { state: null }));
}

/**
 * The in-app path a click should go to instead of loading a page, or undefined when the
 * browser should handle it (other origin, new tab, modifier keys, download).
 */
export function internalLinkTarget(ev: MouseEvent): string | undefined {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return undefined;
  const anchor = ev.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
  if (!anchor || !anchor.href || anchor.hasAttribute('download') || (anchor.target && anchor.target !== '_self')) return undefined;
  const url = new URL(anchor.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return undefined;
  return url.pathname;
}
