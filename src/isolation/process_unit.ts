/**
 * One process unit: a router and the supervisor of its server process,
 * wired exactly like a mux with one server (restart, backoff,
 * re-initialization, the liveness probe). A shared service has one; a
 * `roots` or `client` service has one per key (a set of roots, or a client).
 * Its idle timer fires when it has had no client for `idleTimeoutMs`.
 *
 * @module
 */

import type { ResolvedMuxOptions } from "../config/options.ts";
import type { LatencyWindow } from "../router/metrics.ts";
import type { RootsPolicy } from "../router/roots_feature.ts";
import { Router } from "../router/router.ts";
import type { ServerState } from "../router/server_state.ts";
import type { SpawnSpec } from "../upstream/child_process.ts";
import type { RestartPolicyOptions } from "../upstream/restart_policy.ts";
import { Supervisor } from "../upstream/supervisor.ts";
import { wait } from "../async/wait.ts";
import { NAME, VERSION } from "../version.ts";

/** What a unit needs from its pool. */
export interface UnitOptions {
  /** The unit's key: a roots key, a client's key, `shared`; `null` until a first client takes it. */
  key: string | null;
  latencies: LatencyWindow;
  nextSessionId: () => number;
  roots?: RootsPolicy;
  /** Stop after this long without clients (0: never; see {@link ProcessUnit.idleTimeoutMs}). */
  idleTimeoutMs: number;
  /** The idle timer fired and the unit still has no client. */
  onIdle: (unit: ProcessUnit) => void;
  /** Its process changed state, or it became idle. */
  onChange: () => void;
  /** The status snapshot for `rmcp-mux/status`. */
  status: () => Record<string, unknown>;
  /** The process initialized (its handshake is known). */
  onReady?: (unit: ProcessUnit) => void;
}

/** A router and one supervised server process. */
export class ProcessUnit {
  readonly router: Router;
  readonly supervisor: Supervisor;
  /** See {@link UnitOptions.key}. */
  key: string | null;
  readonly #o: UnitOptions;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimeoutMs: number;
  #closed = false;

  constructor(options: ResolvedMuxOptions, unit: UnitOptions) {
    this.#o = unit;
    this.key = unit.key;
    this.#idleTimeoutMs = unit.idleTimeoutMs;
    const service = options.serviceName;
    this.router = new Router({
      service,
      requestTimeoutMs: options.requestTimeoutMs,
      initTimeoutMs: options.initTimeoutMs,
      serialize: options.serialize,
      cancelGraceMs: options.cancelGraceMs,
      upstreamEra: options.upstreamEra,
      clientInfo: { name: NAME, version: VERSION },
      nextSessionId: unit.nextSessionId,
      latencies: unit.latencies,
      ...(unit.roots ? { roots: unit.roots } : {}),
      onUpstreamBroken: (reason) => this.supervisor.restartProcess(reason),
      onUpstreamReady: () => {
        this.supervisor.markRunning();
        unit.onReady?.(this);
      },
      liveness: {
        enabled: options.heartbeatEnabled,
        timeoutMs: options.heartbeatTimeoutMs,
        maxFailures: options.heartbeatMaxFailures,
      },
      onUnresponsive: (reason) => {
        this.supervisor.markUnresponsive(reason);
        if (options.heartbeatRestart) this.supervisor.restartProcess(`unresponsive: ${reason}`);
      },
      onResponsive: () => this.supervisor.markRunning(),
      // Lazy start: the first request that needs the server starts it (probes do not).
      onDemand: () => this.supervisor.start(),
      onIdle: () => this.#armIdle(),
      status: unit.status,
    });
    this.supervisor = new Supervisor({
      service,
      spec: specOf(options),
      restart: restartOf(options),
      maxLineBytes: options.maxResponseBytes,
      stopTiming: { graceMs: options.stopGraceMs, termMs: options.stopTermMs },
      handler: this.router,
      onState: (state) => {
        // A process started with no client (for a probe's request, say, or traffic that
        // waited through an idle stop) is stopped again like any other.
        if (state.phase === "starting" && this.#idleTimer === undefined && this.clients === 0) {
          this.#armIdle();
        }
        unit.onChange();
      },
    });
    this.#armIdle();
  }

