/**
 * The router's clients, and everything that goes to them: who is connected
 * (counted, of which era), answers to their requests (into a batch, on the
 * request's own HTTP response, or on the connection), the mux's own
 * messages and requests to them, and each client's count of open requests,
 * which settles when its last answer goes out (a half-closed client waits
 * for that; so do {@link Clients.whenIdle} and {@link Clients.whenDrained}).
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import { errorResponse, type JsonRpcId, type JsonRpcResponse } from "../jsonrpc/message.ts";
import type { PendingEntry } from "./client_to_server.ts";
import type { Target } from "./context.ts";
import { MuxToClientTable } from "./mux_to_client.ts";
import { type ClientPort, ClientSession, type ClientTransport } from "./session.ts";

/** How long a client may take to answer a request of the mux's own (its roots). */
export const CLIENT_REQUEST_TIMEOUT_MS = 10_000;

/** What {@link Clients} needs from the router. */
export interface ClientsOptions {
  now: () => number;
  /** Numbers for new sessions (a pool's routers share one counter); default: its own. */
  nextSessionId?: () => number;
  /** Make sure deadlines up to this one are checked. */
  armSweep: (deadline: number) => void;
  /** A call answered `input_required` got its server's answer (kept for the client's retry). */
  parked: (entry: PendingEntry<ClientSession>, message: JsonRpcResponse) => void;
  /** The last counted client left. */
  onIdle?: () => void;
  /** True while some request is being handled by the server (for {@link Clients.whenDrained}). */
  serverBusy: () => boolean;
}

/** The connected clients, and the way to each. */
export class Clients {
  /** Mux→client requests open (routed server requests and the mux's own). */
  readonly calls: MuxToClientTable<ClientSession> = new MuxToClientTable();
  readonly #o: ClientsOptions;
  readonly #sessions = new Set<ClientSession>();
  #nextSessionId = 1;
  #modern = 0;
  #idleWaiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];

  constructor(options: ClientsOptions) {
    this.#o = options;
  }

  /** Every connected client, in the order they connected. */
  get sessions(): ReadonlySet<ClientSession> {
    return this.#sessions;
  }

  /** A client connected. */
  connect(port: ClientPort, transport: ClientTransport): ClientSession {
    const id = this.#o.nextSessionId?.() ?? this.#nextSessionId++;
    const session = new ClientSession(id, port, transport, this.#o.now());
    this.#sessions.add(session);
    return session;
  }

  /** Take in a client that connected elsewhere; false when it is here already. */
  add(session: ClientSession): boolean {
    if (this.#sessions.has(session)) return false;
    this.#sessions.add(session);
    if (session.era === "modern") this.#modern++;
    return true;
  }

  /**
   * Forget a client (gone, or moved to another process); false when it was
   * not here. Call {@link released} once what it held is let go.
   */
  remove(session: ClientSession): boolean {
    if (!this.#sessions.delete(session)) return false;
    if (session.era === "modern") this.#modern--;
    return true;
  }

  /**
   * A removed client's work is cancelled and what it held released: when it
   * was the last counted client, the process is idle now (told last, so an
   * idle handler that parks the process is not undone by the release).
   */
  released(session: ClientSession): void {
    if (session.counted && this.counted === 0) this.#o.onIdle?.();
  }

  /** Clients connected, probes not counted. */
  get counted(): number {
    let count = 0;
    for (const session of this.#sessions) if (session.counted) count++;
    return count;
  }

  /** Connected clients of the modern era. */
  get modern(): number {
    return this.#modern;
  }

  /** A client's first request pinned it to the modern era. */
  pinModern(session: ClientSession): void {
    if (session.era === "modern") return;
    session.era = "modern";
    this.#modern++;
  }

  /** Counted clients, admitted ones, and each era's (`unknown`: not pinned yet). */
  counts(): {
    connected: number;
    active: number;
    eras: { legacy: number; modern: number; unknown: number };
  } {
    let connected = 0;
    let active = 0;
    const eras = { legacy: 0, modern: 0, unknown: 0 };
    for (const session of this.#sessions) {
      if (!session.counted) continue;
      connected++;
      if (session.admitted) active++;
      eras[session.era ?? "unknown"]++;
    }
    return { connected, active, eras };
  }

  /** Send a message (an object, or an already serialized line) to a client, if connected. */
  notify(session: ClientSession, message: unknown): void {
    if (session.closed) return;
    session.port.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /**
   * Answer a client request. `text`, when given, is `message` already
   * serialized (sent as is, unless the answer goes into a batch).
   */
  reply(target: Target, message: JsonRpcResponse, text?: string): void {
    // A modern client's call answered `input_required` while the server works on: kept for its retry.
    if ((target as PendingEntry<ClientSession>).era?.parked) {
      return this.#o.parked(target as PendingEntry<ClientSession>, message);
    }
    const session = target.client;
    if (target.batch) target.batch.fill(target.batch.index, message);
    else if (session.port.reply && !session.closed) {
      session.port.reply(message.id, text ?? JSON.stringify(message));
    } else this.notify(session, text ?? message);
    if (session.openRequests > 0) session.openRequests--;
    this.settled(session);
  }

  /**
   * A request of the mux's own to one client, with its id (to cancel it)
   * and its own timeout. The answer never rejects.
   */
  ask(
    session: ClientSession,
    method: string,
    params: Record<string, unknown> | undefined,
    timeoutMs: number,
  ): { id: number; answer: Promise<JsonRpcResponse> } {
    let id = 0;
    const answer = new Promise<JsonRpcResponse>((resolve) => {
      const deadline = this.#o.now() + timeoutMs;
      id = this.calls.add(session, { kind: "internal", method, resolve, deadline });
      this.#o.armSweep(deadline);
      this.notify(session, { jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    });
    return { id, answer };
  }

  /** Withdraw a request of {@link ask}: the client is told `notifications/cancelled`. */
  cancelAsk(session: ClientSession, id: JsonRpcId, reason: string): void {
    if (!this.calls.take(session, id)) return;
    this.notify(session, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id, reason },
    });
  }

  /** Fail the mux's own requests to clients that are past their deadline; returns the next one. */
  expireAsks(now: number): number {
    for (const call of this.calls.expire(now)) {
      call.resolve(errorResponse(null, ErrorCode.RequestTimeout, `no answer to ${call.method}`));
    }
    return this.calls.nextDeadline();
  }

  /** A client's open-request count dropped: wake whoever waits for it (or all) to settle. */
  settled(session: ClientSession): void {
    if (this.#drainWaiters.length > 0 && !this.#o.serverBusy()) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (session.openRequests > 0) return;
    session.onSettled?.();
    if (this.#idleWaiters.length > 0 && this.#openRequests() === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Client requests open now (probes' included). */
  get openRequests(): number {
    return this.#openRequests();
  }

  /** Resolves when no client request is open (answered, cancelled or abandoned). */
  whenIdle(): Promise<void> {
    if (this.#openRequests() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Resolves when no request is being handled by the server (queued ones do not count). */
  whenDrained(): Promise<void> {
    if (!this.#o.serverBusy()) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #openRequests(): number {
    let open = 0;
    for (const session of this.#sessions) open += session.openRequests;
    return open;
  }
}
