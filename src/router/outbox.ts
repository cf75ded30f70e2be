/**
 * Traffic toward the server that must wait: held while no initialized
 * process is there, released in arrival order once one is, minus whatever
 * stopped mattering meanwhile (a request cancelled or timed out, a client
 * gone, a request of the mux's own that already failed). Also the readers
 * paused while the queue toward the server is full. Pure.
 *
 * @module
 */

/** One message waiting for the server. */
export interface HeldMessage<S, E> {
  /** The serialized message. */
  readonly line: string;
  /** The client request it is (its entry in the client→server table). */
  readonly entry?: E;
  /** The client that sent it (requests and notifications). */
  readonly session?: S;
  /** The id of a request of the mux's own. */
  readonly internalId?: string;
}

/** What the outbox asks about held messages when it releases them. */
export interface Liveness<E> {
  /** True while the request is still wanted (in the client→server table). */
  entry(entry: E): boolean;
  /** True while the mux's own request is still open. */
  own(id: string): boolean;
}

/** Held messages, in arrival order, and the readers waiting for room. */
export class Outbox<S extends { readonly closed: boolean }, E extends { sent: boolean }> {
  readonly #live: Liveness<E>;
  #held: HeldMessage<S, E>[] = [];
  #roomWaiters: (() => void)[] = [];

  constructor(live: Liveness<E>) {
    this.#live = live;
  }

  /** Messages held. */
  get size(): number {
    return this.#held.length;
  }

  /** Hold a message until {@link flush}. */
  hold(message: HeldMessage<S, E>): void {
    this.#held.push(message);
  }

  /**
   * Send every held message that still matters, in order, and forget the
   * rest. A request that is sent is marked `sent`.
   */
  flush(send: (message: HeldMessage<S, E>) => void): void {
    const held = this.#held;
    this.#held = [];
    for (const message of held) {
      if (!this.#matters(message)) continue;
      if (message.entry) message.entry.sent = true;
      send(message);
    }
  }

  /** True when some held message still matters ({@link flush} would send it). */
  get wanted(): boolean {
    return this.#held.some((message) => this.#matters(message));
  }

  /** True when some held message matches `predicate`. */
  holds(predicate: (message: HeldMessage<S, E>) => boolean): boolean {
    return this.#held.some(predicate);
  }

  /** Remove and return every held message (to fail them). */
  clear(): HeldMessage<S, E>[] {
    const held = this.#held;
    this.#held = [];
    return held;
  }

  /** Forget what a departed client had held: it no longer takes room in the queue. */
  dropClient(session: S): void {
    this.#held = this.#held.filter((message) => message.session !== session);
  }

  /** Resolves at the next {@link wakeReaders}. */
  waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** False for what stopped mattering while held (see {@link flush}). */
  #matters(message: HeldMessage<S, E>): boolean {
    // Cancelled, timed out or abandoned while held: nobody wants the answer.
    if (message.entry) return this.#live.entry(message.entry);
    if (message.session?.closed) return false;
    return message.internalId === undefined || this.#live.own(message.internalId);
  }

  /** Wake every reader waiting for room. */
  wakeReaders(): void {
    if (this.#roomWaiters.length === 0) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
