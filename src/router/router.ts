/**
 * The router: many client sessions on one side, one upstream server on the
 * other. Pure logic — it sees serialized lines and ports, never sockets or
 * processes — so every routing rule is testable in memory. Messages are
 * dispatched by direction (`client_messages.ts`, `server_messages.ts`) to
 * small units, one per rule; `docs/routing.md` is the contract.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { type LineEvent, recoverId } from "../jsonrpc/framing.ts";
import { errorResponse, type JsonRpcResponse } from "../jsonrpc/message.ts";
import { muxLogger } from "../log/logger.ts";
import { CallbacksFeature } from "./callbacks_feature.ts";
import { ClientCalls } from "./client_calls.ts";
import { ClientMessages, type Gated, requestOf } from "./client_messages.ts";
import type { Features, RouterContext, Target } from "./context.ts";
import { LoggingFeature } from "./logging_feature.ts";
import { type LatencySummary, LatencyWindow } from "./metrics.ts";
import { type PendingEntry, PendingTable } from "./pending.ts";
import { ResourcesFeature } from "./resources_feature.ts";
import { RootsFeature } from "./roots_feature.ts";
import { SerialGate } from "./serial_gate.ts";
import { ServerMessages } from "./server_messages.ts";
import { type ClientPort, ClientSession, MAX_WAITING_LINES } from "./session.ts";
import type { ServerState } from "./server_state.ts";
import { Sweeper } from "./sweeper.ts";
import { TasksFeature } from "./tasks_feature.ts";
import { UpstreamLink, type UpstreamLinkOptions, type UpstreamPort } from "./upstream_link.ts";

export { HEALTH_METHOD, STATUS_METHOD } from "../jsonrpc/mux_methods.ts";

/** In-flight upstream requests allowed at once; beyond it a request gets "mux overloaded". */
export const MAX_PENDING = 4096;
/** Messages queued toward the server; beyond it the mux stops reading from clients. */
export const MAX_QUEUE = 1024;
/** How long a client may take to answer a request of the mux's own (its roots). */
export const CLIENT_REQUEST_TIMEOUT_MS = 10_000;

/** Client capabilities the mux declares upstream: it can route all of these. */
export const MUX_CLIENT_CAPABILITIES: Record<string, unknown> = {
  roots: { listChanged: true },
  sampling: { tools: {} },
  elicitation: { form: {}, url: {} },
};

/** Settings of a {@link Router}. */
export interface RouterOptions {
  /** Service name, for logs and error messages. */
  service: string;
  /** Give up on a request after this long without an answer or progress; 0 = never. */
  requestTimeoutMs: number;
  /** How long the upstream may take to answer the mux's `initialize`. */
  initTimeoutMs: number;
  /** Name and version the mux introduces itself with upstream. */
  clientInfo: { name: string; version: string };
  /** Only one client's requests upstream at a time (exact callback attribution). */
  serialize?: boolean;
  /** Override {@link MAX_PENDING}. */
  maxPending?: number;
  /** Override {@link MAX_QUEUE}. */
  maxQueue?: number;
  /** Called when the upstream must be restarted (e.g. it never answered `initialize`). */
  onUpstreamBroken?: (reason: string) => void;
  /** Called each time a new upstream process finished initializing. */
  onUpstreamReady?: () => void;
  /** Called when a client needs the server and none is attached (used for lazy start). */
  onDemand?: () => void;
  /** The status snapshot answered to `rmcp-mux/status` (default: the router's counters). */
  status?: () => Record<string, unknown>;
  /** Clock, for tests. */
  now?: () => number;
  /** Logger (defaults to the `rmcp-mux.router` category). */
  logger?: Logger;
}

/** Counters for status and health. */
export interface RouterStats {
  connectedClients: number;
  activeClients: number;
  pendingRequests: number;
  queueDepth: number;
  upstreamReady: boolean;
  subscriptions: number;
  /** Answers since start. */
  requestsTotal: number;
  /** Rate and latency of the last minute's answers. */
  latency: LatencySummary;
}

/** Routes MCP traffic between client sessions and one upstream server. */
export class Router {
  readonly #options: RouterOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #sessions = new Set<ClientSession>();
  readonly #pending: PendingTable<ClientSession>;
  readonly #calls = new ClientCalls<ClientSession>();
  readonly #latencies = new LatencyWindow();
  readonly #upstream: UpstreamLink;
  readonly #sweeper: Sweeper;
  readonly #features: Features;
  #gate: SerialGate<ClientSession, Gated> | undefined;
  /** The link's options: timeouts are changed there, live. */
  readonly #linkOptions: UpstreamLinkOptions;
  readonly #fromClients: ClientMessages;
  readonly #fromServer: ServerMessages;
  #nextSessionId = 1;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];

