/**
 * One timer for every deadline in the router (request timeouts, the mux's
 * own requests, clients waiting for the server): armed for the earliest
 * deadline only, and never running while nothing can expire.
 *
 * @module
 */

/** Runs `sweep(now)` at the earliest armed deadline; `sweep` returns the next one. */
export class Sweeper {
  readonly #now: () => number;
  readonly #sweep: (now: number) => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #at = Infinity;
  #closed = false;

  constructor(now: () => number, sweep: (now: number) => number) {
    this.#now = now;
    this.#sweep = sweep;
  }

  /** Make sure a sweep happens no later than `deadline` (ms since epoch). */
  arm(deadline: number): void {
    if (this.#closed || deadline === Infinity || deadline >= this.#at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#at = deadline;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, deadline - this.#now()));
  }

  /** Cancel the timer for good. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#at = Infinity;
    this.arm(this.#sweep(this.#now()));
  }
}
