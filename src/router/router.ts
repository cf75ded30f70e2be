/**
 * The router: many client sessions on one side, one upstream server on the
 * other. Pure logic — it sees serialized lines and ports, never sockets or
 * processes — so every routing rule is testable in memory. Messages are
 * dispatched by direction (`client_messages.ts`, `server_messages.ts`) to
 * small units, one per rule; `docs/routing.md` is the contract. This file
 * only composes them and is their face.
 *
 * The path of one client request, file by file (answers retrace it):
 *
 * 1. `server/accept_loop.ts` accepts the socket; `server/connection.ts`
 *    reads it into `jsonrpc/framing.ts`'s `LineDecoder` and hands each
 *    line to {@link Router.receive} (pausing while `hasRoom` is false).
 *    Until the client has a slot (`--max-active-clients`) its lines are
 *    `admission.ts`'s: answered at once if they need no slot, else kept.
 * 2. `client_messages.ts` parses and classifies it (`jsonrpc/message.ts`);
 *    `tools/call` and the like reach `#forward`, which records it in
 *    `client_to_server.ts` under a fresh upstream id and splices that id
 *    into the client's own text (`jsonrpc/splice.ts`). With `--serialize`,
 *    `serial_gate.ts` holds it until its client's turn.
 * 3. `upstream_link.ts` writes it to the current process, or holds it in
 *    `outbox.ts` until the process has answered the mux's handshake
 *    (`upstream_handshake.ts`).
 * 4. `upstream/child_process.ts` queues the line on the server's stdin
 *    (`transport/line_writer.ts`, one write per burst).
 * 5. The answer comes back on stdout through `readLines` and the
 *    supervisor (`upstream/supervisor.ts`) to {@link Router.upstreamReceive};
 *    `server_messages.ts` takes its entry out of `client_to_server.ts` and
 *    splices the client's id back into the server's text.
 * 6. `clients.ts` sends it to the session's port (or into its batch);
 *    `server/connection.ts` writes it to the socket through its own
 *    `LineWriter`.
 *
 * When no answer comes, `timeouts.ts` fails the request after
 * `--request-timeout-ms` (and cancels it upstream); when the process exits,
 * fails for good or the mux stops, `upstream_failures.ts` says what each
 * open request is told. The feature units that keep state across messages
 * (subscriptions, log levels, roots, tasks, callbacks, the era features) are
 * built and told of clients leaving and processes coming and going in
 * `features.ts`.
 *
 * When the client or the server speaks MCP 2026-07-28, `modern_requests.ts`
 * pins and checks a modern client's request in step 2, `translate_feature.ts`
 * adds or strips the `_meta` envelope on the way to `#forward`'s line and
 * makes the answer fit its client in step 5; `input_required` rounds go to
 * `mrtr_shim_feature.ts` (legacy client) or come from
 * `mrtr_bridge_feature.ts` (legacy server), and `subscriptions/listen`
 * streams live in `listens_feature.ts`. None of it runs between a legacy
 * client and a legacy server.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { type LineEvent, recoverId } from "../jsonrpc/framing.ts";
import { muxLogger } from "../log/logger.ts";
import { Admission } from "./admission.ts";
import { CancelledCalls } from "./cancelled_calls.ts";
import { ClientMessages, MAX_PENDING } from "./client_messages.ts";
import { ClientToServerTable, type PendingEntry } from "./client_to_server.ts";
import { CLIENT_REQUEST_TIMEOUT_MS, Clients } from "./clients.ts";
import { systemClock } from "./clock.ts";
import type { RouterContext } from "./context.ts";
import type { RouterOptions, RouterStats } from "./router_options.ts";
import { type Carried, Features } from "./features.ts";
import { type HealthOutcome, serverHealth } from "./health_feature.ts";
import type { Liveness } from "./liveness.ts";
import { type LatencySummary, LatencyWindow } from "./metrics.ts";
import { SerialTurns } from "./serial_gate.ts";
import { ServerMessages } from "./server_messages.ts";
import type { ServerState } from "./server_state.ts";
import type { ClientPort, ClientSession, ClientTransport } from "./session.ts";
import { Sweeper } from "./sweeper.ts";
import { Timeouts } from "./timeouts.ts";
import { UpstreamLink, type UpstreamPort } from "./upstream_link.ts";
import type { CloseReason } from "./upstream_failures.ts";

/** Routes MCP traffic between client sessions and one upstream server. */
export class Router {
  readonly #options: RouterOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #clients: Clients;
  readonly #pending: ClientToServerTable<ClientSession>;
  readonly #cancelled: CancelledCalls<ClientSession>;
  readonly #latencies: LatencyWindow;
  readonly #upstream: UpstreamLink;
  readonly #sweeper: Sweeper;
  readonly #timeouts: Timeouts;
  readonly #liveness: Liveness | undefined;
  readonly #features: Features;
  readonly #ctx: RouterContext;
  #gate: SerialTurns | undefined;
  readonly #fromClients: ClientMessages;
  readonly #admission: Admission;
  readonly #fromServer: ServerMessages;
  #closed = false;

