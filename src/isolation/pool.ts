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
 * adopted by that unit's router and what it sent meanwhile is replayed. A
 * first unit starts unkeyed (it gives the service its handshake, and the
 * server's stated preference when the mode is not configured) and is taken
 * by the first client that needs one, so no process is wasted. A bound
 * client whose roots change is re-keyed with its unit when it is alone
 * there, else moved (once nothing of its is in flight) to the unit for its
 * new roots, with its log level and subscriptions: one project's roots
 * never reach another project's process.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { idleTimeoutFor, type ResolvedMuxOptions } from "../config/options.ts";
import { ErrorCode } from "../jsonrpc/codes.ts";
import type { LineEvent } from "../jsonrpc/framing.ts";
import { errorResponse } from "../jsonrpc/message.ts";
import type { ClientSide } from "../router/client_side.ts";
import { requestOf } from "../router/client_messages.ts";
import type { HealthOutcome } from "../router/health_feature.ts";
import { LatencyWindow } from "../router/metrics.ts";
import type { Carried } from "../router/router.ts";
import type { Root } from "../router/roots.ts";
import { describeServerState } from "../router/server_state.ts";
import {
  type ClientPort,
  ClientSession,
  type ClientTransport,
  MAX_WAITING_LINES,
} from "../router/session.ts";
import { wait } from "../async/wait.ts";
import { Lobby } from "./lobby.ts";
import {
  decideBeforeStart,
  decideFromServer,
  describeSpan,
  type IsolationDecision,
} from "./mode.ts";
import { ProcessUnit } from "./process_unit.ts";

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

/** The process units of one service. */
export class Pool implements ClientSide {
  readonly #o: PoolOptions;
  readonly #options: ResolvedMuxOptions;
  readonly #log: Logger;
  readonly latencies: LatencyWindow = new LatencyWindow();
  readonly #lobby: Lobby;
  readonly #units: ProcessUnit[] = [];
  readonly #bound = new Map<ClientSession, ProcessUnit>();
  /** Adopted by a unit's router, not yet taking its own lines (binding, or moving). */
  readonly #away = new Map<ClientSession, ProcessUnit>();
  readonly #stopping: Promise<void>[] = [];
  #decision: IsolationDecision | undefined;
  #shared: ProcessUnit | undefined;
  #template: Record<string, unknown> | null = null;
  #nextId = 1;
  #idleNote: string | undefined;
  #closing = false;

  constructor(o: PoolOptions) {
    this.#o = o;
    this.#options = o.options;
    this.#log = o.log;
    const { isolation, cmd, args, lazyStart } = o.options;
    this.#decision = decideBeforeStart(isolation, cmd, args);
    this.#lobby = new Lobby({
      service: o.options.serviceName,
      log: o.log,
      mode: () => this.#decision?.mode,
      template: () => this.#template,
      needServer: () => this.#needServer(),
      health: (waitMs) => this.health(waitMs),
      status: () => o.status(),
      bindRaw: (session) => this.#bindRaw(session),
      bindRoots: (session, roots, unknown) =>
        void this.#bindRoots(session, roots, unknown ? { rootsUnknown: unknown } : {}),
    });
    if (this.#decision) this.#announce();
    // Shared: the one unit. Otherwise a warm first unit, unkeyed (unless lazy).
    if (this.#decision?.mode === "shared") this.#shared = this.#newUnit("shared");
    else if (!lazyStart) this.#newUnit(null);
    if (!lazyStart) this.#units[0]?.start();
  }

  /** The mode in effect (`undefined` until the server's first handshake decides it). */
  get decision(): IsolationDecision | undefined {
    return this.#decision;
  }

  /** The process units, oldest first. */
  get units(): readonly ProcessUnit[] {
    return this.#units;
  }

  /** The clients that have not been bound to a process yet. */
  get waiting(): readonly ClientSession[] {
    return this.#lobby.sessions.filter((session) => !this.#away.has(session));
  }

  /** Why the service has no process, when the last one was stopped for idling. */
  get idleNote(): string | undefined {
    return this.#idleNote;
  }

  /** The idle timeout in effect (0: never). */
  get idleTimeoutMs(): number {
    return idleTimeoutFor(this.#decision?.mode ?? "shared", this.#options.idleTimeoutMs);
  }

  /** What transports talk to: the shared unit's router itself, or the pool. */
  get side(): ClientSide {
    return this.#shared?.router ?? this;
  }

  // ── ClientSide ─────────────────────────────────────────────────────────

  connect(port: ClientPort, transport: ClientTransport = "socket"): ClientSession {
    const session = new ClientSession(this.#nextId++, port, transport, Date.now());
    if (this.#shared) {
      // Decided shared after clients came: newcomers go straight in.
      this.#shared.router.adopt(session);
      this.#bound.set(session, this.#shared);
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
    return session.admitted || session.waiting.length < MAX_WAITING_LINES;
  }

  hasRoomFor(session: ClientSession): boolean {
    const unit = this.#bound.get(session);
    return unit ? unit.router.hasRoom : this.#lobby.hasRoom(session);
  }

  waitForRoom(session: ClientSession): Promise<void> {
    const unit = this.#bound.get(session);
    return unit ? unit.router.waitForRoom() : this.#lobby.waitForRoom(session);
  }

  // ── The service as a whole ─────────────────────────────────────────────

  /**
   * Health of every process: ok when each is up (or idle: it starts on
   * demand); otherwise the first one's problem. No process at all is idle.
   */
  async health(waitMs: number): Promise<HealthOutcome> {
    const service = this.#options.serviceName;
    if (this.#closing) {
      const message = "rmcp-mux is shutting down";
      return { ok: false, error: [ErrorCode.ShuttingDown, message, { service }] };
    }
    if (this.#units.length === 0) {
      const reason = this.#idleNote ?? "lazy start";
      return { ok: true, result: { status: "idle", service, pid: null, reason } };
    }
    const units = [...this.#units];
    const outcomes = await Promise.all(units.map((unit) => unit.router.health(waitMs)));
    const bad = outcomes.find((outcome) => !outcome.ok);
    if (bad) return bad;
    const up = outcomes.filter((o) => o.ok && o.result.status === "ok");
    if (up.length === 0) return outcomes[0]!; // all idle
    const results = up.map((o) => (o as { result: Record<string, unknown> }).result);
    return {
      ok: true,
      result: {
        ...results[0],
        processes: units.length,
        pid: units.length === 1 ? results[0]!.pid : null,
        latencyMs: Math.max(...results.map((r) => Number(r.latencyMs ?? 0))),
      },
    };
  }

  /** Restart every process now (clients stay bound); brings failed ones back. */
  async restart(reason: string): Promise<void> {
    await Promise.all(this.#units.map((unit) => unit.supervisor.restart(reason)));
  }

  /** Resolves when no client request is open in any process. */
  whenIdle(): Promise<void> {
    return Promise.all(this.#units.map((unit) => unit.router.whenIdle())).then(() => {});
  }

  /** Stop routing: open requests get "shutting down", waiting clients too. */
  closeRouters(): void {
    this.#closing = true;
    this.#lobby.shutDown();
    for (const unit of this.#units) unit.router.close();
  }

  /** Stop every process. */
  async close(): Promise<void> {
    this.closeRouters();
    await Promise.all([...this.#units.map((unit) => unit.close()), ...this.#stopping]);
  }

  // ── Binding ────────────────────────────────────────────────────────────

  #bindRaw(session: ClientSession): void {
    const mode = this.#decision?.mode;
    const unit = mode === "shared"
      ? this.#shared
      : this.#unitFor(mode === "client" ? `client ${session.id}` : NO_ROOTS);
    if (!unit) return this.#refuse(session);
    unit.router.adopt(session);
    this.#replay(session, unit);
  }

  async #bindRoots(session: ClientSession, roots: Root[], carried: Carried = {}): Promise<void> {
    const unit = this.#unitFor(rootsKey(roots));
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

  /** A bound client's roots changed (`roots` mode): re-key its unit, or move it. */
  #rootsChanged(unit: ProcessUnit, session: ClientSession, roots: Root[]): void {
    if (this.#bound.get(session) !== unit) return;
    const key = rootsKey(roots);
    if (key === unit.key) return;
    const target = this.#units.find((u) => u.key === key);
    if (!target && unit.router.clientCount <= 1) {
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

  #unitFor(key: string): ProcessUnit | undefined {
    const existing = this.#units.find((unit) => unit.key === key);
    if (existing) return existing;
    const unkeyed = this.#units.find((unit) => unit.key === null);
    if (unkeyed) {
      unkeyed.key = key;
      unkeyed.start();
      return unkeyed;
    }
    if (this.#units.length >= this.#options.maxProcesses) {
      const idle = this.#units.find((unit) => unit.clients === 0 && !this.#hasAway(unit));
      if (!idle) return undefined;
      this.#remove(idle, undefined);
    }
    const unit = this.#newUnit(key);
    unit.start();
    return unit;
  }

  #refuse(session: ClientSession): void {
    const max = this.#options.maxProcesses;
    const service = this.#options.serviceName;
    const message = `Too many processes: service "${service}" already runs ${max} processes ` +
      `(max_processes ${max}, isolation ${this.#decision?.mode}), each with clients. Raise ` +
      "max_processes (--max-processes), or retry when a client has left";
    this.#log.warn("{client} refused: {count} processes already run (max_processes)", {
      client: session.label,
      count: max,
    });
    const data = { service, maxProcesses: max };
    const events = this.#lobby.take(session);
    const requests = events.map((e) => (e.kind === "line" ? requestOf(e.text) : undefined))
      .filter((r) => r !== undefined);
    for (const request of requests.length > 0 ? requests : [{ id: null }]) {
      send(session, errorResponse(request.id, ErrorCode.TooManyClients, message, data));
    }
    session.port.close("max_processes reached");
  }

  // ── Units ──────────────────────────────────────────────────────────────

  #newUnit(key: string | null): ProcessUnit {
    const mode = this.#decision?.mode;
    const unit: ProcessUnit = new ProcessUnit(this.#options, {
      key,
      latencies: this.latencies,
      nextSessionId: () => this.#nextId++,
      ...(mode === "shared" ? {} : {
        roots: (session: ClientSession, roots: Root[]) =>
          this.#decision?.mode === "roots"
            ? this.#rootsChanged(unit, session, roots)
            : unit.router.adopt(session, { roots }),
      }),
      idleTimeoutMs: this.#decision ? this.idleTimeoutMs : this.#options.idleTimeoutMs ?? 0,
      onIdle: (idle) => this.#onIdle(idle),
      onChange: () => this.#onUnitChange(unit),
      onReady: (ready) => this.#onReady(ready),
      status: () => this.#o.status(),
    });
    this.#units.push(unit);
    this.#idleNote = undefined;
    this.#o.onChange();
    return unit;
  }

  #remove(unit: ProcessUnit, note: string | undefined): void {
    const at = this.#units.indexOf(unit);
    if (at === -1) return;
    this.#units.splice(at, 1);
    if (this.#units.length === 0 && note) this.#idleNote = note;
    const stopping = unit.close();
    this.#stopping.push(stopping);
    void stopping.finally(() => {
      this.#stopping.splice(this.#stopping.indexOf(stopping), 1);
      this.#o.onChange();
    });
    this.#o.onChange();
  }

  #onIdle(unit: ProcessUnit): void {
    const note = `stopped after ${describeSpan(this.idleTimeoutMs)} without clients`;
    const mode = this.#decision?.mode;
    if (mode === undefined || mode === "shared") {
      // The one process: stopped, started again when a client needs it.
      const phase = unit.state.phase;
      if (phase !== "idle" && phase !== "failed" && phase !== "stopped") {
        void unit.supervisor.park(note);
      }
      return;
    }
    if (this.#hasAway(unit)) return;
    this.#log.info("Stopping the process for {key}: {note}", { key: unit.key ?? "-", note });
    this.#remove(unit, note);
  }

  #onReady(unit: ProcessUnit): void {
    this.#template = unit.router.handshake;
    if (!this.#decision) {
      this.#decision = decideFromServer(this.#template);
      this.#decided();
    }
    if (this.#template) this.#lobby.handshake(this.#template);
  }

  #onUnitChange(unit: ProcessUnit): void {
    this.#o.onChange();
    const phase = unit.state.phase;
    if (this.#template || (phase !== "failed" && phase !== "restarting")) return;
    // The first process ended before initializing (it crashed, or refused initialize): it
    // stated no preference. Shared, so clients get what the router tells them, at once.
    if (!this.#decision) {
      this.#decision = {
        mode: "shared",
        source: "default",
        reason: "the server did not initialize (it exited or refused), so it stated no " +
          "preference",
      };
      this.#decided();
    }
    if (phase !== "failed") return;
    const message = describeServerState(this.#options.serviceName, unit.state, Date.now());
    this.#lobby.failHandshake(message, "failed");
  }

  #decided(): void {
    this.#announce();
    if (this.#decision!.mode === "shared") {
      this.#shared = this.#units[0] ?? this.#newUnit("shared");
      this.#shared.key = "shared";
    }
    for (const unit of this.#units) unit.idleTimeoutMs = this.idleTimeoutMs;
    this.#lobby.decided();
    this.#o.onChange();
  }

  #announce(): void {
    const { mode, reason } = this.#decision!;
    this.#log.info("Isolation {mode}: {reason}", { mode, reason });
  }

  #needServer(): void {
    if (this.#template && this.#decision) return;
    const first = this.#units[0] ?? this.#newUnit(null);
    first.start();
  }

  #hasAway(unit: ProcessUnit): boolean {
    for (const away of this.#away.values()) if (away === unit) return true;
    return false;
  }
}

function send(session: ClientSession, message: unknown): void {
  if (!session.closed) session.port.send(JSON.stringify(message));
}
