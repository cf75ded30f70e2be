/**
 * The router: many client sessions on one side, one upstream server on the
 * other. Pure logic — it sees serialized lines and ports, never sockets or
 * processes — so every routing rule is testable in memory. Messages are
 * dispatched by direction (`client_messages.ts`, `server_messages.ts`) to
 * small units, one per rule; `docs/routing.md` is the contract.
 *
 * The path of one client request, file by file (answers retrace it):
 *
 * 1. `server/accept_loop.ts` accepts the socket; `server/connection.ts`
 *    reads it into `jsonrpc/framing.ts`'s `LineDecoder` and hands each
 *    line to {@link Router.receive} (pausing while `hasRoom` is false).
 * 2. `client_messages.ts` parses and classifies it (`jsonrpc/message.ts`);
 *    `tools/call` and the like reach `#forward`, which records it in
 *    `client_to_server.ts` under a fresh upstream id and splices that id
 *    into the client's own text (`jsonrpc/splice.ts`).
 * 3. `upstream_link.ts` writes it to the current process, or holds it in
 *    `outbox.ts` until the process has answered the mux's `initialize`.
 * 4. `upstream/child_process.ts` queues the line on the server's stdin
 *    (`transport/line_writer.ts`, one write per burst).
 * 5. The answer comes back on stdout through `readLines` and the
 *    supervisor (`upstream/supervisor.ts`) to {@link Router.upstreamReceive};
 *    `server_messages.ts` takes its entry out of `client_to_server.ts` and
 *    splices the client's id back into the server's text.
 * 6. `#reply` below sends it to the session's port; `server/connection.ts`
 *    writes it to the socket through its own `LineWriter`.
 *
 * When the client or the server speaks MCP 2026-07-28, `translate_feature.ts`
 * adds or strips the `_meta` envelope in step 2 and makes the answer fit its
 * client in step 5; `input_required` rounds go to `mrtr_shim_feature.ts`
 * (legacy client) or come from `mrtr_bridge_feature.ts` (legacy server), and
 * `subscriptions/listen` streams live in `listens_feature.ts`. None of it
 * runs between a legacy client and a legacy server.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { type LineEvent, recoverId } from "../jsonrpc/framing.ts";
import { errorResponse, type JsonRpcId, type JsonRpcResponse } from "../jsonrpc/message.ts";
import { muxLogger } from "../log/logger.ts";
import { CallbacksFeature } from "./callbacks_feature.ts";
import { MuxToClientTable } from "./mux_to_client.ts";
import { type Clock, systemClock } from "./clock.ts";
import { ClientMessages, type Gated, requestOf } from "./client_messages.ts";
import type { Features, RouterContext, Target } from "./context.ts";
import type { UpstreamEraSetting } from "./eras.ts";
import { type HealthOutcome, serverHealth } from "./health_feature.ts";
import { ListensFeature } from "./listens_feature.ts";
import { Liveness, type LivenessSettings } from "./liveness.ts";
import type { McpLogLevel } from "./log_levels.ts";
import type { Root } from "./roots.ts";
import { LoggingFeature } from "./logging_feature.ts";
import { MrtrBridgeFeature } from "./mrtr_bridge_feature.ts";
import { LegacyShimFeature } from "./mrtr_shim_feature.ts";
import { type LatencySummary, LatencyWindow } from "./metrics.ts";
import { ClientToServerTable, type PendingEntry } from "./client_to_server.ts";
import { ResourcesFeature } from "./resources_feature.ts";
import { RootsFeature, type RootsPolicy } from "./roots_feature.ts";
import { SerialGate } from "./serial_gate.ts";
import { ServerMessages } from "./server_messages.ts";
import {
  type ClientPort,
  ClientSession,
  type ClientTransport,
  MAX_WAITING_LINES,
} from "./session.ts";
import type { ServerState } from "./server_state.ts";
import { Sweeper } from "./sweeper.ts";
import { TasksFeature } from "./tasks_feature.ts";
import { TranslateFeature } from "./translate_feature.ts";
import { UpstreamLink, type UpstreamLinkOptions, type UpstreamPort } from "./upstream_link.ts";

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
  /** Which protocol era to speak to the server (default `auto`). */
  upstreamEra?: UpstreamEraSetting;
  /** Unguessable ids (URL elicitation ids, MRTR handles); default `crypto.randomUUID`. */
  newId?: () => string;
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
  /** Numbers for new sessions (a pool's routers share one counter); default: the router's own. */
  nextSessionId?: () => number;
  /** A latency window shared by a pool's routers (they report as one service). */
  latencies?: LatencyWindow;
  /** What clients' roots mean: merged for the server (default), or handed to a pool. */
  roots?: RootsPolicy;
  /** The last client left (probes do not count): for idle shutdown. */
  onIdle?: () => void;
  /** The liveness probe (pings a silent server with requests in flight); off when absent. */
  liveness?: LivenessSettings;
  /** The liveness probe's pings went unanswered: the server is unresponsive. */
  onUnresponsive?: (reason: string) => void;
  /** An unresponsive server answered again. */
  onResponsive?: () => void;
  /** The status snapshot answered to `rmcp-mux/status` (default: the router's counters). */
  status?: () => Record<string, unknown>;
  /** Time and timers (default: the system clock); tests pass a fake one. */
  clock?: Clock;
  /** Logger (defaults to the `rmcp-mux.router` category). */
  logger?: Logger;
}

