/**
 * When to restart a server that exited, and when to give up. Pure: the clock
 * and the random source are passed in.
 *
 * - The delay doubles with each consecutive crash, from `initialMs` up to
 *   `maxMs`, with ±20 % jitter so many muxes do not restart in lockstep.
 * - A process that stayed up for `healthyMs` resets the doubling.
 * - `maxRestarts` counts restarts within a sliding window of `windowMs`, so a
 *   crash a week never adds up to "failed"; 0 means unlimited.
 *
 * @module
 */

/** Settings of a {@link RestartPolicy}. */
export interface RestartPolicyOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Largest delay, ms. */
  maxMs: number;
  /** Restarts allowed within `windowMs`; 0 = unlimited. */
  maxRestarts: number;
  /** Length of the sliding window, ms. */
  windowMs: number;
  /** Uptime after which a process counts as healthy (resets the doubling), ms. */
  healthyMs: number;
  /** Random source in [0, 1); defaults to `Math.random`. */
  random?: () => number;
}

/** What to do after an exit. */
export type RestartDecision =
  | { action: "restart"; delayMs: number; attempt: number }
  | { action: "fail"; reason: string };

/** Jitter applied to every delay: ±20 %. */
export const RESTART_JITTER = 0.2;

/** Tracks exits and decides on the next restart. */
export class RestartPolicy {
  readonly #o: RestartPolicyOptions;
  readonly #random: () => number;
  #consecutive = 0;
  #recent: number[] = [];
  #total = 0;

  constructor(options: RestartPolicyOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  /** Restarts since the mux started. */
  get total(): number {
    return this.#total;
  }

  /** Restarts within the current window (as of the last exit). */
  get recent(): number {
    return this.#recent.length;
  }

  /** Record an exit at `now` after `uptimeMs` of running, and decide. */
  onExit(now: number, uptimeMs: number): RestartDecision {
    if (uptimeMs >= this.#o.healthyMs) this.#consecutive = 0;
    this.#recent = this.#recent.filter((t) => t > now - this.#o.windowMs);
    if (this.#o.maxRestarts > 0 && this.#recent.length >= this.#o.maxRestarts) {
      return {
        action: "fail",
        reason: `it exited ${this.#recent.length + 1} times within ${
          formatSpan(this.#o.windowMs)
        } (--max-restarts ${this.#o.maxRestarts})`,
      };
    }
    this.#recent.push(now);
    this.#total++;
    const base = Math.min(this.#o.maxMs, this.#o.initialMs * 2 ** this.#consecutive);
    this.#consecutive++;
    const jitter = 1 - RESTART_JITTER + 2 * RESTART_JITTER * this.#random();
    const delayMs = Math.round(Math.min(this.#o.maxMs, base * jitter));
    return { action: "restart", delayMs, attempt: this.#recent.length };
  }

  /** Forget past exits (after a restart requested by a human). */
  reset(): void {
    this.#consecutive = 0;
    this.#recent = [];
  }
}

/** `600000` → "10 min", `45000` → "45 s". */
function formatSpan(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
