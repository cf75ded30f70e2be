/**
 * Who owns what the server hands out: task ids (from `CreateTaskResult`) and
 * URL-elicitation ids. A client may only see and act on its own. Bounded:
 * the oldest entries are forgotten past the limit. Pure bookkeeping.
 *
 * @module
 */

/** Entries kept per table before the oldest are forgotten. */
export const MAX_OWNED_IDS = 10_000;

/** A bounded map from an id the server issued to the client that owns it. */
export class OwnerTable<C> {
  readonly #owners = new Map<string, C>();
  readonly #limit: number;

  constructor(limit: number = MAX_OWNED_IDS) {
    this.#limit = limit;
  }

  /** Record that `client` owns `id`. */
  set(id: string, client: C): void {
    this.#owners.delete(id);
    this.#owners.set(id, client);
    if (this.#owners.size > this.#limit) {
      const oldest = this.#owners.keys().next().value;
      if (oldest !== undefined) this.#owners.delete(oldest);
    }
  }

  /** The owner of `id`, if known. */
  owner(id: string): C | undefined {
    return this.#owners.get(id);
  }

  /** Forget one id. */
  delete(id: string): void {
    this.#owners.delete(id);
  }

  /** Forget everything a client owned (it left). */
  release(client: C): void {
    for (const [id, owner] of this.#owners) {
      if (owner === client) this.#owners.delete(id);
    }
  }

  /** Forget everything (the server that issued the ids is gone). */
  clear(): void {
    this.#owners.clear();
  }

  /** Number of ids tracked. */
  get size(): number {
    return this.#owners.size;
  }
}
