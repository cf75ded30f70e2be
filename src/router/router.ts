/**
 * The router: many client sessions on one side, one upstream server on the
 * other. Pure logic — it sees serialized lines and ports, never sockets or
 * processes — so every routing rule is testable in memory. Messages are
 * dispatched by direction (`client_messages.ts`, `server_messages.ts`) to
 * small units, one per rule; `docs/routing.md` is the contract.
 * `router_parts.ts` builds and wires them; this file is their face.
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
 * 3. `upstream_traffic.ts` (the upstream link's traffic, `upstream_link.ts`)
 *    writes it to the current process, or holds it in `outbox.ts` until the
 *    process has answered the mux's handshake (`upstream_handshake.ts`).
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
 * `--request-timeout-ms`; `upstream_cancels.ts` tells the server and keeps
 * the call in `cancelled_calls.ts` while the server may still run it (a
 * departed client's calls too). When the process exits, fails for good or
 * the mux stops, `upstream_failures.ts` says what each open request is
 * told. The feature units that keep state across messages (subscriptions,
 * log levels, roots, tasks, callbacks, the era features) are built and told
 * of clients leaving and processes coming and going in `features.ts`.
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

import { type LineEvent, recoverId } from "../jsonrpc/framing.ts";
import type { Carried } from "./features.ts";
import { type HealthOutcome, serverHealth } from "./health_feature.ts";
import type { LatencySummary } from "./metrics.ts";
import type { RouterOptions, RouterStats } from "./router_options.ts";
import { RouterParts } from "./router_parts.ts";
import type { ServerState } from "./server_state.ts";
import type { ClientPort, ClientSession, ClientTransport } from "./session.ts";
import type { UpstreamPort } from "./upstream_options.ts";
import type { CloseReason } from "./upstream_failures.ts";

/** Routes MCP traffic between client sessions and one upstream server. */
export class Router {
  readonly #p: RouterParts;
  #closed = false;

  constructor(options: RouterOptions) {
    this.#p = new RouterParts(options, () => this.stats());
  }

  // ── Client side ────────────────────────────────────────────────────────

  /** A client connected. It is not admitted yet: see {@link admit}. */
  connect(port: ClientPort, transport: ClientTransport = "socket"): ClientSession {
    return this.#p.clients.connect(port, transport);
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
    if (!this.#p.clients.add(session)) {
      // Already here (its process re-keyed for new roots): only its roots change.
      return carried.roots !== undefined && this.#p.features.roots.adopt(session, carried.roots);
    }
    return this.#p.features.adopt(session, carried);
  }

  /**
   * Let a client go to another process without closing it: what it held here
   * is released (the last subscriber unsubscribes upstream), and what it
   * should carry is returned. Call it only when the client has nothing in flight.
   */
  release(session: ClientSession): Carried {
    const carried = this.#p.features.carry(session);
    this.#forget(session);
    return carried;
  }

  /** Clients connected, probes not counted. */
  get clientCount(): number {
    return this.#p.clients.counted;
  }

  /** The client got a slot: process what it sent while waiting. */
  admit(session: ClientSession): void {
    this.#p.admission.admit(session);
  }

  /** The client never got a slot: answer each waiting request with `message`, then close. */
  reject(session: ClientSession, message: string): void {
    this.#p.admission.reject(session, message);
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
        if (session.admitted) this.#p.fromClients.line(session, event.text, event.value);
        else this.#p.admission.waiting(session, event.text);
        return;
      case "invalid_utf8":
        return this.#p.fromClients.invalidUtf8(session);
      case "too_long":
        return this.#p.fromClients.oversized(
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
    this.#p.clients.settled(session);
    this.#p.log.debug("{client} disconnected", { client: session.label });
  }

  #forget(session: ClientSession): void {
    if (!this.#p.clients.remove(session)) return;
    // Its work is cancelled upstream before its turn (serialize) passes to another client.
    this.#p.cancels.clientLeft(session);
    this.#p.upstream.dropClient(session);
    this.#p.gate?.drop(session);
    this.#p.features.release(session);
    this.#p.clients.released(session);
  }

  /** True while the queue toward the server has room: clients may be read. */
  get hasRoom(): boolean {
    return this.#p.upstream.traffic.hasRoom;
  }

  /** {@link hasRoom}: one queue toward the server for every client. */
  hasRoomFor(_session: ClientSession): boolean {
    return this.#p.upstream.traffic.hasRoom;
  }

  /** Resolves when the queue toward the server has room again. */
  waitForRoom(_session?: ClientSession): Promise<void> {
    return this.#p.upstream.traffic.waitForRoom();
  }

  // ── Upstream side (driven by the supervisor) ────────────────────────────

  /** A new server process is up: initialize it, then release queued traffic. */
  attachUpstream(port: UpstreamPort): void {
    this.#p.liveness?.reset();
    this.#p.upstream.attach(port);
  }