/** What a client takes along when it moves from one process (router) to another. */
export interface Carried {
  /** Its roots, when already known (asked before it joined). */
  roots?: Root[];
  /** It was asked for its roots and answered with an error, or not at all: ask again later. */
  rootsUnknown?: "error" | "timeout";
  /** The log level it set. */
  level?: McpLogLevel;
  /** The resources it is subscribed to. */
  uris?: string[];
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
  /** The server's protocol era (`null` before its first handshake). */
  upstreamEra: "legacy" | "modern" | null;
  /** Connected clients by protocol era (`unknown`: not pinned yet). */
  clientEras: { legacy: number; modern: number; unknown: number };
  /** Rate and latency of the last minute's answers. */
  latency: LatencySummary;
}

/** Routes MCP traffic between client sessions and one upstream server. */
export class Router {
  readonly #options: RouterOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #sessions = new Set<ClientSession>();
  readonly #pending: ClientToServerTable<ClientSession>;
  readonly #calls = new MuxToClientTable<ClientSession>();
  readonly #latencies: LatencyWindow;
  readonly #upstream: UpstreamLink;
  readonly #sweeper: Sweeper;
  readonly #liveness: Liveness | undefined;
  readonly #features: Features;
  readonly #ctx: RouterContext;
  #gate: SerialGate<ClientSession, Gated> | undefined;
  /** The link's options: timeouts are changed there, live. */
  readonly #linkOptions: UpstreamLinkOptions;
  readonly #fromClients: ClientMessages;
  readonly #fromServer: ServerMessages;
  #nextSessionId = 1;
  #modernClients = 0;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];

