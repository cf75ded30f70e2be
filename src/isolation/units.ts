/**
 * A service's process units, and the mode that decides how many there are:
 * from the configuration or the known-servers table at start, else from the
 * first unit's handshake (the server's stated preference, else `shared`).
 * Units are created for a key (taking the warm unkeyed one first), bounded
 * by `max_processes` (an idle unit is stopped to make room), and stopped
 * after `idle_timeout_ms` without clients (a shared unit is parked instead:
 * it starts again on demand). Binding clients to units is the pool's.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { idleTimeoutFor, type ResolvedMuxOptions } from "../config/options.ts";
import { ErrorCode } from "../jsonrpc/codes.ts";
import type { HealthOutcome } from "../router/health_feature.ts";
import { LatencyWindow } from "../router/metrics.ts";
import type { Root } from "../router/roots.ts";
import { describeServerState } from "../router/server_state.ts";
import { type CloseReason, stoppedMessage } from "../router/upstream_failures.ts";
import type { ClientSession } from "../router/session.ts";
import {
  decideBeforeStart,
  decideFromServer,
  describeSpan,
  type IsolationDecision,
} from "./mode.ts";
import { ProcessUnit } from "./process_unit.ts";

/** What the units need from their pool. */
export interface UnitsHost {
  options: ResolvedMuxOptions;
  log: Logger;
  nextSessionId: () => number;
  /** Something changed (a process state, a unit added or removed). */
  onChange: () => void;
  /** The mux's status snapshot, for `rmcp-mux/status`. */
  status: () => Record<string, unknown>;
  /** A client of `unit` listed new roots (`roots` mode). */
  rootsChanged: (unit: ProcessUnit, session: ClientSession, roots: Root[]) => void;
  /** True while clients are on their way into `unit` (it must not be stopped). */
  busy: (unit: ProcessUnit) => boolean;
  /** True while clients wait (in the lobby) for the service's first handshake. */
  waitsForServer: () => boolean;
  /** The mode is known now. */
  decided: () => void;
  /** The service's handshake is known (a unit initialized). */
  handshake: (template: Record<string, unknown>) => void;
  /** The service's first unit failed before ever initializing. */
  handshakeFailed: (message: string) => void;
}

/** The process units of one service. */
export class Units {
  readonly #host: UnitsHost;
  #options: ResolvedMuxOptions;
  readonly latencies: LatencyWindow = new LatencyWindow();
  readonly #list: ProcessUnit[] = [];
  readonly #stopping: Promise<void>[] = [];
  #decision: IsolationDecision | undefined;
  #shared: ProcessUnit | undefined;
  #template: Record<string, unknown> | null = null;
  #idleNote: string | undefined;
  /** Why the service stops, once it does. */
  #closing: CloseReason | undefined;