  /** One framing event from the server's stdout. */
  upstreamReceive(event: LineEvent): void {
    this.#p.liveness?.heard();
    switch (event.kind) {
      case "line":
        return this.#p.fromServer.line(event.text);
      case "invalid_utf8":
        return this.#p.fromServer.invalidUtf8(event.bytes);
      case "too_long":
        return this.#p.fromServer.oversized(event.bytes, recoverId(event.head, event.tail));
    }
  }

  /** The upstream wrote some of its queue: readers may resume. */
  upstreamProgress(): void {
    this.#p.upstream.traffic.notifyRoom();
  }

  /** The server process is gone: fail what it was handling; hold the rest for the next one. */
  detachUpstream(reason: string): void {
    this.#p.liveness?.reset();
    this.#p.upstream.detach(reason);
  }

  /** The supervisor's view of the process, for error messages and health. */
  setServerState(state: ServerState): void {
    this.#p.upstream.setServerState(state);
  }

  /** The server is down for good (restart budget spent): fail everything now and later. */
  fail(reason: string): void {
    this.#p.upstream.fail(reason);
    this.#p.cancelled.clear();
  }

  /** The connected clients, in the order they connected. */
  clients(): readonly ClientSession[] {
    return [...this.#p.clients.sessions];
  }

  /** The server's `initialize` result, once this process is initialized. */
  get handshake(): Record<string, unknown> | null {
    return this.#p.upstream.handshake.initResult;
  }

  /** True once the current process has answered the mux's `initialize`. */
  get ready(): boolean {
    return this.#p.upstream.ready;
  }

  /** Resolves true once the server is initialized, false at `deadline` or when it fails. */
  whenReady(deadline = Infinity): Promise<boolean> {
    return this.#p.upstream.whenReady(deadline);
  }

  /** The health check {@link serverHealth} runs for `rmcp-mux/health`, as an outcome. */
  health(waitMs = 0): Promise<HealthOutcome> {
    return Promise.resolve(serverHealth(this.#p.ctx, waitMs));
  }

  /** How many times the server asked for roots (it uses them when above 0). */
  get rootsAsked(): number {
    return this.#p.features.roots.serverAsked;
  }

  /** Resolves once the server has been given this client's roots (it asked after they joined). */
  rootsDelivered(session: ClientSession): Promise<void> {
    return this.#p.features.roots.whenDelivered(session);
  }

  /** Counters for status. */
  stats(): RouterStats {
    const clients = this.#p.clients.counts();
    return {
      connectedClients: clients.connected,
      activeClients: clients.active,
      pendingRequests: this.#p.pending.size,
      queueDepth: this.#p.upstream.traffic.queueDepth,
      upstreamReady: this.#p.upstream.ready,
      subscriptions: this.#p.features.resources.activeUris.length,
      requestsTotal: this.#p.latencies.total,
      upstreamEra: this.#p.upstream.handshake.era,
      clientEras: clients.eras,
      latency: this.#p.latencies.summary(this.#p.now()),
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
    const settings = this.#p.settings;
    if (changes.requestTimeoutMs !== undefined) {
      settings.requestTimeoutMs = changes.requestTimeoutMs;
    }
    if (changes.initTimeoutMs !== undefined) settings.initTimeoutMs = changes.initTimeoutMs;
    if (changes.cancelGraceMs !== undefined) this.#p.cancels.setGrace(changes.cancelGraceMs);
    if (changes.serialize !== undefined) this.#p.serialize(changes.serialize);
  }

  /**
   * Hold new traffic toward the server (it is queued, as during a restart)
   * until the process is replaced or {@link resumeTraffic} is called.
   */
  holdTraffic(): void {
    this.#p.upstream.traffic.hold();
  }

  /**
   * Release traffic held by {@link holdTraffic}; when no process is attached
   * any more (it was stopped meanwhile) and traffic waits, start the next one.
   */
  resumeTraffic(): void {
    this.#p.upstream.traffic.resume();
  }

  /** Resolves when no request is being handled by the server (queued ones do not count). */
  whenDrained(): Promise<void> {
    return this.#p.clients.whenDrained();
  }

  /**
   * What status should warn about: roots of several projects merged into
   * this one process (shared isolation with a server that uses roots).
   */
  warnings(): string[] {
    const projects = this.#p.features.roots.mergedProjects();
    return projects >= 2
      ? [`roots from ${projects} projects are merged; consider isolation: roots`]
      : [];
  }

  /** Rate and latency of the answers of the last `windowMs`. */
  latencyOver(windowMs: number): LatencySummary {
    return this.#p.latencies.summary(this.#p.now(), windowMs);
  }

  /**
   * Stop routing: every open request gets a "shutting down" error (-32006)
   * that says why (`reason`), and so does every request after. Idempotent:
   * the first reason stays.
   */
  close(reason: CloseReason = "shutdown"): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#p.features.close(reason);
    this.#p.upstream.shutDown(reason);
    this.#p.cancelled.clear();
    this.#p.sweeper.close();
  }

  /** Client requests open now, probes' included (the idle stop waits for them). */
  get openRequests(): number {
    return this.#p.clients.openRequests;
  }

  /** Resolves when no client request is open (answered, cancelled or abandoned). */
  whenIdle(): Promise<void> {
    return this.#p.clients.whenIdle();
  }
}