  constructor(options: RouterOptions) {
    this.#options = { ...options };
    this.#log = options.logger ?? muxLogger("router", options.service);
    const clock = options.clock ?? systemClock;
    this.#now = () => clock.now();
    this.#gate = options.serialize ? new SerialGate() : undefined;
    this.#latencies = options.latencies ?? new LatencyWindow();
    this.#pending = new ClientToServerTable({ onClientIdle: (s) => this.#releaseGate(s) });
    this.#sweeper = new Sweeper(clock, (now) => this.#sweep(now));
    this.#linkOptions = {
      service: options.service,
      clientInfo: options.clientInfo,
      capabilities: MUX_CLIENT_CAPABILITIES,
      era: options.upstreamEra ?? "auto",
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
      adaptHeld: (message) => this.#features.translate.adaptHeld(message),
    };
    this.#upstream = new UpstreamLink(this.#linkOptions);
    this.#liveness = options.liveness?.enabled ? this.#livenessProbe(options.liveness) : undefined;
    const ctx: RouterContext = {
      service: options.service,
      log: this.#log,
      now: this.#now,
      clock,
      sessions: this.#sessions,
      pending: this.#pending,
      upstream: this.#upstream,
      calls: this.#calls,
      latencies: this.#latencies,
      reply: (target, message, text) => this.#reply(target, message, text),
      notify: (session, message) => this.#notify(session, message),
      requestClient: (session, method, params) =>
        this.#askClient(session, method, params, CLIENT_REQUEST_TIMEOUT_MS).answer,
      askClient: (session, method, params, timeoutMs) =>
        this.#askClient(session, method, params, timeoutMs),
      cancelAsk: (session, id, reason) => this.#cancelAsk(session, id, reason),
      modernClients: () => this.#modernClients,
      pinModern: (session) => {
        if (session.era === "modern") return;
        session.era = "modern";
        this.#modernClients++;
      },
      deadline: () => this.#deadline(),
      armSweep: (deadline) => this.#sweeper.arm(deadline),
      watchUpstream: () => this.#liveness?.watch(),
      settled: (session) => this.#settled(session),
      status: () => options.status?.() ?? { ...this.stats() },
    };
    this.#ctx = ctx;
    const tasks = new TasksFeature(ctx);
    const logging = new LoggingFeature(ctx);
    const newId = options.newId ?? (() => crypto.randomUUID());
    const shim = new LegacyShimFeature(ctx, logging, newId);
    const listens = new ListensFeature(ctx, () => this.#features);
    const bridge = new MrtrBridgeFeature(ctx, newId);
    this.#features = {
      resources: new ResourcesFeature(ctx, () => listens),
      logging,
      roots: new RootsFeature(ctx, options.roots),
      tasks,
      callbacks: new CallbacksFeature(ctx, tasks, bridge),
      translate: new TranslateFeature(ctx, { logging, shim, listens, bridge }),
      shim,
      listens,
      bridge,
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
  connect(port: ClientPort, transport: ClientTransport = "socket"): ClientSession {
    const id = this.#options.nextSessionId?.() ?? this.#nextSessionId++;
    const session = new ClientSession(id, port, transport, this.#now());
    this.#sessions.add(session);
    return session;
  }

  /**
   * Take in a client that connected elsewhere (a pool binds it to this
   * router's process once it knows which): admitted, perhaps already
   * initialized, with what it carries from another process (its roots, log
   * level and subscriptions). Lines it sent meanwhile are then fed to
   * {@link receive} by the caller, in order. Returns true when its roots
   * changed what the server is told (the server will ask again).
   */
  adopt(session: ClientSession, carried: Carried = {}): boolean {
    if (session.closed) return false;
    if (this.#sessions.has(session)) {
      // Already here (its process re-keyed for new roots): only its roots change.
      return carried.roots !== undefined && this.#features.roots.adopt(session, carried.roots);
    }
    this.#sessions.add(session);
    if (session.era === "modern") this.#modernClients++;
    const f = this.#features;
    if (carried.level !== undefined) f.logging.adopt(session, carried.level);
    if (carried.uris?.length) f.resources.adopt(session, carried.uris);
    if (carried.rootsUnknown) f.roots.unknown(session, carried.rootsUnknown === "timeout");
    return carried.roots !== undefined && f.roots.adopt(session, carried.roots);
  }

  /**
   * Let a client go to another process without closing it: what it held here
   * is released (the last subscriber unsubscribes upstream), and what it
   * should carry is returned. Call it only when the client has nothing in flight.
   */
  release(session: ClientSession): Carried {
    const f = this.#features;
    const carried: Carried = {};
    const level = f.logging.levelOf(session);
    if (level !== undefined) carried.level = level;
    const uris = f.resources.urisOf(session);
    if (uris.length > 0) carried.uris = uris;
    this.#forget(session);
    return carried;
  }

  /** Clients connected, probes not counted. */
  get clientCount(): number {
    let count = 0;
    for (const session of this.#sessions) if (session.counted) count++;
    return count;
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
        if (session.admitted) this.#fromClients.line(session, event.text, event.value);
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
    this.#forget(session);
    session.openRequests = 0;
    this.#settled(session);
    this.#log.debug("{client} disconnected", { client: session.label });
  }

  #forget(session: ClientSession): void {
    if (!this.#sessions.delete(session)) return;
    if (session.era === "modern") this.#modernClients--;
    if (this.#gate) this.#advanceGate(this.#gate.drop(session).next);
    this.#upstream.dropClient(session);
    const f = this.#features;
    f.callbacks.release(session);
    f.shim.release(session);
    f.bridge.release(session);
    f.listens.release(session);
    f.resources.release(session);
    f.logging.release(session);
    f.roots.release(session);
    f.tasks.release(session);
    if (session.counted && this.clientCount === 0) this.#options.onIdle?.();
  }

  /** True while the queue toward the server has room: clients may be read. */
  get hasRoom(): boolean {
    return this.#upstream.hasRoom;
  }

  /** {@link hasRoom}: one queue toward the server for every client. */
  hasRoomFor(_session: ClientSession): boolean {
    return this.#upstream.hasRoom;
  }

  /** Resolves when the queue toward the server has room again. */
  waitForRoom(_session?: ClientSession): Promise<void> {
    return this.#upstream.waitForRoom();
  }

  // ── Upstream side (driven by the supervisor) ────────────────────────────

  /** A new server process is up: initialize it, then release queued traffic. */
  attachUpstream(port: UpstreamPort): void {
    this.#liveness?.reset();
    this.#upstream.attach(port);
  }

  /** One framing event from the server's stdout. */
  upstreamReceive(event: LineEvent): void {
    this.#liveness?.heard();
    switch (event.kind) {
      case "line":
        return this.#fromServer.line(event.text);
      case "invalid_utf8":
        this.#log.warn("Server wrote {bytes} bytes of invalid UTF-8 to stdout; skipped", {
          bytes: event.bytes,
        });
        return;
      case "too_long":
        return this.#fromServer.oversized(event.bytes, recoverId(event.head, event.tail));
    }
  }

  /** The upstream wrote some of its queue: readers may resume. */
  upstreamProgress(): void {
    this.#upstream.notifyRoom();
  }

  /** The server process is gone: fail what it was handling; hold the rest for the next one. */
  detachUpstream(reason: string): void {
    this.#liveness?.reset();
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

  /** The connected clients, in the order they connected. */
  clients(): readonly ClientSession[] {
    return [...this.#sessions];
  }

  /** The server's `initialize` result, once this process is initialized. */
  get handshake(): Record<string, unknown> | null {
    return this.#upstream.initResult;
  }

  /** True once the current process has answered the mux's `initialize`. */
  get ready(): boolean {
    return this.#upstream.ready;
  }

  /** Resolves true once the server is initialized, false at `deadline` or when it fails. */
  whenReady(deadline = Infinity): Promise<boolean> {
    return this.#upstream.whenReady(deadline);
  }

  /** The health check {@link serverHealth} runs for `rmcp-mux/health`, as an outcome. */
  health(waitMs = 0): Promise<HealthOutcome> {
    return Promise.resolve(serverHealth(this.#ctx, waitMs));
  }

  /** How many times the server asked for roots (it uses them when above 0). */
  get rootsAsked(): number {
    return this.#features.roots.serverAsked;
  }

  /** Resolves once the server has been given this client's roots (it asked after they joined). */
  rootsDelivered(session: ClientSession): Promise<void> {
    return this.#features.roots.whenDelivered(session);
  }

  /** Counters for status. */
  stats(): RouterStats {
    let connected = 0;
    let active = 0;
    const clientEras = { legacy: 0, modern: 0, unknown: 0 };
    for (const session of this.#sessions) {
      if (!session.counted) continue;
      connected++;
      if (session.admitted) active++;
      clientEras[session.era ?? "unknown"]++;
    }
    return {
      connectedClients: connected,
      activeClients: active,
      pendingRequests: this.#pending.size,
      queueDepth: this.#upstream.queueDepth,
      upstreamReady: this.#upstream.ready,
      subscriptions: this.#features.resources.activeUris.length,
      requestsTotal: this.#latencies.total,
      upstreamEra: this.#upstream.era,
      clientEras,
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

  /**
   * What status should warn about: roots of several projects merged into
   * this one process (shared isolation with a server that uses roots).
   */
  warnings(): string[] {
    const projects = this.#features.roots.mergedProjects();
    return projects >= 2
      ? [`roots from ${projects} projects are merged; consider isolation: roots`]
      : [];
  }

  /** Rate and latency of the answers of the last `windowMs`. */
  latencyOver(windowMs: number): LatencySummary {
    return this.#latencies.summary(this.#now(), windowMs);
  }

  /** Stop routing: every open request gets a "shutting down" error. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#features.listens.closeAll();
    this.#features.shim.close();
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
      // (A modern server has neither: levels travel per request, streams are re-opened below.)
      this.#features.logging.reapply();
      if (!this.#upstream.modern) this.#features.resources.reapply();
      this.#features.roots.reapply();
    }
    this.#features.listens.onUpstreamReady(restarted);
    this.#options.onUpstreamReady?.();
  }

  #onUpstreamGone(reason: string): void {
    this.#features.callbacks.forget(reason);
    this.#features.tasks.forget();
    this.#features.listens.onUpstreamGone();
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
    // A modern client's call answered `input_required` while the server works on: kept for its retry.
    if ((target as PendingEntry<ClientSession>).era?.parked) {
      return this.#features.bridge.onParkedOutcome(target as PendingEntry<ClientSession>, message);
    }
    const session = target.client;
    if (target.batch) target.batch.fill(target.batch.index, message);
    else if (session.port.reply && !session.closed) {
      session.port.reply(message.id, text ?? JSON.stringify(message));
    } else this.#notify(session, text ?? message);
    if (session.openRequests > 0) session.openRequests--;
    this.#settled(session);
  }

  #askClient(
    session: ClientSession,
    method: string,
    params: Record<string, unknown> | undefined,
    timeoutMs: number,
  ): { id: number; answer: Promise<JsonRpcResponse> } {
    let id = 0;
    const answer = new Promise<JsonRpcResponse>((resolve) => {
      const deadline = this.#now() + timeoutMs;
      id = this.#calls.add(session, { kind: "internal", method, resolve, deadline });
      this.#sweeper.arm(deadline);
      this.#notify(session, { jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    });
    return { id, answer };
  }

  #cancelAsk(session: ClientSession, id: JsonRpcId, reason: string): void {
    if (!this.#calls.take(session, id)) return;
    this.#notify(session, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id, reason },
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
    // Handles first: their held calls are cancelled with their questions answered.
    const handles = this.#features.bridge.sweep(now);
    for (const entry of this.#pending.removeWhere((e) => e.deadline <= now)) this.#expire(entry);
    for (const call of this.#calls.expire(now)) {
      call.resolve(errorResponse(null, ErrorCode.RequestTimeout, `no answer to ${call.method}`));
    }
    return Math.min(
      this.#pending.nextDeadline(),
      this.#calls.nextDeadline(),
      this.#upstream.sweep(now),
      this.#liveness?.check(now) ?? Infinity,
      handles,
    );
  }

  #livenessProbe(settings: LivenessSettings): Liveness {
    return new Liveness(settings, {
      now: this.#now,
      busy: () => this.#upstream.ready && this.#pending.size > 0,
      ping: (timeoutMs) => this.#upstream.request("ping", undefined, timeoutMs),
      arm: (deadline) => this.#sweeper.arm(deadline),
      onUnresponsive: (reason) => {
        this.#log.error("Server {service} is unresponsive: {reason}", {
          service: this.#options.service,
          reason,
        });
        this.#options.onUnresponsive?.(reason);
      },
      onResponsive: () => {
        this.#log.info("Server {service} answers again", { service: this.#options.service });
        this.#options.onResponsive?.();
      },
    });
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