  constructor(host: UnitsHost) {
    this.#host = host;
    this.#options = host.options;
    const { isolation, cmd, args, lazyStart } = host.options;
    this.#decision = decideBeforeStart(isolation, cmd, args);
    if (this.#decision) this.#announce();
    // Shared: the one unit. Otherwise a warm first unit, unkeyed (unless lazy).
    if (this.#decision?.mode === "shared") this.#shared = this.#create("shared");
    else if (!lazyStart) this.#create(null);
    if (!lazyStart) this.#list[0]?.start();
  }

  /** The mode in effect (`undefined` until the server's first handshake decides it). */
  get decision(): IsolationDecision | undefined {
    return this.#decision;
  }

  /** The units, oldest first. */
  get list(): readonly ProcessUnit[] {
    return this.#list;
  }

  /** The shared unit (`shared` mode). */
  get shared(): ProcessUnit | undefined {
    return this.#shared;
  }

  /** The service's handshake (a unit's `initialize` result), once known. */
  get template(): Record<string, unknown> | null {
    return this.#template;
  }

  /** Why the service has no unit, when the last one was stopped for idling. */
  get idleNote(): string | undefined {
    return this.#idleNote;
  }

  /** The idle timeout in effect (0: never). */
  get idleTimeoutMs(): number {
    return idleTimeoutFor(this.#decision?.mode ?? "shared", this.#options.idleTimeoutMs);
  }

  /**
   * The unit for `key`: the one that has it, else the warm unkeyed one, else
   * a new one (started). `undefined` when `max_processes` are running, each
   * with clients.
   */
  for(key: string): ProcessUnit | undefined {
    const existing = this.#list.find((unit) => unit.key === key);
    if (existing) return existing;
    const unkeyed = this.#list.find((unit) => unit.key === null);
    if (unkeyed) {
      unkeyed.key = key;
      unkeyed.start();
      return unkeyed;
    }
    if (this.#list.length >= this.#options.maxProcesses) {
      const idle = this.#list.find((unit) => unit.clients === 0 && !this.#host.busy(unit));
      if (!idle) return undefined;
      this.#host.log.info("Stopping the idle process for {key} to make room (max_processes)", {
        key: idle.key ?? "-",
      });
      this.#remove(idle, undefined);
    }
    const unit = this.#create(key);
    unit.start();
    return unit;
  }

  /** A client needs the server: make sure a handshake (and a decision) is coming. */
  needServer(): void {
    if (this.#template && this.#decision) return;
    (this.#list[0] ?? this.#create(null)).start();
  }

  /**
   * Health of every unit: ok when each is up (or idle: it starts on
   * demand); otherwise the first one's problem. No unit at all is idle.
   */
  async health(waitMs: number): Promise<HealthOutcome> {
    const service = this.#options.serviceName;
    if (this.#closing) {
      const message = stoppedMessage(service, this.#closing, "health was not sent");
      return {
        ok: false,
        error: [ErrorCode.ShuttingDown, message, { service, reason: this.#closing }],
      };
    }
    if (this.#list.length === 0) {
      const reason = this.#idleNote ?? "lazy start";
      return { ok: true, result: { status: "idle", service, pid: null, reason } };
    }
    const units = [...this.#list];
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

  /**
   * Restart every process now (clients stay bound; each drains first, for
   * `shutdownGraceMs`); brings failed ones back.
   */
  async restart(reason: string): Promise<void> {
    const grace = this.#options.shutdownGraceMs;
    await Promise.all(this.#list.map((unit) => unit.restart(reason, grace)));
  }

  /** New settings, live, for every unit and the ones to come (see `ProcessUnit.configure`). */
  configure(options: ResolvedMuxOptions): void {
    this.#options = options;
    for (const unit of this.#list) {
      unit.configure(options);
      if (this.#decision) unit.idleTimeoutMs = this.idleTimeoutMs;
    }
  }

  /**
   * Why the command could not be started, if no process of it ever started
   * and a retry will not fix it soon (see `Supervisor.spawnFailure`).
   */
  get spawnFailure(): string | undefined {
    for (const unit of this.#list) {
      const failure = unit.supervisor.spawnFailure;
      if (failure !== undefined) return failure;
    }
    return undefined;
  }

  /** Kill every process group now, synchronously (a forced exit's last resort). */
  killNow(): void {
    for (const unit of this.#list) unit.supervisor.killNow();
  }

  /** Resolves when no client request is open in any unit. */
  whenIdle(): Promise<void> {
    return Promise.all(this.#list.map((unit) => unit.router.whenIdle())).then(() => {});
  }

  /** Stop routing: open requests get "shutting down", and why. */
  closeRouters(reason: CloseReason): void {
    this.#closing ??= reason;
    for (const unit of this.#list) unit.router.close(this.#closing);
  }

  /** Stop every process. */
  async close(reason: CloseReason): Promise<void> {
    this.closeRouters(reason);
    await Promise.all([...this.#list.map((unit) => unit.close()), ...this.#stopping]);
  }

  #create(key: string | null): ProcessUnit {
    const mode = this.#decision?.mode;
    const unit: ProcessUnit = new ProcessUnit(this.#options, {
      key,
      latencies: this.latencies,
      nextSessionId: this.#host.nextSessionId,
      ...(mode === "shared" ? {} : {
        roots: (session: ClientSession, roots: Root[]) =>
          this.#decision?.mode === "roots"
            ? this.#host.rootsChanged(unit, session, roots)
            : unit.router.adopt(session, { roots }),
      }),
      idleTimeoutMs: this.#decision ? this.idleTimeoutMs : this.#options.idleTimeoutMs ?? 0,
      onIdle: (idle) => this.#onIdle(idle),
      onChange: () => this.#onChange(unit),
      onReady: (ready) => this.#onReady(ready),
      status: this.#host.status,
    });
    this.#list.push(unit);
    this.#idleNote = undefined;
    this.#host.onChange();
    return unit;
  }

  #remove(unit: ProcessUnit, note: string | undefined): void {
    const at = this.#list.indexOf(unit);
    if (at === -1) return;
    this.#list.splice(at, 1);
    if (this.#list.length === 0 && note) this.#idleNote = note;
    const stopping = unit.close();
    this.#stopping.push(stopping);
    void stopping.finally(() => {
      this.#stopping.splice(this.#stopping.indexOf(stopping), 1);
      this.#host.onChange();
    });
    this.#host.onChange();
  }

  #onIdle(unit: ProcessUnit): void {
    const note = `stopped after ${describeSpan(this.idleTimeoutMs)} without clients`;
    const mode = this.#decision?.mode;
    if (mode === undefined || mode === "shared") {
      // The one process: stopped, started again when a client needs it.
      const phase = unit.state.phase;
      if (phase !== "idle" && phase !== "failed" && phase !== "stopped") {
        void unit.park(note).then(() => this.#stillNeeded());
      }
      return;
    }
    if (this.#host.busy(unit)) return;
    this.#host.log.info("Stopping the process for {key}: {note}", { key: unit.key ?? "-", note });
    this.#remove(unit, note);
    this.#stillNeeded();
  }

  /**
   * A process was stopped for idling before the service's first handshake
   * (it was restarting, say) while clients wait for that handshake: nothing
   * else would start the next one.
   */
  #stillNeeded(): void {
    if (this.#closing === undefined && this.#host.waitsForServer()) this.needServer();
  }

  #onReady(unit: ProcessUnit): void {
    this.#template = unit.router.handshake;
    if (!this.#decision) this.#decide(decideFromServer(this.#template));
    if (this.#template) this.#host.handshake(this.#template);
  }

  #onChange(unit: ProcessUnit): void {
    this.#host.onChange();
    const phase = unit.state.phase;
    if (this.#template || (phase !== "failed" && phase !== "restarting")) return;
    // The first process ended before initializing (it crashed, or refused initialize): it
    // stated no preference. Shared, so clients get what the router tells them, at once.
    if (!this.#decision) {
      this.#decide({
        mode: "shared",
        source: "default",
        reason: "the server did not initialize (it exited or refused), so it stated no " +
          "preference",
      });
    }
    if (phase !== "failed") return;
    this.#host.handshakeFailed(
      describeServerState(this.#options.serviceName, unit.state, Date.now()),
    );
  }

  #decide(decision: IsolationDecision): void {
    this.#decision = decision;
    this.#announce();
    if (decision.mode === "shared") {
      this.#shared = this.#list[0] ?? this.#create("shared");
      this.#shared.key = "shared";
    }
    for (const unit of this.#list) unit.idleTimeoutMs = this.idleTimeoutMs;
    this.#host.decided();
    this.#host.onChange();
  }

  #announce(): void {
    const { mode, reason } = this.#decision!;
    this.#host.log.info("Isolation {mode}: {reason}", { mode, reason });
  }
}
