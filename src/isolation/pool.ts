/**
 * A service's process units and which client is bound to which:
 *
 * - `shared`: one unit; transports talk to its router directly (today's
 *   path, no extra cost per message).
 * - `client`: a unit per client.
 * - `roots`: a unit per distinct set of roots; clients with the same roots
 *   share it, each unit's server sees only its own clients' roots, clients
 *   without roots share a `no roots` unit.
 *
 * A client waits in the {@link Lobby} until its unit is known, then is
 * adopted by that unit's router and what it sent meanwhile is replayed.
 * The units themselves (creation, limits, idle stops, the mode decision)
 * are {@link Units}'. A bound
 * client whose roots change is moved (once nothing of its is in flight) to
 * the unit for its new roots, with its log level and subscriptions; alone in
 * the `no roots` unit, it takes that unit along instead. One project's roots
 * never reach another project's process, and a process that held a
 * project's roots never serves other roots.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { ResolvedMuxOptions } from "../config/options.ts";
import { ErrorCode } from "../jsonrpc/codes.ts";
import type { LineEvent } from "../jsonrpc/framing.ts";
import type { ClientSide } from "../router/client_side.ts";
import { turnAway } from "../router/admission.ts";
import { errorResponse, requestOf } from "../jsonrpc/message.ts";
import { envelopeVersion } from "../router/eras.ts";
import { SUPPORTED_PROTOCOL_VERSIONS } from "../router/negotiate.ts";
import type { HealthOutcome } from "../router/health_feature.ts";
import type { LatencyWindow } from "../router/metrics.ts";
import type { Carried } from "../router/features.ts";
import type { Root } from "../router/roots.ts";
import type { CloseReason } from "../router/upstream_failures.ts";
import { type ClientPort, ClientSession, type ClientTransport } from "../router/session.ts";
import { wait } from "../async/wait.ts";
import { Lobby } from "./lobby.ts";
import type { IsolationDecision } from "./mode.ts";
import type { ProcessUnit } from "./process_unit.ts";
import { Units } from "./units.ts";

/** The key of the unit for clients without roots. */
export const NO_ROOTS = "no roots";

/** How long a client bound for its roots waits for the server to have fetched them. */
export const ROOTS_SETTLE_MS = 2_000;

/**
 * The key of a set of roots: its URIs, unique, sorted, space separated
 * ({@link NO_ROOTS} for none). Clients with the same key share a process.
 */
export function rootsKey(roots: readonly Root[]): string {
  const uris = [...new Set(roots.map((root) => root.uri))].sort();
  return uris.length > 0 ? uris.join(" ") : NO_ROOTS;
}

/** What a pool needs from its mux. */
export interface PoolOptions {
  options: ResolvedMuxOptions;
  log: Logger;
  /** Something changed (a process state, a client bound or gone). */
  onChange: () => void;
  /** The mux's status snapshot, for `rmcp-mux/status`. */
  status: () => Record<string, unknown>;
}

/** The clients of one service, each bound to one of its process units. */
export class Pool implements ClientSide {
  readonly #o: PoolOptions;
  readonly #log: Logger;
  readonly #lobby: Lobby;
  readonly #units: Units;
  readonly #bound = new Map<ClientSession, ProcessUnit>();
  /** Adopted by a unit's router, not yet taking its own lines (binding, or moving). */
  readonly #away = new Map<ClientSession, ProcessUnit>();
  #nextId = 1;

