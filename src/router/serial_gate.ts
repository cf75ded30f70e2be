/**
 * Serialize mode: only one client's requests are upstream at a time, so a
 * server that calls back (sampling, elicitation) is always calling back for
 * that client. Others wait their turn, first come first served: the gate
 * itself ({@link SerialGate}, generic), and the router's turns
 * ({@link SerialTurns}: a turn passes on when its client's last request
 * leaves the table, or the client leaves — but while the server may still
 * be running a cancelled request (`cancelled_calls.ts`) the turn is held
 * for nobody until it answers or the grace passes, so the server never has
 * two clients' work at once). Pure.
 *
 * @module
 */

import type { ClientToServerTable, PendingEntry } from "./client_to_server.ts";
import type { ClientSession } from "./session.ts";

/** Lets one client through at a time; queues the rest in arrival order. */
export class SerialGate<C, T> {
  #active: C | undefined;
  /** The turn is held for nobody: every client waits until {@link resume}. */
  #held = false;
  #queue: { client: C; item: T }[] = [];

  /** The client whose requests are upstream now. */
  get active(): C | undefined {
    return this.#active;
  }

  /** Items waiting. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** True while the turn is held for nobody (see {@link release}). */
  get held(): boolean {
    return this.#held;
  }

  /** May `client` send `item` now? If not, it is queued. */
  offer(client: C, item: T): boolean {
    if (!this.#held && (this.#active === undefined || this.#active === client)) {
      this.#active = client;
      return true;
    }
    this.#queue.push({ client, item });
    return false;
  }

  /**
   * `client` has nothing in flight any more. If it was the active one, the
   * next waiting client becomes active; returns it with its queued items.
   * With `hold`, nobody does (not `client` either) until {@link resume}.
   */
  release(client: C, hold = false): { client: C; items: T[] } | undefined {
    if (this.#active !== client) return undefined;
    if (hold) {
      this.#active = undefined;
      this.#held = true;
      return undefined;
    }
    return this.#handOver();
  }

  /** End a hold: the next waiting client becomes active (returned with its queued items). */
  resume(): { client: C; items: T[] } | undefined {
    if (!this.#held) return undefined;
    this.#held = false;
    return this.#handOver();
  }

  #handOver(): { client: C; items: T[] } | undefined {
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
    this.#held = false;
    return items;
  }

  /** Drop a departed client's queued items (returned), and its turn (held with `hold`). */
  drop(client: C, hold = false): { items: T[]; next: { client: C; items: T[] } | undefined } {
    const items = this.#queue.filter((q) => q.client === client).map((q) => q.item);
    this.#queue = this.#queue.filter((q) => q.client !== client);
    return { items, next: this.release(client, hold) };
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
  readonly #busy: () => boolean;

  /**
   * @param send writes a request whose turn came (toward the server)
   * @param busy true while the server may still run a request nobody waits for (a
   *   cancelled one): a turn that ends then is held until {@link resume}
   */
  constructor(
    pending: ClientToServerTable<ClientSession>,
    send: (line: string, entry: PendingEntry<ClientSession>) => void,
    busy: () => boolean = () => false,
  ) {
    this.#pending = pending;
    this.#send = send;
    this.#busy = busy;
  }

  /** May this request go upstream now? If not, it waits for its client's turn. */
  offer(session: ClientSession, line: string, entry: PendingEntry<ClientSession>): boolean {
    return this.#gate.offer(session, { line, entry });
  }

  /**
   * The client's last request left the table: the next client's turn, if it
   * had it — or nobody's while the server may still run a cancelled request.
   */
  release(session: ClientSession): void {
    this.#advance(this.#gate.release(session, this.#busy()));
  }

  /** The client left: its waiting requests go, and its turn passes on (or is held, as above). */
  drop(session: ClientSession): void {
    this.#advance(this.#gate.drop(session, this.#busy()).next);
  }

  /** The server is done with its cancelled requests: a held turn passes on. */
  resume(): void {
    this.#advance(this.#gate.resume());
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
