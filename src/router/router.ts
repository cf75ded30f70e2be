/**
 * The router: many client sessions on one side, one upstream server on the
 * other. Pure logic — it sees serialized lines and ports, never sockets or
 * processes — so every routing rule is testable in memory. The rules live in
 * small units (`pending`, `subscriptions`, `log_levels`, `roots`,
 * `ownership`, `policy`, `cursors`, `capabilities`); this class dispatches
 * messages to them. `docs/routing.md` is the contract.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { type LineEvent, recoverId } from "../jsonrpc/framing.ts";
import {
  classify,
  errorResponse,
  type JsonRpcId,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import { muxLogger, preview } from "../log/logger.ts";
import { BatchReply } from "./batch.ts";
import { CallbacksFeature } from "./callbacks_feature.ts";
import { notificationAllowed, toolsListFor } from "./capabilities.ts";
import { ClientCalls } from "./client_calls.ts";
import type { RouterContext, Target } from "./context.ts";
import { PAGINATED_METHODS, unwrapCursor, wrapCursor } from "./cursors.ts";
import { LoggingFeature } from "./logging_feature.ts";
import { allowsBatches } from "./negotiate.ts";
import { type PendingEntry, PendingTable } from "./pending.ts";
import { ResourcesFeature } from "./resources_feature.ts";
import { RootsFeature } from "./roots_feature.ts";
import { SerialGate } from "./serial_gate.ts";
import { type ClientPort, ClientSession, MAX_WAITING_LINES } from "./session.ts";
import type { ServerState } from "./server_state.ts";
import { TasksFeature } from "./tasks_feature.ts";
import { UpstreamLink, type UpstreamPort } from "./upstream_link.ts";

/** In-flight upstream requests allowed at once; beyond it a request gets "mux overloaded". */
export const MAX_PENDING = 4096;
/** Messages queued toward the server; beyond it the mux stops reading from clients. */
export const MAX_QUEUE = 1024;
/** Method of the mux's own health check (answered by a real `ping` round trip upstream). */
export const HEALTH_METHOD = "rmcp-mux/health";
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
  /** Clock, for tests. */
  now?: () => number;
  /** Logger (defaults to the `rmcp-mux.router` category). */
  logger?: Logger;
}

/** Counters for status and health. */
export interface RouterStats {
  connectedClients: number;
  activeClients: number;
  initializedClients: number;
  pendingRequests: number;
  queueDepth: number;
  upstreamReady: boolean;
  subscriptions: number;
}

interface Gated {
  line: string;
  entry: PendingEntry<ClientSession>;
}

