/**
 * Resource subscriptions, reference-counted per URI across clients: the
 * upstream hears `resources/subscribe` on 0→1 and `resources/unsubscribe` on
 * 1→0; everything else is answered by the mux. Pure bookkeeping.
 *
 * @module
 */

/** What to do with a client's subscribe. */
export type SubscribeStep =
  | { action: "answer" } // already counted: answer `{}` locally
  | { action: "forward" } // first subscriber: ask the upstream, then `confirm` or `rollback`
  | { action: "wait" }; // another subscribe for this URI is in flight: wait for its outcome

/** What to do with a client's unsubscribe. */
export type UnsubscribeStep =
  | { action: "answer" } // others still subscribed, or the client never was: answer locally
  | { action: "forward" }; // last subscriber: tell the upstream

/** Subscribers per URI, with subscribes in flight. */
export class SubscriptionTable<C> {
  readonly #subscribers = new Map<string, Set<C>>();
  /** URIs with an upstream subscribe in flight, and who waits for it. */
  readonly #inFlight = new Map<string, C[]>();

  /** A client asks to subscribe. */
  subscribe(client: C, uri: string): SubscribeStep {
    const waiting = this.#inFlight.get(uri);
    if (waiting) {
      waiting.push(client);
      return { action: "wait" };
    }
    const set = this.#subscribers.get(uri);
    if (set) {
      set.add(client);
      return { action: "answer" };
    }
    this.#inFlight.set(uri, [client]);
    return { action: "forward" };
  }

  /** The upstream accepted: everyone who waited is subscribed. Returns them. */
  confirm(uri: string): C[] {
    const clients = this.#inFlight.get(uri) ?? [];
    this.#inFlight.delete(uri);
    if (clients.length > 0) this.#subscribers.set(uri, new Set(clients));
    return clients;
  }

  /** The upstream refused: nobody is subscribed. Returns who waited. */
  rollback(uri: string): C[] {
    const clients = this.#inFlight.get(uri) ?? [];
    this.#inFlight.delete(uri);
    return clients;
  }

  /** A client asks to unsubscribe. Its updates stop at once either way. */
  unsubscribe(client: C, uri: string): UnsubscribeStep {
    const waiting = this.#inFlight.get(uri);
    if (waiting?.includes(client)) {
      // Its subscribe is still in flight: it will not be counted when that completes.
      this.#inFlight.set(uri, waiting.filter((c) => c !== client));
      return { action: "answer" };
    }
    const set = this.#subscribers.get(uri);
    if (!set?.delete(client)) return { action: "answer" };
    if (set.size > 0) return { action: "answer" };
    this.#subscribers.delete(uri);
    return { action: "forward" };
  }

  /** A client left: forget it everywhere. Returns the URIs nobody watches any more. */
  release(client: C): string[] {
    const orphaned: string[] = [];
    for (const [uri, set] of this.#subscribers) {
      if (set.delete(client) && set.size === 0) {
        this.#subscribers.delete(uri);
        orphaned.push(uri);
      }
    }
    for (const [uri, waiting] of this.#inFlight) {
      this.#inFlight.set(uri, waiting.filter((c) => c !== client));
    }
    return orphaned;
  }

  /** Who gets `notifications/resources/updated` for this URI. */
  subscribersOf(uri: string): ReadonlySet<C> {
    return this.#subscribers.get(uri) ?? new Set();
  }

  /** True when the client is subscribed to the URI. */
  has(client: C, uri: string): boolean {
    return this.#subscribers.get(uri)?.has(client) ?? false;
  }

  /** URIs with at least one subscriber: re-subscribed after a server restart. */
  activeUris(): string[] {
    return [...this.#subscribers.keys()];
  }

  /** Number of URIs watched. */
  get size(): number {
    return this.#subscribers.size;
  }
}
