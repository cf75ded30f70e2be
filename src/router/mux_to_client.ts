/**
 * Mux→client requests: server requests routed to one client
 * (their ids rewritten so the mux can map answers and cancellations back),
 * and the mux's own (asking a client for its roots). Pure bookkeeping.
 *
 * @module
 */

import type { JsonRpcId, JsonRpcResponse } from "../jsonrpc/message.ts";

/** A server request forwarded to one client. */
export interface RoutedCall {
  kind: "routed";
  method: string;
  /** The id the server gave it. */
  upstreamId: JsonRpcId;
  /** The server's progress token for it, if any (passed through unchanged). */
  progressToken: JsonRpcId | undefined;
}

/** A request of the mux's own, answered through a callback. */
export interface InternalCall {
  kind: "internal";
  method: string;
  resolve: (response: JsonRpcResponse) => void;
  deadline: number;
}

/** Either kind. */
export type ClientCall = RoutedCall | InternalCall;

const key = (id: JsonRpcId) => `${typeof id}:${id}`;

/**
 * The first id a table hands out: random, so that two mux processes (a
 * daemon and the one that replaces it) do not number their requests alike.
 * A host behind a reconnecting `rmcp-mux proxy` may answer the old daemon's
 * sampling request after the new daemon asked it something under the same
 * id; distinct ids keep that late answer from being taken for the new one.
 */
function firstId(): number {
  return 1 + Math.floor(Math.random() * 2 ** 40);
}

/** Open mux→client requests, per client. */
export class MuxToClientTable<C> {
  #next: number;
  readonly #byClient = new Map<C, Map<number, ClientCall>>();
  readonly #byUpstream = new Map<string, { client: C; id: number }>();

  /** @param start the first id (tests pass one; by default a random one, see {@link firstId}) */
  constructor(start: number = firstId()) {
    this.#next = start;
  }

  /** Register a call to `client`; returns the id to send it with. */
  add(client: C, call: ClientCall): number {
    const id = this.#next++;
    let calls = this.#byClient.get(client);
    if (!calls) this.#byClient.set(client, calls = new Map());
    calls.set(id, call);
    if (call.kind === "routed") this.#byUpstream.set(key(call.upstreamId), { client, id });
    return id;
  }

  /** Remove and return the call a client's response answers. */
  take(client: C, id: unknown): ClientCall | undefined {
    if (typeof id !== "number") return undefined;
    const calls = this.#byClient.get(client);
    const call = calls?.get(id);
    if (!call) return undefined;
    calls!.delete(id);
    if (call.kind === "routed") this.#byUpstream.delete(key(call.upstreamId));
    return call;
  }

  /** Where a server request went (for the server's cancellation). */
  findRouted(upstreamId: JsonRpcId): { client: C; id: number } | undefined {
    return this.#byUpstream.get(key(upstreamId));
  }

  /** A routed call of `client` whose progress token is `token`. */
  routedByToken(client: C, token: unknown): RoutedCall | undefined {
    if (token === undefined) return undefined;
    for (const call of this.#byClient.get(client)?.values() ?? []) {
      if (call.kind === "routed" && call.progressToken === token) return call;
    }
    return undefined;
  }

  /** Remove and return every open call of a client (it left). */
  removeClient(client: C): ClientCall[] {
    const calls = this.#byClient.get(client);
    if (!calls) return [];
    this.#byClient.delete(client);
    for (const call of calls.values()) {
      if (call.kind === "routed") this.#byUpstream.delete(key(call.upstreamId));
    }
    return [...calls.values()];
  }

  /** Remove and return every routed call (the server that sent them is gone). */
  removeRouted(): { client: C; id: number; call: RoutedCall }[] {
    const out: { client: C; id: number; call: RoutedCall }[] = [];
    for (const [client, calls] of this.#byClient) {
      for (const [id, call] of calls) {
        if (call.kind !== "routed") continue;
        calls.delete(id);
        out.push({ client, id, call });
      }
    }
    this.#byUpstream.clear();
    return out;
  }

  /** Remove and return internal calls past their deadline. */
  expire(now: number): InternalCall[] {
    const out: InternalCall[] = [];
    for (const calls of this.#byClient.values()) {
      for (const [id, call] of calls) {
        if (call.kind === "internal" && call.deadline <= now) {
          calls.delete(id);
          out.push(call);
        }
      }
    }
    return out;
  }

  /** The earliest internal deadline. */
  nextDeadline(): number {
    let next = Infinity;
    for (const calls of this.#byClient.values()) {
      for (const call of calls.values()) {
        if (call.kind === "internal" && call.deadline < next) next = call.deadline;
      }
    }
    return next;
  }
}