  constructor(o: PoolOptions) {
    this.#o = o;
    this.#log = o.log;
    this.#lobby = new Lobby({
      service: o.options.serviceName,
      log: o.log,
      mode: () => this.#units.decision?.mode,
      template: () => this.#units.template,
      needServer: () => this.#units.needServer(),
      health: (waitMs) => this.health(waitMs),
      status: () => o.status(),
      bindRaw: (session) => this.#bindRaw(session),
      bindRoots: (session, roots, unknown) =>
        void this.#bindRoots(session, roots, unknown ? { rootsUnknown: unknown } : {}),
    });
    this.#units = new Units({
      options: o.options,
      log: o.log,
      nextSessionId: () => this.#nextId++,
      onChange: o.onChange,
      status: o.status,
      rootsChanged: (unit, session, roots) => this.#rootsChanged(unit, session, roots),
      busy: (unit) => this.#hasAway(unit),
      waitsForServer: () => this.#lobby.waitsForServer,
      decided: () => this.#lobby.decided(),
      handshake: (template) => this.#lobby.handshake(template),
      handshakeFailed: (message) => this.#lobby.failHandshake(message, "failed"),
    });
  }

  /** The mode in effect (`undefined` until the server's first handshake decides it). */
  get decision(): IsolationDecision | undefined {
    return this.#units.decision;
  }

  /** The process units, oldest first. */
  get units(): readonly ProcessUnit[] {
    return this.#units.list;
  }

  /** Latencies of every process's answers, together. */
  get latencies(): LatencyWindow {
    return this.#units.latencies;
  }

  /** The clients that have not been bound to a process yet. */
  get waiting(): readonly ClientSession[] {
    return this.#lobby.sessions.filter((session) => !this.#away.has(session));
  }

  /** Why the service has no process, when the last one was stopped for idling. */
  get idleNote(): string | undefined {
    return this.#units.idleNote;
  }

  /** The idle timeout in effect (0: never). */
  get idleTimeoutMs(): number {
    return this.#units.idleTimeoutMs;
  }

  /** What transports talk to: the shared unit's router itself, or the pool. */
  get side(): ClientSide {
    return this.#units.shared?.router ?? this;
  }

  // ── ClientSide ─────────────────────────────────────────────────────────

  connect(port: ClientPort, transport: ClientTransport = "socket"): ClientSession {
    const session = new ClientSession(this.#nextId++, port, transport, Date.now());
    const shared = this.#units.shared;
    if (shared) {
      // Decided shared after clients came: newcomers go straight in.
      shared.router.adopt(session);
      this.#bound.set(session, shared);
    } else this.#lobby.add(session);
    return session;
  }

  admit(session: ClientSession): void {
    const unit = this.#bound.get(session);
    if (unit) unit.router.admit(session);
    else this.#lobby.admit(session);
    this.#o.onChange();
  }

  reject(session: ClientSession, message: string): void {
    const unit = this.#bound.get(session);
    if (unit) unit.router.reject(session, message);
    else this.#lobby.reject(session, message);
  }

  receive(session: ClientSession, event: LineEvent): void {
    const unit = this.#bound.get(session);
    if (unit) unit.router.receive(session, event);
    else this.#lobby.receive(session, event);
  }

  disconnect(session: ClientSession): void {
    const unit = this.#bound.get(session) ?? this.#away.get(session);
    this.#bound.delete(session);
    this.#away.delete(session);
    this.#lobby.drop(session);
    if (unit) unit.router.disconnect(session);
    else session.closed = true;
    this.#o.onChange();
  }

  canRead(session: ClientSession): boolean {
    return session.readable;
  }

  hasRoomFor(session: ClientSession): boolean {
    const unit = this.#bound.get(session);
    return unit ? unit.router.hasRoom : this.#lobby.hasRoom(session);
  }

  heldFor(session: ClientSession): number {
    return this.#bound.has(session) ? 0 : this.#lobby.heldFor(session);
  }

  waitForRoom(session: ClientSession): Promise<void> {
    const unit = this.#bound.get(session);
    return unit ? unit.router.waitForRoom() : this.#lobby.waitForRoom(session);
  }

  // ── The service as a whole ─────────────────────────────────────────────

  /** Health of every process (see {@link Units.health}). */
  health(waitMs: number): Promise<HealthOutcome> {
    return this.#units.health(waitMs);
  }

  /** Restart every process now (clients stay bound); brings failed ones back. */
  restart(reason: string): Promise<void> {
    return this.#units.restart(reason);
  }

  /** New settings, live (see `Units.configure`). */
  configure(options: ResolvedMuxOptions): void {
    this.#o.options = options;
    this.#units.configure(options);
  }

  /** Why the command could not be started, if it never could (see `Units.spawnFailure`). */
  get spawnFailure(): string | undefined {
    return this.#units.spawnFailure;
  }

  /** Kill every process group now, synchronously (a forced exit's last resort). */
  killNow(): void {
    this.#units.killNow();
  }

  /** Resolves when no client request is open in any process. */
  whenIdle(): Promise<void> {
    return this.#units.whenIdle();
  }

  /** Stop routing: open requests get "shutting down" and why, waiting clients too. */
  closeRouters(reason: CloseReason): void {
    this.#lobby.shutDown(reason);
    this.#units.closeRouters(reason);
  }

  /** Stop every process (routing stops for `reason`, if it has not yet). */
  async close(reason: CloseReason): Promise<void> {
    this.#lobby.shutDown(reason);
    await this.#units.close(reason);
  }

  // ── Binding ────────────────────────────────────────────────────────────

  #bindRaw(session: ClientSession): void {
    const mode = this.#units.decision?.mode;
    if (mode === "client" && session.port.perRequest) return this.#refusePerRequest(session);
    const unit = mode === "shared"
      ? this.#units.shared
      : this.#units.for(mode === "client" ? `client ${session.id}` : NO_ROOTS);
    if (!unit) return this.#refuse(session);
    unit.router.adopt(session);
    this.#replay(session, unit);
  }

  async #bindRoots(session: ClientSession, roots: Root[], carried: Carried = {}): Promise<void> {
    const unit = this.#units.for(rootsKey(roots));
    if (!unit) return this.#refuse(session);
    const changed = unit.router.adopt(session, { ...carried, roots });
    this.#away.set(session, unit);
    if (changed) await this.#settle(unit, session);
    if (this.#away.get(session) !== unit) return; // gone meanwhile
    this.#away.delete(session);
    this.#replay(session, unit);
  }

  /**
   * A server fetches roots asynchronously (after `initialized`, after
   * `list_changed`): hold the client's first requests until the server has
   * its roots, so its first call already sees them (bounded).
   */
  async #settle(unit: ProcessUnit, session: ClientSession): Promise<void> {
    const delivered = unit.router.rootsDelivered(session);
    const fresh = !unit.router.ready;
    if (fresh && !(await unit.router.whenReady())) return;
    // A process that has been up a while and never asked for roots does not use them.
    if (!fresh && unit.router.rootsAsked === 0) return;
    await wait(delivered, ROOTS_SETTLE_MS);
  }

  #replay(session: ClientSession, unit: ProcessUnit): void {
    const events = this.#lobby.take(session);
    this.#bound.set(session, unit);
    for (const event of events) unit.router.receive(session, event);
    this.#o.onChange();
  }

  /** A bound client's roots changed (`roots` mode): move it, or re-key its `no roots` unit. */
  #rootsChanged(unit: ProcessUnit, session: ClientSession, roots: Root[]): void {
    if (this.#bound.get(session) !== unit) return;
    const key = rootsKey(roots);
    if (key === unit.key) return;
    const target = this.#units.list.find((u) => u.key === key);
    // Only a process that never held roots may take its lone client's new ones along: a server
    // keeps directories it was once given (the filesystem server ignores an empty or invalid
    // list), so a process that served a project never serves another set of roots.
    if (!target && unit.key === NO_ROOTS && unit.router.clientCount <= 1) {
      this.#log.info("{client}'s roots changed; its process now serves {key}", {
        client: session.label,
        key,
      });
      unit.key = key;
      unit.router.adopt(session, { roots });
      this.#o.onChange();
      return;
    }
    void this.#move(unit, session, roots);
  }

  async #move(from: ProcessUnit, session: ClientSession, roots: Root[]): Promise<void> {
    this.#log.info("{client}'s roots changed; it moves to the process for them", {
      client: session.label,
    });
    // Its new lines wait in the lobby; what it has in flight finishes where it is.
    this.#bound.delete(session);
    this.#away.set(session, from);
    this.#lobby.hold(session);
    if (session.openRequests > 0) {
      await new Promise<void>((resolve) => {
        const previous = session.onSettled;
        session.onSettled = () => {
          previous?.();
          if (session.openRequests > 0) return;
          session.onSettled = previous;
          resolve();
        };
      });
    }
    if (session.closed || this.#away.get(session) !== from) return;
    this.#away.delete(session);
    const carried = from.router.release(session);
    await this.#bindRoots(session, roots, carried);
  }

  #refuse(session: ClientSession): void {
    const max = this.#o.options.maxProcesses;
    const service = this.#o.options.serviceName;
    const message = `Too many processes: service "${service}" already runs ${max} processes ` +
      `(max_processes ${max}, isolation ${this.decision?.mode}), each with clients. Raise ` +
      "max_processes (--max-processes), or retry when a client has left";
    this.#log.warn("{client} refused: {count} processes already run (max_processes)", {
      client: session.label,
      count: max,
    });
    const lines = this.#lobby.take(session).flatMap((e) => (e.kind === "line" ? [e.text] : []));
    const data = { service, maxProcesses: max };
    turnAway(session, lines, ErrorCode.TooManyClients, message, data, "max_processes reached");
  }

  /**
   * A client made for one request (a 2026-07-28 POST over HTTP, which names
   * no client) cannot have a process of its own: `client` isolation serves
   * the session-based transport only. -32022 lists those versions, so a
   * dual-era client starts an `initialize` session instead.
   */
  #refusePerRequest(session: ClientSession): void {
    const service = this.#o.options.serviceName;
    const message = `Unsupported protocol version: service "${service}" runs a process per ` +
      "client (isolation: client), and an MCP 2026-07-28 request over HTTP names no client; " +
      `start a session with initialize (MCP ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`;
    this.#log.info("{client} refused: 2026-07-28 over HTTP under client isolation", {
      client: session.label,
    });
    for (const event of this.#lobby.take(session)) {
      const request = event.kind === "line" ? requestOf(event.text) : undefined;
      if (!request) continue;
      const requested = envelopeVersion(request.params) ?? null;
      if (session.closed) break;
      const refusal = errorResponse(request.id, ErrorCode.UnsupportedProtocolVersion, message, {
        supported: [...SUPPORTED_PROTOCOL_VERSIONS],
        requested,
      });
      session.port.send(JSON.stringify(refusal));
    }
    session.port.close("2026-07-28 over HTTP under client isolation");
  }

  #hasAway(unit: ProcessUnit): boolean {
    for (const away of this.#away.values()) if (away === unit) return true;
    return false;
  }
}
