/**
 * Time as a dependency: what reads the time or runs something every so often takes a Clock,
 * so its tests drive time by hand instead of sleeping on the real one.
 */
export interface Clock {
  now(): number;
  /** Runs `fn` every `ms` until the returned function is called; never keeps the process alive. */
  every(ms: number, fn: () => unknown): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
