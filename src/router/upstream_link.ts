/**
 * The router's side of the one upstream connection: its initialize
 * handshake (once per process, single-flight), the queue of traffic held
 * while it is not ready, the mux's own requests (health pings, subscription
 * and log-level bookkeeping), and what happens to open requests when the
 * process goes away.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcId,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import { serverCapabilitiesFor } from "./capabilities.ts";
import { OwnRequests } from "./own_requests.ts";
import { LATEST_PROTOCOL_VERSION, negotiateVersion } from "./negotiate.ts";
import type { PendingEntry, PendingTable, ReplyTarget } from "./pending.ts";
import type { ClientHello, ClientSession } from "./session.ts";
import { describeServerState, type ServerState } from "./server_state.ts";

/** How the router writes to the current server process. */
export interface UpstreamPort {
  /** Queue one serialized message (no newline) to the server's stdin. */
  send(line: string): void;
  /** Messages queued toward the server and not yet written. */
  readonly pending: number;
}

/** Dependencies the link shares with the router. */
export interface UpstreamLinkOptions {
  service: string;
  clientInfo: { name: string; version: string };
  /** Client capabilities the mux declares upstream. */
  capabilities: Record<string, unknown>;
  initTimeoutMs: number;
  /** Timeout of the mux's own requests (0 = none). */
  requestTimeoutMs: number;
  maxQueue: number;
  log: Logger;
  now: () => number;
  deadline: () => number;
  pending: PendingTable<ClientSession>;
  sessions: ReadonlySet<ClientSession>;
  reply: (target: ReplyTarget<ClientSession>, message: JsonRpcResponse) => void;
  armSweep: (deadline: number) => void;
  onUpstreamBroken: (reason: string) => void;
  /** The new process is initialized; re-apply what it must know (before queued traffic). */
  onReady: (restarted: boolean) => void;
  /** The process is gone; forget what only it knew. */
  onGone: (reason: string) => void;
  /** Called when traffic needs a server and none is attached (lazy start). */
  onDemand: () => void;
}

type Phase = "down" | "initializing" | "ready" | "init_failed";
type Target = ReplyTarget<ClientSession>;

interface InitWaiter {
  session: ClientSession;
  request: JsonRpcRequest;
  deadline: number;
}

interface OutboxItem {
  line: string;
  entry?: PendingEntry<ClientSession>;
  session?: ClientSession;
  internalId?: string;
}

/** The upstream connection as the router sees it. */
export class UpstreamLink {
  readonly #o: UpstreamLinkOptions;
  #port: UpstreamPort | null = null;
  #phase: Phase = "down";
  #initResult: Record<string, unknown> | null = null;
  #initId: string | null = null;
  #initTimer: ReturnType<typeof setTimeout> | undefined;
  #initError: string | null = null;
  #generation = 0;
  #failed: string | null = null;
  #closing = false;
  #state: ServerState = { phase: "idle" };
  #outbox: OutboxItem[] = [];
  #initWaiters: InitWaiter[] = [];
  readonly #own = new OwnRequests();
  #roomWaiters: (() => void)[] = [];
  /** Traffic is held even while ready (a restart is draining the old process). */
  #holding = false;

  constructor(options: UpstreamLinkOptions) {
    this.#o = options;
  }

  /** True once the current process has answered the mux's `initialize`. */
  get ready(): boolean {
    return this.#phase === "ready";
  }

  /** Which process this is: 1 for the first one initialized, +1 per restart. */
  get generation(): number {
    return this.#generation;
  }