/** Routes MCP traffic between client sessions and one upstream server. */
export class Router {
  readonly #options: RouterOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #maxPending: number;
  readonly #sessions = new Set<ClientSession>();
  readonly #pending: PendingTable<ClientSession>;
  readonly #calls = new ClientCalls<ClientSession>();
  readonly #upstream: UpstreamLink;
  readonly #ctx: RouterContext;
  readonly #resources: ResourcesFeature;
  readonly #logging: LoggingFeature;
  readonly #roots: RootsFeature;
  readonly #tasks: TasksFeature;
  readonly #callbacks: CallbacksFeature;
  readonly #gate: SerialGate<ClientSession, Gated> | undefined;
  #nextSessionId = 1;
  #requestSeq = 0;
  #sweepTimer: ReturnType<typeof setTimeout> | undefined;
  #sweepAt = Infinity;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: RouterOptions) {
    this.#options = options;
    this.#log = options.logger ?? muxLogger("router", options.service);
    this.#now = options.now ?? Date.now;
    this.#maxPending = options.maxPending ?? MAX_PENDING;
    this.#gate = options.serialize ? new SerialGate() : undefined;
    this.#pending = new PendingTable({ onClientIdle: (s) => this.#releaseGate(s) });
    this.#upstream = new UpstreamLink({
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
      armSweep: (deadline) => this.#armSweep(deadline),
      onUpstreamBroken: (reason) => options.onUpstreamBroken?.(reason),
      onReady: (restarted) => this.#onUpstreamReady(restarted),
      onGone: (reason) => this.#onUpstreamGone(reason),
      onDemand: () => options.onDemand?.(),
    });
    this.#ctx = {
      service: options.service,
      log: this.#log,
      now: this.#now,
      sessions: this.#sessions,
      pending: this.#pending,
      upstream: this.#upstream,
      calls: this.#calls,
      reply: (target, message) => this.#reply(target, message),
      notify: (session, message) => this.#notify(session, message),
      requestClient: (session, method, params) => this.#requestClient(session, method, params),
    };
    this.#resources = new ResourcesFeature(this.#ctx);
    this.#logging = new LoggingFeature(this.#ctx);
    this.#roots = new RootsFeature(this.#ctx);
    this.#tasks = new TasksFeature(this.#ctx);
    this.#callbacks = new CallbacksFeature(this.#ctx, this.#tasks);
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
    for (const line of waiting) this.#onClientLine(session, line);
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
        if (session.admitted) this.#onClientLine(session, event.text);
        else this.#onWaitingLine(session, event.text);
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
    if (this.#gate) {
      const { next } = this.#gate.drop(session);
      if (next) this.#sendGated(next.items);
    }
    this.#upstream.dropClient(session);
    this.#callbacks.release(session);
    this.#resources.release(session);
    this.#logging.release(session);
    this.#roots.release(session);
    this.#tasks.release(session);
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
        return this.#onUpstreamLine(event.text);
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
    let initialized = 0;
    for (const session of this.#sessions) {
      if (session.admitted) active++;
      if (session.initialized) initialized++;
    }
    return {
      connectedClients: this.#sessions.size,
      activeClients: active,
      initializedClients: initialized,
      pendingRequests: this.#pending.size,
      queueDepth: this.#upstream.queueDepth,
      upstreamReady: this.#upstream.ready,
      subscriptions: this.#resources.activeUris.length,
    };
  }

  /** Stop routing: every open request gets a "shutting down" error. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#upstream.shutDown();
    if (this.#sweepTimer !== undefined) clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
  }

  /** Resolves when no client request is open (answered, cancelled or abandoned). */
  whenIdle(): Promise<void> {
    if (this.#openRequests() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  // ── Client messages ─────────────────────────────────────────────────────

  #onWaitingLine(session: ClientSession, text: string): void {
    // A waiting client still gets `ping` and health answers: both cost the server nothing.
    const request = requestOf(text);
    if (request?.method === "ping") return this.#notify(session, resultResponse(request.id, {}));
    if (request?.method === HEALTH_METHOD) {
      return void this.#upstream.health(session.target, request.id);
    }
    session.waiting.push(text);
  }

  #onClientLine(session: ClientSession, text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#notify(
        session,
        errorResponse(
          null,
          ErrorCode.ParseError,
          `Parse error: invalid JSON: ${preview(text, 80)}`,
        ),
      );
      return;
    }
    this.#onClientValue(session, value, session.target, text);
  }

  #onClientValue(session: ClientSession, value: unknown, target: Target, text?: string): void {
    const msg = classify(value);
    // Everything that will be answered is open until its answer goes out.
    if (
      msg.kind === "request" || msg.kind === "invalid" || (msg.kind === "batch" && target.batch)
    ) {
      session.openRequests++;
    }
    switch (msg.kind) {
      case "request":
        return this.#onClientRequest(session, msg.message, target);
      case "notification":
        return this.#onClientNotification(session, msg.message, text);
      case "response":
        return this.#callbacks.onClientResponse(session, msg.message);
      case "batch":
        if (target.batch) {
          return this.#reply(
            target,
            errorResponse(null, ErrorCode.InvalidRequest, "Invalid request: nested batch"),
          );
        }
        return this.#onBatch(session, msg.items);
      case "invalid":
        return this.#reply(
          target,
          errorResponse(msg.id, ErrorCode.InvalidRequest, `Invalid request: ${msg.reason}`),
        );
    }
  }

  #onBatch(session: ClientSession, items: unknown[]): void {
    if (!allowsBatches(session.protocolVersion)) {
      return this.#notify(
        session,
        errorResponse(
          null,
          ErrorCode.InvalidRequest,
          `Invalid request: JSON-RPC batches are not part of MCP ${session.protocolVersion} ` +
            "(they exist only up to 2025-03-26); send one message per line",
        ),
      );
    }
    if (items.length === 0) {
      return this.#notify(
        session,
        errorResponse(null, ErrorCode.InvalidRequest, "Invalid request: empty batch"),
      );
    }
    // Every element except a valid notification or response gets an answer.
    const answered = items.map((item) => {
      const kind = classify(item).kind;
      return kind !== "notification" && kind !== "response";
    });
    const reply = new BatchReply(answered.filter(Boolean).length, (answers) => {
      if (!session.closed) session.port.send(JSON.stringify(answers));
    });
    let index = 0;
    for (const [i, item] of items.entries()) {
      const target: Target = answered[i]
        ? { client: session, batch: { fill: (n, m) => reply.fill(n, m), index: index++ } }
        : session.target;
      this.#onClientValue(session, item, target);
    }
  }

  #onClientRequest(session: ClientSession, request: JsonRpcRequest, target: Target): void {
    switch (request.method) {
      case "ping":
        return this.#reply(target, resultResponse(request.id, {}));
      case "initialize":
        if (target.batch) {
          return this.#reply(
            target,
            errorResponse(
              request.id,
              ErrorCode.InvalidRequest,
              "Invalid request: initialize must not be part of a batch",
            ),
          );
        }
        return this.#upstream.initializeClient(session, request);
      case HEALTH_METHOD:
        return void this.#upstream.health(target, request.id);
      case "resources/subscribe":
      case "resources/unsubscribe":
      case "logging/setLevel": {
        const refusal = this.#upstream.refusal(request.method);
        if (refusal) return this.#reply(target, errorResponse(request.id, ...refusal));
        if (request.method === "logging/setLevel") {
          return this.#logging.setLevel(session, request, target);
        }
        return request.method === "resources/subscribe"
          ? this.#resources.subscribe(session, request, target)
          : this.#resources.unsubscribe(session, request, target);
      }
      default:
        return this.#forward(session, request, target);
    }
  }

  #forward(session: ClientSession, request: JsonRpcRequest, target: Target): void {
    const refusal = this.#upstream.refusal(request.method) ??
      this.#tasks.refusal(session, request) ?? this.#cursorRefusal(request);
    if (refusal) {
      const [code, message, data] = refusal;
      return this.#reply(target, errorResponse(request.id, code, message, data));
    }
    if (this.#pending.hasClientId(session, request.id)) {
      return this.#reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.InvalidRequest,
          `Invalid request: id ${JSON.stringify(request.id)} is already used by a request ` +
            "of yours that is still in flight",
        ),
      );
    }
    if (this.#pending.size >= this.#maxPending) {
      this.#log.warn(
        "Mux overloaded: {count} requests in flight; refusing {method} from {client}",
        {
          count: this.#pending.size,
          method: request.method,
          client: session.label,
        },
      );
      return this.#reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.Overloaded,
          `Mux overloaded: ${this.#pending.size} requests are already in flight to server ` +
            `"${this.#options.service}" (limit MAX_PENDING=${this.#maxPending}); retry shortly`,
          { service: this.#options.service },
        ),
      );
    }
    const meta = request.params?._meta as Record<string, unknown> | undefined;
    const token = meta?.progressToken as JsonRpcId | undefined;
    const entry = this.#pending.add(target, request.id, request.method, this.#deadline(), token);
    // Ids and progress tokens are rewritten to the upstream id: unique across clients.
    request.id = entry.upstreamId;
    if (token !== undefined) meta!.progressToken = entry.upstreamId;
    session.lastRequest = ++this.#requestSeq;
    const line = JSON.stringify(request);
    if (!this.#gate || this.#gate.offer(session, { line, entry })) {
      this.#upstream.send(line, entry, session);
    }
    this.#armSweep(entry.deadline);
  }

  #cursorRefusal(request: JsonRpcRequest): [number, string] | undefined {
    if (!PAGINATED_METHODS.has(request.method) || request.params?.cursor === undefined) return;
    const unwrapped = unwrapCursor(this.#upstream.generation, request.params.cursor);
    if (!unwrapped.ok) return [ErrorCode.InvalidParams, `Invalid cursor: ${unwrapped.reason}`];
    request.params.cursor = unwrapped.cursor;
    return undefined;
  }

  #onClientNotification(session: ClientSession, note: JsonRpcNotification, text?: string): void {
    switch (note.method) {
      case "notifications/initialized":
        // The upstream got the mux's own, once per process. Now the client may be asked things.
        return void this.#roots.refresh(session);
      case "notifications/cancelled":
        return this.#onClientCancel(session, note);
      case "notifications/progress":
        return this.#callbacks.onClientProgress(session, note, text ?? JSON.stringify(note));
      case "notifications/roots/list_changed":
        return void this.#roots.refresh(session);
      default:
        this.#upstream.send(JSON.stringify(note), undefined, session);
    }
  }

  #onClientCancel(session: ClientSession, note: JsonRpcNotification): void {
    const requestId = note.params?.requestId;
    const entry = requestId === undefined
      ? undefined
      : this.#pending.findByClientId(session, requestId as JsonRpcId);
    if (!entry) {
      this.#log.debug("{client} cancelled unknown or finished request {id}; ignored", {
        client: session.label,
        id: requestId,
      });
      return;
    }
    this.#pending.take(entry.upstreamId);
    if (entry.sent) this.#upstream.cancel(entry.upstreamId, note.params?.reason);
    // A cancelled request is never answered.
    if (session.openRequests > 0) session.openRequests--;
    this.#settled(session);
  }

  // ── Upstream messages ───────────────────────────────────────────────────

  #onUpstreamLine(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#log.warn("Server wrote a line that is not JSON to stdout; skipped: {line}", {
        line: preview(text),
      });
      return;
    }
    const msg = classify(value);
    switch (msg.kind) {
      case "response":
        return this.#onUpstreamResponse(msg.message);
      case "notification":
        return this.#onUpstreamNotification(msg.message, text);
      case "request":
        return this.#onServerRequest(msg.message);
      default:
        this.#log.warn("Server wrote a line that is not a JSON-RPC message; skipped: {line}", {
          line: preview(text),
        });
    }
  }

  #onUpstreamResponse(response: JsonRpcResponse): void {
    const id = response.id;
    if (typeof id === "string") return this.#upstream.onInternalResponse(id, response);
    const entry = id === null ? undefined : this.#pending.take(id);
    if (!entry) {
      this.#log.debug("Response for unknown or finished request {id}; dropped", { id });
      return;
    }
    this.#tasks.onResponse(entry, response);
    if ("result" in response) this.#adaptResult(entry, response.result);
    response.id = entry.clientId;
    this.#reply(entry, response);
  }

  /** Make a result fit the client it goes to: its version, its cursors. */
  #adaptResult(entry: PendingEntry<ClientSession>, result: Record<string, unknown>): void {
    if (!PAGINATED_METHODS.has(entry.method)) return;
    if (typeof result.nextCursor === "string") {
      result.nextCursor = wrapCursor(this.#upstream.generation, result.nextCursor);
    }
    if (entry.method === "tools/list") {
      Object.assign(result, toolsListFor(entry.client.protocolVersion ?? "", result));
    }
  }

  #onUpstreamNotification(note: JsonRpcNotification, text: string): void {
    switch (note.method) {
      case "notifications/progress":
        return this.#onProgress(note);
      case "notifications/cancelled":
        return this.#callbacks.onServerCancel(note);
      case "notifications/resources/updated":
        return this.#resources.onUpdated(note, text);
      case "notifications/message":
        return this.#logging.onMessage(note, text);
      case "notifications/tasks/status":
        return this.#tasks.onStatus(note, text);
      case "notifications/elicitation/complete":
        return this.#tasks.onElicitationComplete(note, text);
      case "notifications/tools/list_changed":
      case "notifications/prompts/list_changed":
      case "notifications/resources/list_changed":
        return this.#onListChanged(note.method, text);
      default:
        // Anything else: every initialized client that may receive it, bytes unchanged.
        for (const session of this.#sessions) {
          if (session.initialized && notificationAllowed(session.protocolVersion!, note.method)) {
            session.port.send(text);
          }
        }
    }
  }

  #onListChanged(method: string, text: string): void {
    const kind = method.split("/")[1]!;
    const capability = this.#upstream.serverCapabilities[kind] as
      | { listChanged?: boolean }
      | undefined;
    if (!capability?.listChanged) {
      this.#log.debug("{method} from a server that did not declare listChanged; dropped", {
        method,
      });
      return;
    }
    for (const session of this.#sessions) {
      if (session.initialized) session.port.send(text);
    }
  }

  #onProgress(note: JsonRpcNotification): void {
    const token = note.params?.progressToken;
    const entry = typeof token === "number" ? this.#pending.get(token) : undefined;
    const owner = entry?.progressToken !== undefined
      ? { client: entry.client, token: entry.progressToken }
      : typeof token === "number"
      ? this.#tasks.progressFor(token)
      : undefined;
    if (!owner) {
      // Some hosts drop the whole connection on an unknown token: never forward one.
      this.#log.debug("Progress for unknown or finished token {token}; dropped", { token });
      return;
    }
    if (entry) entry.deadline = this.#deadline();
    const params: Record<string, unknown> = { ...note.params, progressToken: owner.token };
    // `message` arrived in 2025-03-26.
    if (owner.client.protocolVersion === "2024-11-05") delete params.message;
    this.#notify(owner.client, { ...note, params });
  }

  #onServerRequest(request: JsonRpcRequest): void {
    if (request.method === "ping") {
      return this.#upstream.answerServer(resultResponse(request.id, {}));
    }
    if (request.method === "roots/list") return this.#roots.answer(request);
    if (this.#callbacks.route(request)) return;
    this.#log.info("Server sent {method}, which rmcp-mux does not route; refused", {
      method: request.method,
    });
    this.#upstream.answerServer(errorResponse(
      request.id,
      ErrorCode.MethodNotFound,
      `Method not found: rmcp-mux does not route ${request.method} to its clients`,
    ));
  }

  // ── Lifecycle hooks ─────────────────────────────────────────────────────

  #onUpstreamReady(restarted: boolean): void {
    if (restarted) {
      // The new process knows nothing: tell it what the old one knew. The log
      // level first, so nothing below it is logged while the rest is restored.
      this.#logging.reapply();
      this.#resources.reapply();
      this.#roots.reapply();
    }
    this.#options.onUpstreamReady?.();
  }

  #onUpstreamGone(reason: string): void {
    this.#callbacks.forget(reason);
    this.#tasks.forget();
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

  #reply(target: Target, message: JsonRpcResponse): void {
    if (target.batch) target.batch.fill(target.batch.index, message);
    else this.#notify(target.client, message);
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
      this.#armSweep(deadline);
      this.#notify(session, { jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    });
  }

  #releaseGate(session: ClientSession): void {
    const next = this.#gate?.release(session);
    if (next) this.#sendGated(next.items);
  }

  #sendGated(items: Gated[]): void {
    for (const { line, entry } of items) {
      if (this.#pending.get(entry.upstreamId) === entry) {
        this.#upstream.send(line, entry, entry.client);
      }
    }
  }

  #openRequests(): number {
    let open = 0;
    for (const session of this.#sessions) open += session.openRequests;
    return open;
  }

  #settled(session: ClientSession): void {
    if (session.openRequests > 0) return;
    session.onSettled?.();
    if (this.#idleWaiters.length > 0 && this.#openRequests() === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #armSweep(deadline: number): void {
    if (this.#closed || deadline === Infinity || deadline >= this.#sweepAt) return;
    if (this.#sweepTimer !== undefined) clearTimeout(this.#sweepTimer);
    this.#sweepAt = deadline;
    this.#sweepTimer = setTimeout(() => this.#sweep(), Math.max(0, deadline - this.#now()));
  }

  #sweep(): void {
    this.#sweepTimer = undefined;
    this.#sweepAt = Infinity;
    const now = this.#now();
    for (const entry of this.#pending.removeWhere((e) => e.deadline <= now)) this.#expire(entry);
    for (const call of this.#calls.expire(now)) {
      call.resolve(errorResponse(null, ErrorCode.RequestTimeout, `no answer to ${call.method}`));
    }
    const next = Math.min(
      this.#pending.nextDeadline(),
      this.#calls.nextDeadline(),
      this.#upstream.sweep(now),
    );
    this.#armSweep(next);
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

/** The request in a line, if the line is a valid request. */
function requestOf(text: string): JsonRpcRequest | undefined {
  try {
    const msg = classify(JSON.parse(text));
    return msg.kind === "request" ? msg.message : undefined;
  } catch {
    return undefined;
  }
}

export { describeServerState } from "./server_state.ts";
export type { ServerState } from "./server_state.ts";
