/**
 * A clock that moves only when a test says so: `advance(ms)` fires every
 * timer that falls due, in order, at its own time.
 */

import type { Clock } from "../../src/router/clock.ts";

export class FakeClock implements Clock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, ms: number): number {
    const handle = this.#next++;
    this.#timers.set(handle, { at: this.#now + Math.max(0, ms), callback });
    return handle;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers armed and not fired. */
  get armed(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing each timer due on the way at its own time. */
  advance(ms: number): void {
    const end = this.#now + ms;
    while (true) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const timer of this.#timers) {
        if (timer[1].at <= end && (!due || timer[1].at < due[1].at)) due = timer;
      }
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].callback();
    }
    this.#now = end;
  }
}
