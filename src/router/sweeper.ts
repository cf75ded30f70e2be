/**
 * One timer for every deadline in the router (request timeouts, the mux's
 * own requests, clients waiting for the server, the server's `initialize`):
 * armed for the earliest deadline only, and never running while nothing can
 * expire.
 *
 * @module
 */

import type { Clock } from "./clock.ts";

/** Runs `sweep(now)` at the earliest armed deadline; `sweep` returns the next one. */
export class Sweeper {
  readonly #clock: Clock;
  readonly #sweep: (now: number) => number;
  #timer: unknown;
  #at = Infinity;
  #closed = false;

  constructor(clock: Clock, sweep: (now: number) => number) {
    this.#clock = clock;
    this.#sweep = sweep;
  }

  /** Make sure a sweep happens no later than `deadline` (ms since epoch). */
  arm(deadline: number): void {
    if (this.#closed || deadline === Infinity || deadline >= this.#at) return;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#at = deadline;
    this.#timer = this.#clock.setTimer(
      () => this.#fire(),
      Math.max(0, deadline - this.#clock.now()),
    );
  }

  /** Cancel the timer for good. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#at = Infinity;
    this.arm(this.#sweep(this.#clock.now()));
  }
}
