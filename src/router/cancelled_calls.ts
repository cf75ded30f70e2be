/**
 * Client requests the server may still be working on although nobody waits
 * for their answers any more: cancelled by their client, timed out, or left
 * behind by a client that disconnected. The server was told
 * (`notifications/cancelled`), but a cancel is advisory: a server that goes
 * on may still ask a question (sampling, elicitation) for such a call, and
 * on stdio nothing in that question says which call asks. Each is kept here
 * until the server answers it (the late answer itself is dropped) or its
 * grace ({@link CANCEL_GRACE_MS} unless set: `--cancel-grace-ms`) passes;
 * meanwhile the callback policy (`policy.ts`) shows no client a question
 * that may be one of theirs, and serialize mode (`serial_gate.ts`) keeps the
 * next client's turn waiting. A grace of 0 keeps none: that privacy and
 * that wait are given up. Pure: time comes from the caller, expiry from the router's sweeper.
 *
 * @module
 */

/**
 * How long a cancelled request counts as still at the server when the
 * server does not answer it, unless set (`--cancel-grace-ms`) (spec-following servers never do: a cancelled
 * request gets no response). Long enough for a server that ignores the cancel
 * to finish a quick step and ask; short enough that, under `--serialize`,
 * the next client's turn waits no longer than this after a cancel.
 */
export const CANCEL_GRACE_MS = 5_000;

/**
 * The longest grace a user may set (`--cancel-grace-ms`, `cancel_grace_ms`):
 * under `--serialize` every cancel, timeout or departure may hold the next
 * client's turn this long.
 */
export const MAX_CANCEL_GRACE_MS = 60_000;

/** Cancelled requests remembered at once; past it the oldest (nearest its grace) is forgotten. */
export const MAX_CANCELLED_CALLS = 4_096;

/** Cancelled requests the server may still be working on, by upstream id. */
export class CancelledCalls<C> {
  /**
   * When each was left at the server, in insertion order — which is expiry
   * order, since one grace (whatever it is now) counts from each.
   */
  readonly #calls = new Map<number, { owner: C | undefined; since: number }>();
  #graceMs: number;
  readonly #limit: number;
  readonly #onEmpty: (() => void) | undefined;

  /**
   * @param options.onEmpty called when the last one goes (answered, expired or cleared)
   * @param options.graceMs override {@link CANCEL_GRACE_MS}; 0: none is kept
   * @param options.limit override {@link MAX_CANCELLED_CALLS}
   */
  constructor(options: { onEmpty?: () => void; graceMs?: number; limit?: number } = {}) {
    this.#onEmpty = options.onEmpty;
    this.#graceMs = options.graceMs ?? CANCEL_GRACE_MS;
    this.#limit = options.limit ?? MAX_CANCELLED_CALLS;
  }

  /** Number of cancelled requests the server may still be working on. */
  get size(): number {
    return this.#calls.size;
  }

  /** How long each counts as at the server after it was left there (0: not at all). */
  get graceMs(): number {
    return this.#graceMs;
  }

  /**
   * A new grace, for those kept now too (counted from when each was left):
   * those it ends are forgotten at once. Returns the next deadline, as
   * {@link expire} does.
   */
  setGrace(ms: number, now: number): number {
    this.#graceMs = ms;
    return this.expire(now);
  }

  /**
   * The server has `upstreamId` and nobody waits for its answer now;
   * `owner` is the client whose call it was. Returns when it is forgotten
   * (`Infinity` with no grace: it is not kept at all).
   */
  add(upstreamId: number, owner: C | undefined, now: number): number {
    if (this.#graceMs <= 0) return Infinity;
    this.#calls.set(upstreamId, { owner, since: now });
    if (this.#calls.size > this.#limit) {
      const oldest = this.#calls.keys().next().value;
      if (oldest !== undefined) this.#calls.delete(oldest);
    }
    return now + this.#graceMs;
  }

  /** The server answered `upstreamId`: true when it was one of these (its answer goes nowhere). */
  settle(upstreamId: number): boolean {
    if (!this.#calls.delete(upstreamId)) return false;
    if (this.#calls.size === 0) this.#onEmpty?.();
    return true;
  }

  /** Forget those whose grace has passed; returns the next deadline (`Infinity`: none). */
  expire(now: number): number {
    if (this.#calls.size === 0) return Infinity;
    for (const [id, call] of this.#calls) {
      const until = call.since + this.#graceMs;
      if (until > now) return until;
      this.#calls.delete(id);
    }
    this.#onEmpty?.();
    return Infinity;
  }

  /** The owner left: its cancelled requests belong to nobody now. */
  release(owner: C): void {
    for (const call of this.#calls.values()) {
      if (call.owner === owner) call.owner = undefined;
    }
  }

  /** The server process is gone (or the router stops): it works on none of them. */
  clear(): void {
    if (this.#calls.size === 0) return;
    this.#calls.clear();
    this.#onEmpty?.();
  }

  /** Whose calls they were, one entry each (`undefined`: a client that left). */
  owners(): (C | undefined)[] {
    return [...this.#calls.values()].map((call) => call.owner);
  }
}
