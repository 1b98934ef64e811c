/**
 * Edits and deletes waiting for their answer. Unlike sends they are not queued across
 * reconnects: the reader is still looking at the message they changed, so a failure is
 * told to them at once, as a sentence, and they may try again.
 */

/** Why an edit or delete did not happen, as a sentence for people. */
export class ChangeRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const SENTENCES: Record<string, string> = {
  forbidden: 'Only the author can change a message.',
  not_found: 'That message no longer exists.',
  not_joined: 'The room is not open yet; try again in a moment.',
  rate_limited: 'Too many changes at once; wait a moment and try again.',
  invalid: 'A message needs some text, at most 4,000 characters.',
  unavailable: 'The server could not save the change; try again.',
};

/** How long a change waits for its answer. */
const TIMEOUT_MS = 10_000;

interface Waiting {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class ChangeRequests {
  private readonly waiting = new Map<string, Waiting>();
  private next = 0;

  /** Sends a change with a fresh ref (`send` says whether it went out) and waits for its answer. */
  request(send: (ref: string) => boolean): Promise<void> {
    const ref = `change-${++this.next}`;
    return new Promise((resolve, reject) => {
      if (!send(ref)) return reject(new ChangeRefused('offline', "You're offline; try again once connected."));
      const timer = setTimeout(() => {
        this.waiting.delete(ref);
        reject(new ChangeRefused('timeout', 'No answer from the server; try again.'));
      }, TIMEOUT_MS);
      this.waiting.set(ref, { resolve, reject, timer });
    });
  }

  /** The answer to a frame with this ref: true when it was a change's (an `ack`, or an `error` with its code). */
  settle(ref: unknown, error?: { code: string }): boolean {
    const w = typeof ref === 'string' ? this.waiting.get(ref) : undefined;
    if (!w) return false;
    this.waiting.delete(ref as string);
    clearTimeout(w.timer);
    if (error) w.reject(new ChangeRefused(error.code, SENTENCES[error.code] ?? 'The change could not be made.'));
    else w.resolve();
    return true;
  }

  /** The socket closed: no answer will come to the changes sent on it. */
  dropAll(): void {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new ChangeRefused('offline', 'The connection dropped before the server answered; try again.'));
    }
    this.waiting.clear();
  }
}
