/**
 * Time as the router sees it: the current time and one-shot timers, passed
 * in so that tests can drive every deadline by hand (a fake clock) instead
 * of sleeping.
 *
 * @module
 */

/** A clock with one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Call `callback` once, `ms` from now; returns a handle for {@link Clock.clearTimer}. */
  setTimer(callback: () => void, ms: number): unknown;
  /** Cancel a timer that has not fired yet (a fired or unknown handle is ignored). */
  clearTimer(handle: unknown): void;
}

/** The real clock: `Date.now` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as number),
};
