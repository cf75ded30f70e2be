/**
 * Roots: the server sees the union of every roots-capable client's roots.
 * The mux asks each such client for its roots when it joins and whenever it
 * says they changed, answers the server's `roots/list` itself, and tells the
 * server `notifications/roots/list_changed` whenever the union changes.
 *
 * Roots stay fresh: a client whose last answer was an error (an SDK client
 * that registers its handler after `connect()` answers "method not found"
 * at first) is asked again before the server is answered, and on its next
 * request (at most every {@link STALE_RETRY_MS}), so a late handler is
 * picked up.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import { isErrorResponse, type JsonRpcRequest, resultResponse } from "../jsonrpc/message.ts";
import type { RouterContext } from "./context.ts";
import { type Root, RootsUnion } from "./roots.ts";
import type { ClientSession } from "./session.ts";

/** A client whose roots answer was an error is asked again on a request at most this often. */
export const STALE_RETRY_MS = 5_000;

/** Why a client's roots are not known, and when a request last made the mux ask again. */
type Staleness = { retriedAt: number; timedOut: boolean };

/**
 * What a client's roots mean to the router: merged into the union (shared),
 * or handed to whoever keeps processes apart (roots isolation), which
 * decides where the client belongs.
 */
export type RootsPolicy = "union" | ((session: ClientSession, roots: Root[]) => void);

/** Keeps the union of clients' roots and answers the server from it. */
export class RootsFeature {
  readonly #ctx: RouterContext;
  readonly #union = new RootsUnion<ClientSession>();
  readonly #asked = new Map<ClientSession, number>();
  readonly #stale = new Map<ClientSession, Staleness>();
  readonly #policy: RootsPolicy;
  #serverAsked = 0;
  #warned = false;
  /** Clients waiting until the server has been told their roots. */
  #delivery = new Map<ClientSession, (() => void)[]>();

  constructor(ctx: RouterContext, policy: RootsPolicy = "union") {
    this.#ctx = ctx;
    this.#policy = policy;
  }

  /** The roots the server is told about. */
  get roots(): Root[] {
    return this.#union.union();
  }

  /** How many times the server asked for roots (it uses them). */
  get serverAsked(): number {
    return this.#serverAsked;
  }

  /**
   * How many distinct projects (sets of roots) are merged into this server
   * process: 0 until the server has shown it uses roots (it asked for them).
   */
  mergedProjects(): number {
    if (this.#serverAsked === 0) return 0;
    const sets = new Set<string>();
    for (const roots of this.#union.byClient().values()) {
      sets.add(JSON.stringify(roots.map((r) => r.uri).sort()));
    }
    return sets.size;
  }

  /** The roots each client gave, for the clients that gave some (in connection order). */
  byClient(): Map<ClientSession, Root[]> {
    return this.#union.byClient();
  }

  /**
   * A client finished its handshake, or said its roots changed: ask it.
   * `announce: false` when the server is about to be answered anyway.
   */
  async refresh(session: ClientSession, announce = true): Promise<void> {
    if (session.hello?.capabilities.roots === undefined) return;
    // A modern server asks for roots inside the call that needs them (the legacy shim asks the client).
    if (this.#ctx.upstream.handshake.modern) return;
    const ask = (this.#asked.get(session) ?? 0) + 1;
    this.#asked.set(session, ask);
    const response = await this.#ctx.requestClient(session, "roots/list");
    // A newer question was asked meanwhile, or the client left: this answer is stale.
    if (session.closed || this.#asked.get(session) !== ask) return;
    let roots: Root[] = [];
    if (isErrorResponse(response)) {
      this.#ctx.log.debug("{client} did not list its roots: {reason}", {
        client: session.label,
        reason: response.error.message,
      });
      this.#stale.set(session, {
        retriedAt: this.#stale.get(session)?.retriedAt ?? -Infinity,
        timedOut: response.error.code === ErrorCode.RequestTimeout,
      });
    } else {
      this.#stale.delete(session);
      if (Array.isArray(response.result.roots)) roots = response.result.roots as Root[];
    }
    if (this.#policy !== "union") return this.#policy(session, roots);
    if (this.#union.set(session, roots)) {
      if (announce) this.#announce();
      this.#checkMerged();
    }
  }

  /**
   * Take a client's roots as already known (it was asked before it joined
   * this router): no question, no announcement unless the union changed.
   * Returns true if it did (the server will ask for the new union).
   */
  adopt(session: ClientSession, roots: readonly Root[]): boolean {
    if (!this.#union.set(session, roots)) return false;
    this.#announce();
    this.#checkMerged();
    return true;
  }

  /** A client was asked elsewhere and did not list its roots: ask it again when due. */
  unknown(session: ClientSession, timedOut: boolean): void {
    this.#stale.set(session, { retriedAt: -Infinity, timedOut });
  }

  /**
   * The server asks for roots: the union. Clients whose last answer was an
   * error are asked again first (a handler registered late answers now).
   */
  async answer(request: JsonRpcRequest): Promise<void> {
    this.#serverAsked++;
    const again = [...this.#stale].filter(([, s]) => !s.timedOut).map(([session]) => session);
    if (again.length > 0) await Promise.all(again.map((session) => this.refresh(session, false)));
    this.#ctx.upstream.answerServer(resultResponse(request.id, { roots: this.#union.union() }));
    this.#checkMerged();
    for (const [session, waiters] of this.#delivery) {
      if (!this.#union.byClient().has(session)) continue;
      this.#delivery.delete(session);
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves the next time the server is answered with this client's roots in the union. */
  whenDelivered(session: ClientSession): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#delivery.get(session) ?? [];
      waiters.push(resolve);
      this.#delivery.set(session, waiters);
    });
  }

  /** A client sent a request: if its roots are unknown because it erred, ask it again (rarely). */
  onRequest(session: ClientSession): void {
    const stale = this.#stale.get(session);
    if (!stale || this.#ctx.now() - stale.retriedAt < STALE_RETRY_MS) return;
    stale.retriedAt = this.#ctx.now();
    void this.refresh(session);
  }

  /** A client left: its roots leave the union. */
  release(session: ClientSession): void {
    this.#asked.delete(session);
    this.#stale.delete(session);
    for (const resolve of this.#delivery.get(session) ?? []) resolve();
    this.#delivery.delete(session);
    if (this.#union.remove(session)) this.#announce();
  }

  /** A new server process: it will ask; tell it there is something to ask for. */
  reapply(): void {
    if (this.#union.union().length > 0) this.#announce();
  }

  /** One warning when clients of different projects start sharing a roots-using server. */
  #checkMerged(): void {
    const projects = this.mergedProjects();
    if (projects < 2) {
      this.#warned = false;
      return;
    }
    if (this.#warned) return;
    this.#warned = true;
    this.#ctx.log.warn(
      "Roots from {projects} projects are merged into one server process: each client's " +
        "calls can reach the others' files. Consider isolation: roots",
      { projects },
    );
  }

  #announce(): void {
    if (!this.#ctx.upstream.ready) return; // a process that starts later asks by itself
    if (this.#ctx.upstream.handshake.modern) return; // no roots/list_changed in the modern era
    this.#ctx.upstream.answerServer({ jsonrpc: "2.0", method: "notifications/roots/list_changed" });
  }
}