  constructor(options: RouterOptions) {
    this.#options = { ...options };
    this.#log = options.logger ?? muxLogger("router", options.service);
    this.#now = options.now ?? Date.now;
    this.#gate = options.serialize ? new SerialGate() : undefined;
    this.#pending = new PendingTable({ onClientIdle: (s) => this.#releaseGate(s) });
    this.#sweeper = new Sweeper(this.#now, (now) => this.#sweep(now));
    this.#linkOptions = {
      service: options.service,
      clientInfo: options.clientInfo,
      capabilities: MUX_CLIENT_CAPABILITIES,
      initTimeoutMs: options.initTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      maxQueue: options.maxQueue ?? MAX_QUEUE,
      log: this.#log,
      now: this.#now,
      deadline: () => this.#deadline(),
      pending: this.#pending,
      sessions: this.#sessions,
      reply: (target, message) => this.#reply(target, message),
      armSweep: (deadline) => this.#sweeper.arm(deadline),
      onUpstreamBroken: (reason) => options.onUpstreamBroken?.(reason),
      onReady: (restarted) => this.#onUpstreamReady(restarted),
      onGone: (reason) => this.#onUpstreamGone(reason),
      onDemand: () => options.onDemand?.(),
    };
    this.#upstream = new UpstreamLink(this.#linkOptions);
    const ctx: RouterContext = {
      service: options.service,
      log: this.#log,
      now: this.#now,
      sessions: this.#sessions,
      pending: this.#pending,
      upstream: this.#upstream,
      calls: this.#calls,
      latencies: this.#latencies,
      reply: (target, message, text) => this.#reply(target, message, text),
      notify: (session, message) => this.#notify(session, message),
      requestClient: (session, method, params) => this.#requestClient(session, method, params),
      deadline: () => this.#deadline(),
      armSweep: (deadline) => this.#sweeper.arm(deadline),
      settled: (session) => this.#settled(session),
      status: () => options.status?.() ?? { ...this.stats() },
    };
    const tasks = new TasksFeature(ctx);
    this.#features = {
      resources: new ResourcesFeature(ctx),
      logging: new LoggingFeature(ctx),
      roots: new RootsFeature(ctx),
      tasks,
      callbacks: new CallbacksFeature(ctx, tasks),
    };
    this.#fromClients = new ClientMessages(
      ctx,
      this.#features,
      () => this.#gate,
      options.maxPending ?? MAX_PENDING,
    );
    this.#fromServer = new ServerMessages(ctx, this.#features);
  }

  // ── Client side ────────────────────────────────────────────────────────

  /** A client connected. It is not admitted yet: see {@link admit}. */
  connect(port: ClientPort): ClientSession {
    const session = new ClientSession(this.#nextSessionId++, port);
    this.#sessions.add(session);
    return session;
  }

  /** The client got a slot: process what it sent while waiting. */
  admit(session: ClientSession): void {
    if (session.closed || session.admitted) return;
    session.admitted = true;
    const waiting = session.waiting;
    session.waiting = [];
    for (const line of waiting) this.#fromClients.line(session, line);
  }

  /** The client never got a slot: answer each waiting request with `message`, then close. */
  reject(session: ClientSession, message: string): void {
    if (session.closed) return;
    const data = { service: this.#options.service };
    let answered = false;
    for (const line of session.waiting) {
      const request = requestOf(line);
      if (!request) continue;
      this.#notify(session, errorResponse(request.id, ErrorCode.TooManyClients, message, data));
      answered = true;
    }
    if (!answered) {
      this.#notify(session, errorResponse(null, ErrorCode.TooManyClients, message, data));
    }
    session.waiting = [];
    session.port.close("no free client slot");
  }

  /** True when the client may be read further (not waiting with a full buffer). */
  canRead(session: ClientSession): boolean {
    return session.admitted || session.waiting.length < MAX_WAITING_LINES;
  }

  /** One framing event from a client. */
  receive(session: ClientSession, event: LineEvent): void {
    if (session.closed) return;
    switch (event.kind) {
      case "line":
        if (session.admitted) this.#fromClients.line(session, event.text);
        else this.#fromClients.waiting(session, event.text);
        return;
      case "invalid_utf8":
        this.#notify(
          session,
          errorResponse(null, ErrorCode.ParseError, "Parse error: the message is not valid UTF-8"),
        );
        return;
      case "too_long":
        this.#log.warn("{client} sent a {bytes}-byte message; it was discarded", {
          client: session.label,
          bytes: event.bytes,
        });
        this.#notify(
          session,
          errorResponse(
            recoverId(event.head, event.tail),
            ErrorCode.MessageTooLarge,
            `Message of ${event.bytes} bytes exceeds the mux's limit; it was discarded ` +
              `(raise --max-request-bytes to allow larger requests)`,
            { service: this.#options.service, bytes: event.bytes },
          ),
        );
        return;
    }
  }

  /** The client is gone: forget it, cancel its work, release what it held. */
  disconnect(session: ClientSession): void {
    if (session.closed) return;
    session.closed = true;
    this.#sessions.delete(session);
    if (this.#gate) this.#advanceGate(this.#gate.drop(session).next);
    this.#upstream.dropClient(session);
    const f = this.#features;
    f.callbacks.release(session);
    f.resources.release(session);
    f.logging.release(session);
    f.roots.release(session);
    f.tasks.release(session);
    session.openRequests = 0;
    this.#settled(session);
    this.#log.debug("{client} disconnected", { client: session.label });
  }

  /** True while the queue toward the server has room: clients may be read. */
  get hasRoom(): boolean {
    return this.#upstream.hasRoom;
  }

  /** Resolves when the queue toward the server has room again. */
  waitForRoom(): Promise<void> {
    return this.#upstream.waitForRoom();
  }

  // ── Upstream side (driven by the supervisor) ────────────────────────────

  /** A new server process is up: initialize it, then release queued traffic. */
  attachUpstream(port: UpstreamPort): void {
    this.#upstream.attach(port);
  }

  /** One framing event from the server's stdout. */
  upstreamReceive(event: LineEvent): void {
    switch (event.kind) {
      case "line":
        return this.#fromServer.line(event.text);
      case "invalid_utf8":
        this.#log.warn("Server wrote {bytes} bytes of invalid UTF-8 to stdout; skipped", {
          bytes: event.bytes,
        });
        return;
      case "too_long":
        return this.#upstream.onOversizedMessage(event.bytes, recoverId(event.head, event.tail));
    }
  }

  /** The upstream wrote some of its queue: readers may resume. */
  upstreamProgress(): void {
    this.#upstream.notifyRoom();
  }

  /** The server process is gone: fail what it was handling; hold the rest for the next one. */
  detachUpstream(reason: string): void {
    this.#upstream.detach(reason);
  }

  /** The supervisor's view of the process, for error messages and health. */
  setServerState(state: ServerState): void {
    this.#upstream.setServerState(state);
  }

  /** The server is down for good (restart budget spent): fail everything now and later. */
  fail(reason: string): void {
    this.#upstream.fail(reason);
  }

  /** Counters for status. */
  stats(): RouterStats {
    let active = 0;
    for (const session of this.#sessions) if (session.admitted) active++;
    return {
      connectedClients: this.#sessions.size,
      activeClients: active,
      pendingRequests: this.#pending.size,
      queueDepth: this.#upstream.queueDepth,
      upstreamReady: this.#upstream.ready,
      subscriptions: this.#features.resources.activeUris.length,
      requestsTotal: this.#latencies.total,
      latency: this.#latencies.summary(this.#now()),
    };
  }

  /**
   * New settings, live: timeouts apply to requests from now on; `serialize`
   * turns the one-client-at-a-time gate on (for requests from now on) or off
   * (what it held is sent at once).
   */
  configure(
    changes: { requestTimeoutMs?: number; initTimeoutMs?: number; serialize?: boolean },
  ): void {
    if (changes.requestTimeoutMs !== undefined) {
      this.#options.requestTimeoutMs = changes.requestTimeoutMs;
      this.#linkOptions.requestTimeoutMs = changes.requestTimeoutMs;
    }
    if (changes.initTimeoutMs !== undefined) {
      this.#options.initTimeoutMs = changes.initTimeoutMs;
      this.#linkOptions.initTimeoutMs = changes.initTimeoutMs;
    }
    if (changes.serialize === undefined || changes.serialize === (this.#gate !== undefined)) return;
    this.#options.serialize = changes.serialize;
    if (changes.serialize) {
      this.#gate = new SerialGate();
      return;
    }
    const held = this.#gate!.drain();
    this.#gate = undefined;
    for (const { line, entry } of held) {
      if (this.#pending.get(entry.upstreamId) === entry) {
        this.#upstream.send(line, entry, entry.client);
      }
    }
  }

  /**
   * Hold new traffic toward the server (it is queued, as during a restart)
   * until the process is replaced or {@link resumeTraffic} is called.
   */
  holdTraffic(): void {
    this.#upstream.hold();
  }

  /** Release traffic held by {@link holdTraffic}. */
  resumeTraffic(): void {
    this.#upstream.resume();
  }

  /** Resolves when no request is being handled by the server (queued ones do not count). */
  whenDrained(): Promise<void> {
    if (!this.#anySent()) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Stop routing: every open request gets a "shutting down" error. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#upstream.shutDown();
    this.#sweeper.close();
  }

  /** Resolves when no client request is open (answered, cancelled or abandoned). */
  whenIdle(): Promise<void> {
    if (this.#openRequests() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  // ── Lifecycle hooks ─────────────────────────────────────────────────────

  #onUpstreamReady(restarted: boolean): void {
    if (restarted) {
      // The new process knows nothing: tell it what the old one knew. The log
      // level first, so nothing below it is logged while the rest is restored.
      this.#features.logging.reapply();
      this.#features.resources.reapply();
      this.#features.roots.reapply();
    }
    this.#options.onUpstreamReady?.();
  }

  #onUpstreamGone(reason: string): void {
    this.#features.callbacks.forget(reason);
    this.#features.tasks.forget();
  }

  // ── Helpers ─────────────────────────────────────────────────────────────

  #deadline(): number {
    const timeout = this.#options.requestTimeoutMs;
    return timeout > 0 ? this.#now() + timeout : Infinity;
  }

  #notify(session: ClientSession, message: unknown): void {
    if (session.closed) return;
    session.port.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  #reply(target: Target, message: JsonRpcResponse, text?: string): void {
    if (target.batch) target.batch.fill(target.batch.index, message);
    else this.#notify(target.client, text ?? message);
    const session = target.client;
    if (session.openRequests > 0) session.openRequests--;
    this.#settled(session);
  }

  #requestClient(
    session: ClientSession,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<JsonRpcResponse> {
    return new Promise((resolve) => {
      const deadline = this.#now() + CLIENT_REQUEST_TIMEOUT_MS;
      const id = this.#calls.add(session, { kind: "internal", method, resolve, deadline });
      this.#sweeper.arm(deadline);
      this.#notify(session, { jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    });
  }

  #releaseGate(session: ClientSession): void {
    this.#advanceGate(this.#gate?.release(session));
  }

  /**
   * Give the turn to `next`. A client whose queued requests were all cancelled
   * or timed out while it waited has nothing to send: pass the turn on at once,
   * or the gate would wait for it forever.
   */
  #advanceGate(next: { client: ClientSession; items: Gated[] } | undefined): void {
    while (next) {
      const live = next.items.filter(({ entry }) => this.#pending.get(entry.upstreamId) === entry);
      for (const { line, entry } of live) this.#upstream.send(line, entry, entry.client);
      if (live.length > 0 || this.#pending.countFor(next.client) > 0) return;
      next = this.#gate!.release(next.client);
    }
  }

  #openRequests(): number {
    let open = 0;
    for (const session of this.#sessions) open += session.openRequests;
    return open;
  }

  #anySent(): boolean {
    for (const entry of this.#pending.values()) if (entry.sent) return true;
    return false;
  }

  #settled(session: ClientSession): void {
    if (this.#drainWaiters.length > 0 && !this.#anySent()) {
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

  /** Expire whatever is past its deadline; returns the next deadline. */
  #sweep(now: number): number {
    for (const entry of this.#pending.removeWhere((e) => e.deadline <= now)) this.#expire(entry);
    for (const call of this.#calls.expire(now)) {
      call.resolve(errorResponse(null, ErrorCode.RequestTimeout, `no answer to ${call.method}`));
    }
    return Math.min(
      this.#pending.nextDeadline(),
      this.#calls.nextDeadline(),
      this.#upstream.sweep(now),
    );
  }

  #expire(entry: PendingEntry<ClientSession>): void {
    const seconds = this.#options.requestTimeoutMs / 1000;
    this.#log.warn("Request {method} from {client} got no answer within {seconds} s; failed it", {
      method: entry.method,
      client: entry.client.label,
      seconds,
    });
    this.#reply(
      entry,
      errorResponse(
        entry.clientId,
        ErrorCode.RequestTimeout,
        `Server "${this.#options.service}" did not answer ${entry.method} within ${seconds} s ` +
          "(--request-timeout-ms); the request was cancelled",
        { service: this.#options.service, timeoutMs: this.#options.requestTimeoutMs },
      ),
    );
    if (entry.sent) this.#upstream.cancel(entry.upstreamId, "rmcp-mux request timeout");
  }
}

export { describeServerState } from "./server_state.ts";
export type { ServerState } from "./server_state.ts";