  /** The server's capabilities (from its initialize result), once known. */
  get serverCapabilities(): Record<string, unknown> {
    return (this.#initResult?.capabilities ?? {}) as Record<string, unknown>;
  }

  /** Messages held or queued toward the server. */
  get queueDepth(): number {
    return this.#outbox.length + (this.#port?.pending ?? 0);
  }

  /** True while clients may be read (the queue toward the server is not full). */
  get hasRoom(): boolean {
    return this.queueDepth < this.#o.maxQueue || this.#closing || this.#failed !== null;
  }

  /** Resolves when {@link hasRoom} becomes true. */
  waitForRoom(): Promise<void> {
    if (this.hasRoom) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Wake paused readers if there is room now. */
  notifyRoom(): void {
    if (!this.hasRoom || this.#roomWaiters.length === 0) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Why a request cannot be forwarded at all right now, if it cannot. */
  refusal(method: string): [number, string, unknown] | undefined {
    if (this.#closing) {
      return [ErrorCode.ShuttingDown, `rmcp-mux is shutting down; ${method} was not sent`, {
        service: this.#o.service,
      }];
    }
    if (this.#failed !== null) {
      return [
        ErrorCode.ServerUnavailable,
        `Server "${this.#o.service}" failed: ${this.#failed}. The mux is still running; ` +
        "fix the server command and restart the service (or rmcp-mux)",
        { service: this.#o.service, state: "failed" },
      ];
    }
    return undefined;
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

  /** Queue traffic even while ready, until {@link resume} or the process goes away. */
  hold(): void {
    this.#holding = true;
  }

  /** Stop holding: send what was queued if the server is ready. */
  resume(): void {
    if (!this.#holding) return;
    this.#holding = false;
    if (this.#phase === "ready" && this.#port) this.#flushOutbox();
  }

  detach(reason: string): void {
    this.#holding = false; // what was held goes to the next process, once it is initialized
    this.#port = null;
    this.#phase = "down";
    this.#initResult = null;
    this.#initId = null;
    this.#clearInitTimer();
    const lost = this.#o.pending.removeWhere((entry) => entry.sent);
    for (const entry of lost) {
      this.#o.reply(
        entry,
        errorResponse(
          entry.clientId,
          ErrorCode.ServerUnavailable,
          `Server "${this.#o.service}" exited (${reason}) before answering ${entry.method}; ` +
            "the mux is restarting it. The request was not completed; retry it",
          { service: this.#o.service, reason },
        ),
      );
    }
    if (lost.length > 0) {
      this.#o.log.warn("Failed {count} in-flight requests: server exited ({reason})", {
        count: lost.length,
        reason,
      });
    }
    this.#own.failAll(
      ErrorCode.ServerUnavailable,
      `server "${this.#o.service}" exited (${reason})`,
    );
    this.#o.onGone(reason);
    this.notifyRoom();
  }

  fail(reason: string): void {
    this.#failed = reason;
    this.#phase = "down";
    this.#port = null;
    this.#clearInitTimer();
    this.#failEverything(ErrorCode.ServerUnavailable, this.refusal("the request")![1]);
  }

  shutDown(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#clearInitTimer();
    this.#failEverything(
      ErrorCode.ShuttingDown,
      "rmcp-mux is shutting down; the request was not completed",
    );
  }

  // ── Traffic ─────────────────────────────────────────────────────────────

  /** Send now if ready, else hold until the server is initialized. */
  send(line: string, entry?: PendingEntry<ClientSession>, session?: ClientSession): void {
    if (this.#phase === "ready" && this.#port && !this.#holding) {
      this.#port.send(line);
      if (entry) entry.sent = true;
      return;
    }
    this.#hold({ line, entry, session });
  }

  /**
   * A request of the mux's own. Never rejects: failures (server gone,
   * timeout, shutdown) resolve to an error response.
   */
  request(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<
    JsonRpcResponse
  > {
    const refusal = this.refusal(method);
    if (refusal) return Promise.resolve(errorResponse(null, ...refusal));
    const { id, deadline, answer } = this.#own.add(
      method,
      timeoutMs ?? this.#o.requestTimeoutMs,
      this.#o.now(),
    );
    const line = JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    this.#o.armSweep(deadline);
    if (this.#phase === "ready" && this.#port && !this.#holding) this.#port.send(line);
    else this.#hold({ line, internalId: id });
    return answer;
  }

  /** Tell the server to stop working on a request. */
  cancel(upstreamId: number, reason: unknown): void {
    if (this.#phase !== "ready" || !this.#port) return;
    const params: Record<string, unknown> = { requestId: upstreamId };
    if (typeof reason === "string") params.reason = reason;
    this.#port.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params }));
  }

  /** Forget a departed client: cancel its work upstream, drop what it had queued. */
  dropClient(session: ClientSession): void {
    for (const entry of this.#o.pending.removeClient(session)) {
      if (entry.sent) this.cancel(entry.upstreamId, "client disconnected");
    }
    this.#initWaiters = this.#initWaiters.filter((w) => w.session !== session);
    this.#outbox = this.#outbox.filter((item) => item.session !== session);
    this.notifyRoom();
  }

  /** A client's `initialize`: answered from the cached upstream result. */
  initializeClient(session: ClientSession, request: JsonRpcRequest): void {
    const refusal = this.refusal("initialize");
    if (refusal) return this.#o.reply(session.target, errorResponse(request.id, ...refusal));
    if (this.#phase === "ready") return this.#answerInitialize(session, request);
    const deadline = this.#o.deadline();
    this.#initWaiters.push({ session, request, deadline });
    this.#o.armSweep(deadline);
    if (this.#phase === "init_failed") this.#beginInit();
    if (!this.#port) this.#o.onDemand();
  }

  /** Why the server is not ready, in words (for health and errors). */
  notReadyReason(): string {
    return this.#phase === "init_failed" && this.#initError
      ? `server "${this.#o.service}" is running but ${this.#initError}`
      : describeServerState(this.#o.service, this.#state, this.#o.now());
  }

  /** The supervisor's latest view of the process. */
  get state(): ServerState {
    return this.#state;
  }

  /** The server's `serverInfo`, once initialized. */
  get serverInfo(): unknown {
    return this.#initResult?.serverInfo ?? null;
  }

  /** True once the mux is shutting down. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Send a message the server is owed (answers to its own requests). */
  answerServer(message: unknown): void {
    this.#port?.send(JSON.stringify(message));
  }

  /** A response to one of the mux's own requests (string ids). */
  onInternalResponse(id: string, response: JsonRpcResponse): void {
    if (id === this.#initId) return this.#onInitResponse(response);
    if (!this.#own.resolve(id, response)) {
      this.#o.log.debug("Response for unknown request {id}; dropped", { id });
    }
  }

  /** The server wrote a message over the size limit: fail its request if it was one. */
  onOversizedMessage(bytes: number, id: JsonRpcId | null): void {
    this.#o.log.warn("Server wrote a {bytes}-byte message, over the limit; discarded", { bytes });
    const entry = typeof id === "number" ? this.#o.pending.take(id) : undefined;
    if (!entry) return;
    this.#o.reply(
      entry,
      errorResponse(
        entry.clientId,
        ErrorCode.MessageTooLarge,
        `Server "${this.#o.service}" answered ${entry.method} with ${bytes} bytes, over the ` +
          "mux's limit (--max-response-bytes); the answer was discarded",
        { service: this.#o.service, bytes },
      ),
    );
  }

  /** Expire waiters past their deadline; returns the next deadline. */
  sweep(now: number): number {
    let next = Infinity;
    const keep: InitWaiter[] = [];
    for (const waiter of this.#initWaiters) {
      if (waiter.deadline > now) {
        keep.push(waiter);
        next = Math.min(next, waiter.deadline);
        continue;
      }
      this.#o.reply(
        waiter.session.target,
        errorResponse(
          waiter.request.id,
          ErrorCode.RequestTimeout,
          `Timed out waiting for ${describeServerState(this.#o.service, this.#state, now)} ` +
            "to become ready",
          { service: this.#o.service, state: this.#state.phase },
        ),
      );
    }
    this.#initWaiters = keep;
    next = Math.min(next, this.#own.expire(now));
    return next;
  }

  // ── Internals ───────────────────────────────────────────────────────────

  #hold(item: OutboxItem): void {
    this.#outbox.push(item);
    if (this.#phase === "init_failed") this.#beginInit();
    if (!this.#port) this.#o.onDemand();
  }

  #beginInit(): void {
    if (!this.#port || this.#phase === "initializing") return;
    this.#phase = "initializing";
    this.#initError = null;
    this.#initId = this.#own.nextId("init");
    this.#port.send(JSON.stringify({
      jsonrpc: "2.0",
      id: this.#initId,
      method: "initialize",
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: this.#o.capabilities,
        clientInfo: this.#o.clientInfo,
      },
    }));
    this.#clearInitTimer();
    this.#initTimer = setTimeout(() => {
      this.#initTimer = undefined;
      const reason = `it did not answer initialize within ${this.#o.initTimeoutMs / 1000} s`;
      this.#o.log.error("Server {service} is stuck: {reason}; restarting it", {
        service: this.#o.service,
        reason,
      });
      this.#o.onUpstreamBroken(reason);
    }, this.#o.initTimeoutMs);
  }

  #onInitResponse(response: JsonRpcResponse): void {
    this.#clearInitTimer();
    this.#initId = null;
    const result = isErrorResponse(response) ? undefined : response.result;
    if (
      !result || typeof result.protocolVersion !== "string" ||
      typeof result.capabilities !== "object" || result.capabilities === null
    ) {
      const why = isErrorResponse(response)
        ? `rejected initialize: ${response.error.message} (code ${response.error.code})`
        : "answered initialize without a protocolVersion and capabilities";
      return this.#initFailed(why);
    }
    this.#initResult = result;
    this.#phase = "ready";
    this.#generation++;
    this.#port!.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    const info = result.serverInfo as { name?: string; version?: string } | undefined;
    this.#o.log.info("Server initialized: {name} {version}, protocol {protocol}", {
      name: info?.name ?? "?",
      version: info?.version ?? "?",
      protocol: result.protocolVersion,
    });
    const restarted = this.#generation > 1;
    this.#o.onReady(restarted);
    this.#flushOutbox();
    const waiters = this.#initWaiters;
    this.#initWaiters = [];
    for (const waiter of waiters) this.#answerInitialize(waiter.session, waiter.request);
    if (restarted) this.#announceListChanges();
  }

  #initFailed(why: string): void {
    this.#phase = "init_failed";
    this.#initError = why;
    this.#o.log.error("Server {service} {why}", { service: this.#o.service, why });
    const message = `Server "${this.#o.service}" ${why}`;
    const data = { service: this.#o.service, state: "init_failed" };
    const waiters = this.#initWaiters;
    this.#initWaiters = [];
    for (const w of waiters) {
      this.#o.reply(
        w.session.target,
        errorResponse(w.request.id, ErrorCode.ServerUnavailable, message, data),
      );
    }
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const item of outbox) {
      if (item.internalId) {
        this.#own.fail(item.internalId, ErrorCode.ServerUnavailable, message, data);
        continue;
      }
      if (!item.entry || this.#o.pending.take(item.entry.upstreamId) !== item.entry) continue;
      this.#o.reply(
        item.entry,
        errorResponse(item.entry.clientId, ErrorCode.ServerUnavailable, message, data),
      );
    }
    this.notifyRoom();
  }

  #answerInitialize(session: ClientSession, request: JsonRpcRequest): void {
    if (session.closed) return;
    const result = this.#initResult!;
    const params = request.params ?? {};
    const version = negotiateVersion(params.protocolVersion, result.protocolVersion as string);
    session.hello = {
      protocolVersion: String(params.protocolVersion ?? ""),
      capabilities: (params.capabilities ?? {}) as Record<string, unknown>,
      clientInfo: (params.clientInfo ?? {}) as ClientHello["clientInfo"],
    };
    session.protocolVersion = version;
    const capabilities = serverCapabilitiesFor(
      version,
      result.capabilities as Record<string, unknown>,
    );
    this.#o.reply(
      session.target,
      resultResponse(request.id, { ...result, protocolVersion: version, capabilities }),
    );
    this.#o.log.info("{client} initialized (protocol {version})", {
      client: session.label,
      version,
    });
  }

  #flushOutbox(): void {
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const item of outbox) {
      if (item.entry) {
        // Skip requests cancelled, timed out or abandoned while held.
        if (this.#o.pending.get(item.entry.upstreamId) !== item.entry) continue;
        item.entry.sent = true;
      } else if (item.session?.closed) {
        continue;
      } else if (item.internalId && !this.#own.has(item.internalId)) {
        continue;
      }
      this.#port!.send(item.line);
    }
    this.notifyRoom();
  }

  #announceListChanges(): void {
    // The new process may list different things; tell clients to refresh.
    const capabilities = this.serverCapabilities;
    for (const kind of ["tools", "prompts", "resources"] as const) {
      const cap = capabilities[kind] as { listChanged?: boolean } | undefined;
      if (!cap?.listChanged) continue;
      const line = JSON.stringify({ jsonrpc: "2.0", method: `notifications/${kind}/list_changed` });
      for (const session of this.#o.sessions) {
        if (session.initialized && !session.closed) session.port.send(line);
      }
    }
  }

  #failEverything(code: number, message: string): void {
    const data = { service: this.#o.service };
    for (const entry of this.#o.pending.removeWhere(() => true)) {
      this.#o.reply(entry, errorResponse(entry.clientId, code, message, data));
    }
    const waiters = this.#initWaiters;
    this.#initWaiters = [];
    for (const w of waiters) {
      this.#o.reply(w.session.target, errorResponse(w.request.id, code, message, data));
    }
    this.#outbox = [];
    this.#own.failAll(code, message);
    this.notifyRoom();
  }

  #clearInitTimer(): void {
    if (this.#initTimer !== undefined) clearTimeout(this.#initTimer);
    this.#initTimer = undefined;
  }
}
