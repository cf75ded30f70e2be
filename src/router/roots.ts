/**
 * Roots: the upstream sees one workspace, the union of the roots of every
 * connected client that has roots. The mux answers the server's
 * `roots/list` itself from this union (no client round trip, no hang) and
 * tells the server `notifications/roots/list_changed` when the union changes.
 * Pure bookkeeping.
 *
 * @module
 */

/** One root as MCP describes it. */
export interface Root {
  uri: string;
  name?: string;
  [key: string]: unknown;
}

/** The roots each client reported, and their union. */
export class RootsUnion<C> {
  readonly #byClient = new Map<C, Root[]>();

  /** Record a client's roots; returns true if the union changed. */
  set(client: C, roots: readonly Root[]): boolean {
    const before = this.#key();
    this.#byClient.set(client, roots.filter((r) => typeof r?.uri === "string"));
    return this.#key() !== before;
  }

  /** Forget a client; returns true if the union changed. */
  remove(client: C): boolean {
    const before = this.#key();
    if (!this.#byClient.delete(client)) return false;
    return this.#key() !== before;
  }

  /** Each client's roots (clients that reported some), in the order they were first set. */
  byClient(): Map<C, Root[]> {
    return new Map([...this.#byClient].filter(([, roots]) => roots.length > 0));
  }

  /** The union, first occurrence of each URI wins, in client order. */
  union(): Root[] {
    const seen = new Set<string>();
    const out: Root[] = [];
    for (const roots of this.#byClient.values()) {
      for (const root of roots) {
        if (seen.has(root.uri)) continue;
        seen.add(root.uri);
        out.push(root);
      }
    }
    return out;
  }

  #key(): string {
    return JSON.stringify(this.union());
  }
}
