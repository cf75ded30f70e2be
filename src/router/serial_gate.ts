/**
 * Serialize mode: only one client's requests are upstream at a time, so a
 * server that calls back (sampling, elicitation) is always calling back for
 * that client. Others wait their turn, first come first served: the gate
 * itself ({@link SerialGate}, generic), and the router's turns
 * ({@link SerialTurns}: a turn passes on when its client's last request
 * leaves the table, or the client leaves). Pure.
 *
 * @module
 */

import type { ClientToServerTable, PendingEntry } from "./client_to_server.ts";
import type { ClientSession } from "./session.ts";

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

/** A request held back by serialize mode. */
export interface Gated {
  line: string;
  entry: PendingEntry<ClientSession>;
}

/** The router's requests upstream, one client's at a time. */
export class SerialTurns {
  readonly #gate = new SerialGate<ClientSession, Gated>();
  readonly #pending: ClientToServerTable<ClientSession>;
  readonly #send: (line: string, entry: PendingEntry<ClientSession>) => void;

  /** @param send writes a request whose turn came (toward the server) */
  constructor(
    pending: ClientToServerTable<ClientSession>,
    send: (line: string, entry: PendingEntry<ClientSession>) => void,
  ) {
    this.#pending = pending;
    this.#send = send;
  }

  /** May this request go upstream now? If not, it waits for its client's turn. */
  offer(session: ClientSession, line: string, entry: PendingEntry<ClientSession>): boolean {
    return this.#gate.offer(session, { line, entry });
  }

  /** The client's last request left the table: the next client's turn, if it had it. */
  release(session: ClientSession): void {
    this.#advance(this.#gate.release(session));
  }

  /** The client left: its waiting requests go, and its turn passes on. */
  drop(session: ClientSession): void {
    this.#advance(this.#gate.drop(session).next);
  }

  /** Serialize mode is turned off: what waited for its turn goes up now (if still wanted). */
  drain(): void {
    for (const { line, entry } of this.#gate.drain()) {
      if (this.#pending.get(entry.upstreamId) === entry) this.#send(line, entry);
    }
  }

  /**
   * Give the turn to `next`. A client whose queued requests were all cancelled
   * or timed out while it waited has nothing to send: pass the turn on at once,
   * or the gate would wait for it forever.
   */
  #advance(next: { client: ClientSession; items: Gated[] } | undefined): void {
    while (next) {
      const live = next.items.filter(({ entry }) => this.#pending.get(entry.upstreamId) === entry);
      for (const { line, entry } of live) this.#send(line, entry);
      if (live.length > 0 || this.#pending.countFor(next.client) > 0) return;
      next = this.#gate.release(next.client);
    }
  }
}
