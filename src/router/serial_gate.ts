/**
 * Serialize mode: only one client's requests are upstream at a time, so a
 * server that calls back (sampling, elicitation) is always calling back for
 * that client. Others wait their turn, first come first served. Pure.
 *
 * @module
 */

/** Lets one client through at a time; queues the rest in arrival order. */
export class SerialGate<C, T> {
  #active: C | undefined;
  #queue: { client: C; item: T }[] = [];

  /** The client whose requests are upstream now. */
  get active(): C | undefined {
    return this.#active;
  }

  /** Items waiting. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** May `client` send `item` now? If not, it is queued. */
  offer(client: C, item: T): boolean {
    if (this.#active === undefined || this.#active === client) {
      this.#active = client;
      return true;
    }
    this.#queue.push({ client, item });
    return false;
  }

  /**
   * `client` has nothing in flight any more. If it was the active one, the
   * next waiting client becomes active; returns it with its queued items.
   */
  release(client: C): { client: C; items: T[] } | undefined {
    if (this.#active !== client) return undefined;
    const next = this.#queue[0];
    if (!next) {
      this.#active = undefined;
      return undefined;
    }
    this.#active = next.client;
    const items = this.#queue.filter((q) => q.client === next.client).map((q) => q.item);
    this.#queue = this.#queue.filter((q) => q.client !== next.client);
    return { client: next.client, items };
  }

  /** Turn the gate off: every queued item, in arrival order; nobody is active any more. */
  drain(): T[] {
    const items = this.#queue.map((q) => q.item);
    this.#queue = [];
    this.#active = undefined;
    return items;
  }

  /** Drop a departed client's queued items (returned), and its turn. */
  drop(client: C): { items: T[]; next: { client: C; items: T[] } | undefined } {
    const items = this.#queue.filter((q) => q.client === client).map((q) => q.item);
    this.#queue = this.#queue.filter((q) => q.client !== client);
    return { items, next: this.release(client) };
  }
}
