/**
 * A counting semaphore with a bounded wait: `--max-active-clients` slots,
 * and a client over the limit waits at most so long for one.
 *
 * @module
 */

import { delay } from "../async/wait.ts";

/** Counting semaphore whose waiters give up after a timeout or an abort. */
export class Semaphore {
  #permits: number;
  #inUse = 0;
  #waiters: ((granted: boolean) => void)[] = [];

  constructor(permits: number) {
    this.#permits = permits;
  }

  /** Permits held. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Total permits. */
  get permits(): number {
    return this.#permits;
  }

  /**
   * Change the number of permits, live. More: waiters get the new ones at
   * once. Fewer: holders keep theirs; new ones wait until enough are returned.
   */
  setPermits(permits: number): void {
    this.#permits = permits;
    while (this.#inUse < this.#permits && this.#waiters.length > 0) {
      this.#inUse++;
      this.#waiters.shift()!(true);
    }
  }

  /** Take a permit if one is free. */
  tryAcquire(): boolean {
    if (this.#inUse >= this.#permits) return false;
    this.#inUse++;
    return true;
  }

  /** Wait up to `timeoutMs` (or until `signal` aborts) for a permit. */
  async acquire(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.tryAcquire()) return true;
    // Already aborted: its "abort" event has fired and will not fire again.
    if (signal?.aborted) return false;
    const timer = new AbortController();
    const onAbort = () => timer.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    let grant!: (granted: boolean) => void;
    const granted = new Promise<boolean>((resolve) => grant = resolve);
    this.#waiters.push(grant);
    let result = false;
    try {
      result = await Promise.race([granted, delay(timeoutMs, timer.signal).then(() => false)]);
      return result;
    } finally {
      timer.abort();
      signal?.removeEventListener("abort", onAbort);
      const index = this.#waiters.indexOf(grant);
      if (index !== -1) this.#waiters.splice(index, 1);
      // Handed a permit in the same turn the wait gave up: pass it on.
      else if (!result) this.release();
    }
  }

  /** Return a permit; the longest waiter gets it (unless the permits were reduced). */
  release(): void {
    const next = this.#inUse <= this.#permits ? this.#waiters.shift() : undefined;
    if (next) next(true); // the permit passes straight to the waiter
    else this.#inUse = Math.max(0, this.#inUse - 1);
  }
}