  /** Stop after this long without clients (0: never); set once the mode is known. */
  get idleTimeoutMs(): number {
    return this.#idleTimeoutMs;
  }

  set idleTimeoutMs(ms: number) {
    if (ms === this.#idleTimeoutMs) return;
    this.#idleTimeoutMs = ms;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.router.clientCount === 0) this.#armIdle();
  }

  /** The process state. */
  get state(): ServerState {
    return this.supervisor.state;
  }

  /** Clients bound to this unit (probes not counted). */
  get clients(): number {
    return this.router.clientCount;
  }

  /**
   * New settings, live (see `server/live_settings.ts`): timeouts and
   * `serialize` in the router, the restart policy and stop timing in the
   * supervisor; a new command applies to the next process ({@link restart}).
   */
  configure(options: ResolvedMuxOptions): void {
    this.router.configure({
      requestTimeoutMs: options.requestTimeoutMs,
      initTimeoutMs: options.initTimeoutMs,
      serialize: options.serialize,
      cancelGraceMs: options.cancelGraceMs,
    });
    this.supervisor.configure({
      spec: specOf(options),
      maxLineBytes: options.maxResponseBytes,
      stopTiming: { graceMs: options.stopGraceMs, termMs: options.stopTermMs },
      restart: restartOf(options),
    });
  }

  /**
   * Restart the process now, draining first like a shutdown: new requests
   * wait for the new process, and what the old one is handling gets `graceMs`
   * to be answered.
   */
  async restart(reason: string, graceMs: number): Promise<void> {
    if (this.supervisor.state.phase === "running" && graceMs > 0) {
      this.router.holdTraffic();
      await wait(this.router.whenDrained(), graceMs);
    }
    try {
      await this.supervisor.restart(reason);
    } finally {
      this.router.resumeTraffic();
    }
  }

  /**
   * Stop the process for idling; the unit stays and starts again on demand.
   * Traffic that arrives meanwhile waits for the next process instead of
   * going to the one being stopped, and starts it once that one is gone (so
   * does traffic that waited for this one to initialize).
   */
  async park(reason: string): Promise<void> {
    this.router.holdTraffic();
    try {
      await this.supervisor.park(reason);
    } finally {
      this.router.resumeTraffic();
    }
  }

  /** Spawn the process now (not waiting for a client to need it). */
  start(): void {
    this.supervisor.start();
  }

  /** Stop routing and stop the process. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    this.router.close();
    await this.supervisor.close();
  }

  /** Wait for the last client to leave again before the idle timer runs. */
  #armIdle(): void {
    if (this.#closed || this.#idleTimeoutMs <= 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#closed || this.router.clientCount > 0) return;
      // A process starting (for a probe's request, say) or a request still open is let
      // finish first: stopping now would fail it with "server exited". Look again later.
      if (this.router.openRequests > 0 || this.supervisor.state.phase === "starting") {
        return this.#armIdle();
      }
      this.#o.onIdle(this);
    }, this.#idleTimeoutMs);
  }
}

function specOf(options: ResolvedMuxOptions): SpawnSpec {
  return {
    command: options.cmd,
    args: options.args,
    cwd: options.cwd,
    env: options.env,
    redact: options.redact,
  };
}

function restartOf(options: ResolvedMuxOptions): Omit<RestartPolicyOptions, "random"> {
  return {
    initialMs: options.restartBackoffMs,
    maxMs: options.restartBackoffMaxMs,
    maxRestarts: options.maxRestarts,
    windowMs: options.restartWindowMs,
    healthyMs: options.healthyUptimeMs,
  };
}