  constructor(options: RouterOptions) {
    // A copy: `configure` changes timeouts here, where the link and the timeouts read them.
    const settings = this.#options = { ...options };
    const log = this.#log = options.logger ?? muxLogger("router", options.service);
    const clock = options.clock ?? systemClock;
    const now = this.#now = () => clock.now();
    const sweeper = this.#sweeper = new Sweeper(clock, (at) => this.#timeouts.sweep(at));
    const armSweep = (deadline: number) => sweeper.arm(deadline);
    const clients = this.#clients = new Clients({
      now,
      nextSessionId: options.nextSessionId,
      armSweep,
      parked: (entry, message) => this.#features.bridge.onParkedOutcome(entry, message),
      onIdle: options.onIdle,
      serverBusy: () => this.#pending.anySent(),
    });
    this.#latencies = options.latencies ?? new LatencyWindow();
    this.#pending = new ClientToServerTable({ onClientIdle: (s) => this.#gate?.release(s) });
    // While the server may still run a cancelled call, serialize mode's next turn waits.
    const cancelled = this.#cancelled = new CancelledCalls({
      onEmpty: () => this.#gate?.resume(),
      graceMs: options.cancelGraceMs,
    });
    this.#upstream = new UpstreamLink(settings, {
      log,
      now,
      deadline: () => this.#timeouts.deadline(),
      pending: this.#pending,
      reply: (target, message) => clients.reply(target, message),
      armSweep,
      onReady: (restarted) => {
        this.#features.onUpstreamReady(restarted);
        options.onUpstreamReady?.();
      },
      onRestarted: () => this.#features.onUpstreamRestarted(),
      onGone: (reason) => {
        cancelled.clear();
        this.#features.onUpstreamGone(reason);
      },
      adaptHeld: (message) => this.#features.translate.adaptHeld(message),
    });
    this.#gate = options.serialize ? this.#turns() : undefined;
    const timeouts = this.#timeouts = new Timeouts(settings, {
      log,
      now,
      arm: armSweep,
      pending: this.#pending,
      cancelled,
      cancelUpstream: (entry, reason) => this.#cancelUpstream(entry, reason),
      clients,
      upstream: this.#upstream,
      bridge: () => this.#features.bridge,
    });
    const liveness = this.#liveness = timeouts.liveness;
    const ctx: RouterContext = this.#ctx = {
      service: options.service,
      log,
      now,
      clock,
      sessions: clients.sessions,
      pending: this.#pending,
      cancelled,
      cancelUpstream: (entry, reason) => this.#cancelUpstream(entry, reason),
      upstream: this.#upstream,
      calls: clients.calls,
      latencies: this.#latencies,
      reply: (target, message, text) => clients.reply(target, message, text),
      notify: (session, message) => clients.notify(session, message),
      requestClient: (session, method, params) =>
        clients.ask(session, method, params, CLIENT_REQUEST_TIMEOUT_MS).answer,
      askClient: (session, method, params, timeoutMs) =>
        clients.ask(session, method, params, timeoutMs),
      cancelAsk: (session, id, reason) => clients.cancelAsk(session, id, reason),
      modernClients: () => clients.modern,
      pinModern: (session) => clients.pinModern(session),
      deadline: () => timeouts.deadline(),
      armSweep,
      watchUpstream: () => liveness?.watch(),
      settled: (session) => clients.settled(session),
      status: () => options.status?.() ?? { ...this.stats() },
    };
    const features = this.#features = new Features(ctx, {
      roots: options.roots,
      newId: options.newId ?? (() => crypto.randomUUID()),
    });
    const fromClients = this.#fromClients = new ClientMessages(
      ctx,
      features,
      this.#gate,
      options.maxPending ?? MAX_PENDING,
    );
    this.#fromServer = new ServerMessages(ctx, features);
    this.#admission = new Admission(ctx, features, (s, text) => fromClients.line(s, text));
  }

  // ── Client side ────────────────────────────────────────────────────────

  /** A client connected. It is not admitted yet: see {@link admit}. */
  connect(port: ClientPort, transport: ClientTransport = "socket"): ClientSession {
    return this.#clients.connect(port, transport);
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
    if (!this.#clients.add(session)) {
      // Already here (its process re-keyed for new roots): only its roots change.
      return carried.roots !== undefined && this.#features.roots.adopt(session, carried.roots);
    }
    return this.#features.adopt(session, carried);
  }

  /**
   * Let a client go to another process without closing it: what it held here
   * is released (the last subscriber unsubscribes upstream), and what it
   * should carry is returned. Call it only when the client has nothing in flight.
   */
  release(session: ClientSession): Carried {
    const carried = this.#features.carry(session);
    this.#forget(session);
    return carried;
  }

  /** Clients connected, probes not counted. */
  get clientCount(): number {
    return this.#clients.counted;
  }

  /** The client got a slot: process what it sent while waiting. */
  admit(session: ClientSession): void {
    this.#admission.admit(session);
  }

  /** The client never got a slot: answer each waiting request with `message`, then close. */
  reject(session: ClientSession, message: string): void {
    this.#admission.reject(session, message);
  }

  /** True when the client may be read further (not waiting with a full buffer). */
  canRead(session: ClientSession): boolean {
    return session.readable;
  }

  /** One framing event from a client. */
  receive(session: ClientSession, event: LineEvent): void {
    if (session.closed) return;
    switch (event.kind) {
      case "line":
        if (session.admitted) this.#fromClients.line(session, event.text, event.value);
        else this.#admission.waiting(session, event.text);
        return;
      case "invalid_utf8":
        return this.#fromClients.invalidUtf8(session);
      case "too_long":
        return this.#fromClients.oversized(
          session,
          event.bytes,
          recoverId(event.head, event.tail),
        );
    }
  }

  /** The client is gone: forget it, cancel its work, release what it held. */
  disconnect(session: ClientSession): void {
    if (session.closed) return;
    session.closed = true;
    this.#forget(session);
    session.openRequests = 0;
    this.#clients.settled(session);
    this.#log.debug("{client} disconnected", { client: session.label });
  }

  #forget(session: ClientSession): void {
    if (!this.#clients.remove(session)) return;
    // Its work is cancelled upstream before its turn (serialize) passes to another client;
    // what the server has of it still counts as at the server, owned by nobody now.
    for (const entry of this.#pending.ofClient(session)) this.#leftAtServer(entry);
    this.#cancelled.release(session);
    this.#upstream.dropClient(session);
    this.#gate?.drop(session);
    this.#features.release(session);
    this.#clients.released(session);
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
        return this.#fromServer.invalidUtf8(event.bytes);
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
    this.#cancelled.clear();
  }

  /** The connected clients, in the order they connected. */
  clients(): readonly ClientSession[] {
    return [...this.#clients.sessions];
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
    const clients = this.#clients.counts();
    return {
      connectedClients: clients.connected,
      activeClients: clients.active,
      pendingRequests: this.#pending.size,
      queueDepth: this.#upstream.queueDepth,
      upstreamReady: this.#upstream.ready,
      subscriptions: this.#features.resources.activeUris.length,
      requestsTotal: this.#latencies.total,
      upstreamEra: this.#upstream.era,
      clientEras: clients.eras,
      latency: this.#latencies.summary(this.#now()),
    };
  }

  /**
   * New settings, live: timeouts apply to requests from now on; `serialize`
   * turns the one-client-at-a-time gate on (for requests from now on) or off
   * (what it held is sent at once); `cancelGraceMs` applies to the cancelled
   * requests kept now too, counted from their cancel (a grace that has passed
   * under the new value ends at once, and a turn held for them passes on).
   */
  configure(
    changes: {
      requestTimeoutMs?: number;
      initTimeoutMs?: number;
      serialize?: boolean;
      cancelGraceMs?: number;
    },
  ): void {
    // One settings object: the link and the timeouts read it at each use.
    if (changes.requestTimeoutMs !== undefined) {
      this.#options.requestTimeoutMs = changes.requestTimeoutMs;
    }
    if (changes.initTimeoutMs !== undefined) this.#options.initTimeoutMs = changes.initTimeoutMs;
    if (changes.cancelGraceMs !== undefined && changes.cancelGraceMs !== this.#cancelled.graceMs) {
      this.#sweeper.arm(this.#cancelled.setGrace(changes.cancelGraceMs, this.#now()));
    }
    if (changes.serialize === undefined || changes.serialize === (this.#gate !== undefined)) return;
    this.#options.serialize = changes.serialize;
    const gate = this.#gate;
    this.#gate = changes.serialize ? this.#turns() : undefined;
    this.#fromClients.serialize(this.#gate);
    gate?.drain();
  }

  /**
   * Hold new traffic toward the server (it is queued, as during a restart)
   * until the process is replaced or {@link resumeTraffic} is called.
   */
  holdTraffic(): void {
    this.#upstream.hold();
  }

  /**
   * Release traffic held by {@link holdTraffic}; when no process is attached
   * any more (it was stopped meanwhile) and traffic waits, start the next one.
   */
  resumeTraffic(): void {
    this.#upstream.resume();
  }

  /** Resolves when no request is being handled by the server (queued ones do not count). */
  whenDrained(): Promise<void> {
    return this.#clients.whenDrained();
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

  /**
   * Stop routing: every open request gets a "shutting down" error (-32006)
   * that says why (`reason`), and so does every request after. Idempotent:
   * the first reason stays.
   */
  close(reason: CloseReason = "shutdown"): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#features.close(reason);
    this.#upstream.shutDown(reason);
    this.#cancelled.clear();
    this.#sweeper.close();
  }

  /** Client requests open now, probes' included (the idle stop waits for them). */
  get openRequests(): number {
    return this.#clients.openRequests;
  }

  /** Resolves when no client request is open (answered, cancelled or abandoned). */
  whenIdle(): Promise<void> {
    return this.#clients.whenIdle();
  }

  /** Serialize mode's turns: a request whose turn comes goes toward the server. */
  #turns(): SerialTurns {
    return new SerialTurns(
      this.#pending,
      (line, entry) => this.#upstream.send(line, entry, entry.client),
      () => this.#cancelled.size > 0,
    );
  }

  /** Nobody waits for this request any more: the server is told, and it counts as still there. */
  #cancelUpstream(entry: PendingEntry<ClientSession>, reason: unknown): void {
    if (!entry.sent) return;
    this.#upstream.cancel(entry.upstreamId, reason);
    this.#leftAtServer(entry);
  }

  /**
   * The server may go on with a request whose answer nobody waits for (a
   * cancel is advisory): keep it until it answers or the grace passes. A
   * modern server asks nothing outside a call's own answer: nothing to keep.
   */
  #leftAtServer(entry: PendingEntry<ClientSession>): void {
    if (!entry.sent || !this.#upstream.ready || this.#upstream.modern) return;
    this.#sweeper.arm(this.#cancelled.add(entry.upstreamId, entry.client, this.#now()));
  }
}
