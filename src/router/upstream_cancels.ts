/**
 * Requests nobody waits for any more, on their way out: the server is told
 * (`notifications/cancelled`) and, since it may go on with them, each is
 * kept in `cancelled_calls.ts` with the router's sweeper armed for its
 * grace. Glue between the upstream link, that table and the one timer; what
 * being kept means (privacy of callbacks, serialize turns) is
 * `cancelled_calls.ts`'s.
 *
 * @module
 */

import type { CancelledCalls } from "./cancelled_calls.ts";
import type { ClientToServerTable, PendingEntry } from "./client_to_server.ts";
import type { ClientSession } from "./session.ts";
import type { UpstreamLink } from "./upstream_link.ts";

type Entry = PendingEntry<ClientSession>;

/** What {@link UpstreamCancels} works with (the router's own units). */
export interface UpstreamCancelsParts {
  calls: CancelledCalls<ClientSession>;
  pending: ClientToServerTable<ClientSession>;
  upstream: UpstreamLink;
  armSweep: (deadline: number) => void;
  now: () => number;
}

/** Tells the server of abandoned requests and keeps those it may still run. */
export class UpstreamCancels {
  readonly #p: UpstreamCancelsParts;

  constructor(parts: UpstreamCancelsParts) {
    this.#p = parts;
  }

  /** Nobody waits for this request any more: the server is told, and it counts as still there. */
  cancel(entry: Entry, reason: unknown): void {
    if (!entry.sent) return;
    this.#p.upstream.cancel(entry.upstreamId, reason);
    this.#leftAtServer(entry);
  }

  /**
   * A client left: what the server has of its work still counts as at the
   * server, owned by nobody now. Call it before its entries are removed
   * (that may pass a serialize turn to another client).
   */
  clientLeft(session: ClientSession): void {
    for (const entry of this.#p.pending.ofClient(session)) this.#leftAtServer(entry);
    this.#p.calls.release(session);
  }

  /** A new grace, for the calls kept now too (one it ends is forgotten at once). */
  setGrace(ms: number): void {
    if (ms === this.#p.calls.graceMs) return;
    this.#p.armSweep(this.#p.calls.setGrace(ms, this.#p.now()));
  }

  /**
   * The server may go on with a request whose answer nobody waits for (a
   * cancel is advisory): keep it until it answers or the grace passes. A
   * modern server asks nothing outside a call's own answer: nothing to keep.
   */
  #leftAtServer(entry: Entry): void {
    const { upstream } = this.#p;
    if (!entry.sent || !upstream.ready || upstream.handshake.modern) return;
    this.#p.armSweep(this.#p.calls.add(entry.upstreamId, entry.client, this.#p.now()));
  }
}
