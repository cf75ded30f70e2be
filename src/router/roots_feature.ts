/**
 * Roots: the server sees the union of every roots-capable client's roots.
 * The mux asks each such client for its roots when it joins and whenever it
 * says they changed, answers the server's `roots/list` itself, and tells the
 * server `notifications/roots/list_changed` whenever the union changes.
 *
 * @module
 */

import { isErrorResponse, type JsonRpcRequest, resultResponse } from "../jsonrpc/message.ts";
import type { RouterContext } from "./context.ts";
import { type Root, RootsUnion } from "./roots.ts";
import type { ClientSession } from "./session.ts";

/** Keeps the union of clients' roots and answers the server from it. */
export class RootsFeature {
  readonly #ctx: RouterContext;
  readonly #union = new RootsUnion<ClientSession>();
  readonly #asked = new Map<ClientSession, number>();

  constructor(ctx: RouterContext) {
    this.#ctx = ctx;
  }

  /** The roots the server is told about. */
  get roots(): Root[] {
    return this.#union.union();
  }

  /** A client finished its handshake, or said its roots changed: ask it. */
  async refresh(session: ClientSession): Promise<void> {
    if (session.hello?.capabilities.roots === undefined) return;
    // A modern server asks for roots inside the call that needs them (the legacy shim asks the client).
    if (this.#ctx.upstream.modern) return;
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
    } else if (Array.isArray(response.result.roots)) {
      roots = response.result.roots as Root[];
    }
    if (this.#union.set(session, roots)) this.#announce();
  }

  /** The server asks for roots: the union, at once. */
  answer(request: JsonRpcRequest): void {
    this.#ctx.upstream.answerServer(resultResponse(request.id, { roots: this.#union.union() }));
  }

  /** A client left: its roots leave the union. */
  release(session: ClientSession): void {
    this.#asked.delete(session);
    if (this.#union.remove(session)) this.#announce();
  }

  /** A new server process: it will ask; tell it there is something to ask for. */
  reapply(): void {
    if (this.#union.union().length > 0) this.#announce();
  }

  #announce(): void {
    if (!this.#ctx.upstream.ready) return; // a process that starts later asks by itself
    if (this.#ctx.upstream.modern) return; // no roots/list_changed in the modern era
    this.#ctx.upstream.answerServer({ jsonrpc: "2.0", method: "notifications/roots/list_changed" });
  }
}
