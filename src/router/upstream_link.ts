/**
 * The router's side of the one upstream connection: the phase machine of
 * the current process (down → initializing → ready, or init failed), the
 * mux's own handshake (once per process, single-flight: the request in
 * flight and its deadline are `upstream_init.ts`'s, what each answer means
 * `upstream_handshake.ts`'s), and when open work fails: the process goes
 * away, fails for good or the mux stops (what each is told, and the
 * fan-out, are `upstream_failures.ts`'s). Its face is narrow: what the
 * server said at the handshake is {@link UpstreamLink.handshake}
 * (`handshake_view.ts`), sending, holding and releasing traffic and the
 * queue's room are {@link UpstreamLink.traffic} (`upstream_traffic.ts`,
 * held messages in `outbox.ts`). The mux's own requests live in
 * `own_requests.ts`, clients' `initialize` and health checks waiting for
 * the server in `initialize_feature.ts`; the port, settings and options in
 * `upstream_options.ts`.
 *
 * @module
 */

import {
  errorResponse,
  type JsonRpcId,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "../jsonrpc/message.ts";
import type { PendingEntry } from "./client_to_server.ts";
import { HandshakeView } from "./handshake_view.ts";
import { InitializeFeature } from "./initialize_feature.ts";
import { UpstreamInit } from "./upstream_init.ts";
import { MuxToServerTable } from "./mux_to_server.ts";
import { Outbox } from "./outbox.ts";
import { OwnRequests } from "./own_requests.ts";
import { type CloseReason, type Refusal, refusal, UpstreamFailures } from "./upstream_failures.ts";
import { MUX_CLIENT_CAPABILITIES, UpstreamHandshake } from "./upstream_handshake.ts";
import type { ClientSession } from "./session.ts";
import { describeServerState, type ServerState } from "./server_state.ts";
import type { UpstreamLinkOptions, UpstreamPort, UpstreamSettings } from "./upstream_options.ts";
import { UpstreamTraffic } from "./upstream_traffic.ts";

type Phase = "down" | "initializing" | "ready" | "init_failed";
type Entry = PendingEntry<ClientSession>;

/** The upstream connection as the router sees it. */
export class UpstreamLink {
  readonly #s: UpstreamSettings;
  readonly #o: UpstreamLinkOptions;
  #port: UpstreamPort | null = null;
  #phase: Phase = "down";
  readonly #init: UpstreamInit;
  #initError: string | null = null;
  #failed: string | null = null;
  /** Why the mux stops, once it does. */
  #closing: CloseReason | null = null;
  #state: ServerState = { phase: "idle" };
  readonly #own = new MuxToServerTable();
  readonly #outbox: Outbox<ClientSession, Entry>;
  readonly #clients: InitializeFeature;
  readonly #failures: UpstreamFailures;
  readonly #requests: OwnRequests;
  /** What the server said at its handshake (era, `initialize` result, capabilities…). */
  readonly handshake: HandshakeView;
  /** Traffic toward the server: sent, held or released; and the queue's room. */
  readonly traffic: UpstreamTraffic;

  constructor(settings: UpstreamSettings, options: UpstreamLinkOptions) {
    this.#s = settings;
    this.#o = options;
    this.#outbox = new Outbox({
      entry: (entry) => options.pending.get(entry.upstreamId) === entry,
      own: (id) => this.#own.has(id),
    });
    this.#clients = new InitializeFeature({ log: options.log, reply: options.reply });
    this.traffic = new UpstreamTraffic({
      settings,
      outbox: this.#outbox,
      port: () => this.#port,
      ready: () => this.ready,
      ended: () => this.#closing !== null || this.#failed !== null,
      demand: () => this.demand(),
      waiting: () => this.#clients.waiting,
      adaptHeld: options.adaptHeld,
    });
    this.#failures = new UpstreamFailures({
      service: settings.service,
      pending: options.pending,
      outbox: this.#outbox,
      waiting: this.#clients,
      own: this.#own,
      reply: options.reply,
      notifyRoom: () => this.traffic.notifyRoom(),
    });
    this.#requests = new OwnRequests({
      settings,
      own: this.#own,
      outbox: this.#outbox,
      log: options.log,
      now: options.now,
      armSweep: options.armSweep,
      direct: () => this.traffic.direct,
      refusal: (method) => this.refusal(method),
      demand: () => this.demand(),
    });
    const handshake = new UpstreamHandshake(
      settings.upstreamEra ?? "auto",
      settings.clientInfo,
      MUX_CLIENT_CAPABILITIES,
    );
    this.handshake = new HandshakeView(handshake, () => this.ready);
    this.#init = new UpstreamInit({
      settings,
      handshake,
      own: this.#own,
      log: options.log,
      now: options.now,
      armSweep: options.armSweep,
      ready: (result, protocol) => this.#becomeReady(result, protocol),
      failed: (why) => this.#initFailed(why),
    });
  }

  /** True once the current process has answered the mux's `initialize`. */
  get ready(): boolean {
    return this.#phase === "ready";
  }

  /** Why a request cannot be forwarded at all right now, if it cannot. */
  refusal(method: string): Refusal | undefined {
    return refusal(this.#s.service, method, this.#closing, this.#failed);
  }

  setServerState(state: ServerState): void {
    this.#state = state;
  }

  // ── Lifecycle ───────────────────────────────────────────────────────────

  attach(port: UpstreamPort): void {
    this.#port = port;
    this.#failed = null;
    this.#beginInit();
  }

  /** The process is gone: what it was handling fails; held traffic waits for the next one. */
  detach(reason: string): void {
    this.traffic.detached();
    this.#port = null;
    this.#phase = "down";
    this.handshake.detached();
    this.#init.reset();
    const lost = this.#failures.exited(reason);
    if (lost > 0) {
      this.#o.log.warn("Failed {count} in-flight requests: server exited ({reason})", {
        count: lost,
        reason,
      });
    }
    this.#o.onGone(reason);
  }

  /** The server is down for good: everything open fails, and so will everything later. */
  fail(reason: string): void {
    this.#failed = reason;
    this.#phase = "down";
    this.#port = null;
    this.#init.stopTimer();
    this.#failures.failed(reason);
  }

  /** The mux stops for `reason`: everything open fails, and so will everything later. */
  shutDown(reason: CloseReason): void {
    if (this.#closing !== null) return;
    this.#closing = reason;
    this.#init.stopTimer();
    this.#failures.shuttingDown(reason);
  }

  // ── Requests and clients ────────────────────────────────────────────────

  /** A request of the mux's own; never rejects (see {@link OwnRequests.request}). */
  request(
    method: string,
    params?: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<JsonRpcResponse> {
    return this.#requests.request(method, params, timeoutMs);
  }

  /** Undo what a departed client left on the server, if still there ({@link OwnRequests.tidy}). */
  tidy(method: string, params: Record<string, unknown>): Promise<JsonRpcResponse> | undefined {
    return this.#requests.tidy(method, params);
  }

  /** Something needs the server: start it (lazy start) or retry a failed handshake. */
  demand(): void {
    if (this.#phase === "init_failed") this.#beginInit();
    if (!this.#port) this.#s.onDemand?.();
  }

  /** Tell the server to stop working on a request (or to end a stream). */
  cancel(upstreamId: JsonRpcId, reason: unknown): void {
    if (this.#phase !== "ready" || !this.#port) return;
    const params: Record<string, unknown> = { requestId: upstreamId };
    if (typeof reason === "string") params.reason = reason;
    this.#port.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params }));
  }

  /** Forget a departed client: cancel its work upstream, drop what it had queued. */
  dropClient(session: ClientSession): void {
    // Cancels first: removing the client's entries may pass a serialize turn.
    for (const entry of this.#o.pending.ofClient(session)) {
      if (entry.sent) this.cancel(entry.upstreamId, "client disconnected");
    }
    this.#o.pending.removeClient(session);
    this.#clients.dropClient(session);
    this.#outbox.dropClient(session);
    this.traffic.notifyRoom();
  }

  /** A client's `initialize`: answered from the cached upstream result. */
  initializeClient(session: ClientSession, request: JsonRpcRequest): void {
    const refusal = this.refusal("initialize");
    if (refusal) return this.#o.reply(session.target, errorResponse(request.id, ...refusal));
    if (this.#phase === "ready") {
      return this.#clients.answer(session, request, this.handshake.initResult!);
    }
    const deadline = this.#o.deadline();
    this.#clients.wait(session, request, deadline);
    this.#o.armSweep(deadline);
    this.demand();
  }

  /** Why the server is not ready, in words (for health and errors). */
  notReadyReason(): string {
    return this.#phase === "init_failed" && this.#initError
      ? `server "${this.#s.service}" ${this.#initError}`
      : describeServerState(this.#s.service, this.#state, this.#o.now());
  }

  /**
   * Resolves true once the server is initialized, false at `deadline`, when
   * its handshake fails, or when it fails for good. Starts nothing.
   */
  whenReady(deadline: number): Promise<boolean> {
    if (this.#phase === "ready") return Promise.resolve(true);
    if (this.#failed !== null || this.#closing !== null || deadline <= this.#o.now()) {
      return Promise.resolve(false);
    }
    this.#o.armSweep(deadline);
    return this.#clients.whenReady(deadline);
  }

  /** The supervisor's latest view of the process. */
  get state(): ServerState {
    return this.#state;
  }

  /** True once the mux is shutting down. */
  get closing(): boolean {
    return this.#closing !== null;
  }

  /** Send a message the server is owed (answers to its own requests). */
  answerServer(message: unknown): void {
    this.#port?.send(JSON.stringify(message));
  }

  /** A response to one of the mux's own requests (string ids). */
  onInternalResponse(id: string, response: JsonRpcResponse): void {
    if (this.#init.owns(id)) return this.#init.answer(this.#port, response);
    if (!this.#own.resolve(id, response)) {
      this.#o.log.debug("Response for unknown request {id}; dropped", { id });
    }
  }

  /** Expire what is past its deadline (the handshake, waiters, own requests); returns the next. */
  sweep(now: number): number {
    this.#init.sweep(now);
    const waiting = this.#clients.sweep(
      now,
      (at) => describeServerState(this.#s.service, this.#state, at),
      { service: this.#s.service, state: this.#state.phase },
    );
    return Math.min(this.#init.deadline, waiting, this.#own.expire(now));
  }

  // ── Internals ───────────────────────────────────────────────────────────

  #beginInit(): void {
    if (!this.#port || this.#phase === "initializing") return;
    this.#phase = "initializing";
    this.#initError = null;
    this.#init.begin(this.#port);
  }

  #becomeReady(result: Record<string, unknown>, protocol: string): void {
    this.#phase = "ready";
    this.handshake.initialized(result);
    const info = result.serverInfo as { name?: string; version?: string } | undefined;
    this.#o.log.info("Server initialized: {name} {version}, protocol {protocol}", {
      name: info?.name ?? "?",
      version: info?.version ?? "?",
      protocol,
    });
    const restarted = this.handshake.generation > 1;
    this.#o.onReady(restarted);
    // Waiting clients first: a held request may need what its client said in initialize.
    this.#clients.answerAll(result);
    this.traffic.initialized(this.#port!);
    if (restarted) this.#o.onRestarted();
  }

  #initFailed(why: string): void {
    this.#phase = "init_failed";
    this.#initError = why;
    this.#o.log.error("Server {service} {why}", { service: this.#s.service, why });
    // A process that refuses the handshake is broken: the supervisor replaces it
    // under the restart policy (backoff, then failed), rather than leaving it "starting".
    this.#s.onUpstreamBroken?.(why);
    this.#failures.handshakeFailed(why);
  }
}
