/**
 * "Try again later" as the reader sees it. The server refuses with a reason and a wait
 * (HTTP 429/503 with Retry-After, or a WebSocket `error` frame with `retry_after` in ms);
 * the UI shows the reason once and a live countdown beside it. Pure and browser-safe.
 */
import { HttpError } from '../api/http.js';

/** An error as the UI shows it: the server's words and, when it said so, when to try again. */
export interface ShownError {
  message: string;
  /** Epoch ms from which trying again may work. */
  retryAt?: number;
}

/**
 * The server's messages end with their own fixed "retry in 300 s" (or "retry shortly"),
 * which goes stale as soon as it is on screen; the countdown beside it says the same thing
 * and stays true, so the fixed ending is left off. Anything else is shown as sent.
 */
const RETRY_ENDING = /[;,]?\s*(?:retry|try again) (?:in \d+ ?s(?:econds?)?|in a moment|shortly)\.?$/i;

export function withoutRetryHint(message: string): string {
  const rest = message.replace(RETRY_ENDING, '');
  return rest || message;
}

/** What to show for a failed request; `fallback` when it is not an HttpError (a bug). */
export function shownError(e: unknown, fallback: string, now: number): ShownError {
  if (!(e instanceof HttpError)) return { message: fallback };
  if (e.retryAfterMs === undefined) return { message: e.message };
  return { message: withoutRetryHint(e.message), retryAt: now + e.retryAfterMs };
}

/**
 * A wait, rounded up, as briefly as a person reads it: "12 s", "4 min 5 s" under ten
 * minutes (seconds still matter), then whole minutes ("25 min"), then "1 h 5 min".
 */
export function waitText(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/**
 * The countdown line. `automatic`: Parley itself tries again then (a room join), so the
 * reader is told it will, not asked to.
 */
export function retryText(retryAt: number, now: number, automatic: boolean): string {
  const left = retryAt - now;
  if (automatic) return left > 0 ? `Trying again in ${waitText(left)}.` : 'Trying again…';
  return left > 0 ? `Try again in ${waitText(left)}.` : 'You can try again now.';
}
