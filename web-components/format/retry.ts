/**
 * Failures as the reader sees them: one sentence written for people, chosen by the error's
 * code, and when the server said to wait (HTTP 429/503 with Retry-After, or a WebSocket
 * `error` frame with `retry_after` in ms) a live countdown beside it. The server's own
 * messages are for developers (lower case, field paths, limits in ms) and are never shown
 * as they are. Pure and browser-safe.
 */
import { HttpError } from '../api/http.js';

/** An error as the UI shows it: a sentence and, when the server said so, when to try again. */
export interface ShownError {
  message: string;
  /** Epoch ms from which trying again may work. */
  retryAt?: number;
}

/** Code → sentence, for the codes one place can meet and means something particular by. */
export type Sentences = Partial<Record<string, string>>;

/** The codes any request can meet, the same wherever it happens. */
const COMMON: Sentences = {
  network: 'Parley cannot be reached. Check your connection and try again.',
  unauthorized: 'You are signed out. Sign in again to go on.',
  unavailable: 'Parley is busy just now.',
  rate_limited: 'That was tried too often just now.',
  internal: 'Something went wrong on the server.',
};

/**
 * `rate_limited` is one code for several limits, and which one was hit is worth knowing
 * (it says what to do less of), but only the server's message names it. Messages that name
 * no limit known here get the plain sentence.
 */
const LIMITS: Array<[RegExp, string]> = [
  [/^too many new rooms\b/, 'You have started too many new rooms in a short time.'],
  [/^too many failed sign-ins\b/, 'There were too many failed sign-ins, so this account or address is paused.'],
  [/^too many sign-ups\b/, 'Too many accounts were made from this address in a short time.'],
  [/^too many joins\b/, 'Rooms were opened too quickly.'],
  [/^at most \d+ messages a second\b/, 'Messages were sent too quickly.'],
];

/** Which limit a `rate_limited` message names, as a sentence; undefined when none known. */
export function limitSentence(serverMessage: string): string | undefined {
  return LIMITS.find(([pattern]) => pattern.test(serverMessage))?.[1];
}

/**
 * The sentence for an error `code`: the limit hit for `rate_limited`, else the caller's own
 * sentence for the code, else the common one, else `fallback` (codes only a bug produces,
 * such as bad_json or bad_frame, where no sentence would help the reader more).
 */
export function errorSentence(code: string, serverMessage: string, fallback: string, sentences: Sentences = {}): string {
  if (code === 'rate_limited') return limitSentence(serverMessage) ?? sentences[code] ?? COMMON[code]!;
  return sentences[code] ?? COMMON[code] ?? fallback;
}

/** What to show for a failed request; `fallback` when it is not an HttpError (a bug). */
export function shownError(e: unknown, fallback: string, now: number, sentences: Sentences = {}): ShownError {
  if (!(e instanceof HttpError)) return { message: fallback };
  const message = errorSentence(e.code, e.message, fallback, sentences);
  return e.retryAfterMs === undefined ? { message } : { message, retryAt: now + e.retryAfterMs };
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
