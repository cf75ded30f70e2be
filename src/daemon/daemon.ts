/**
 * One daemon for all your servers: a mux per service, each on its own
 * socket, in one process. Services are independent — one failing, restarting
 * or being stopped never disturbs another — and a reload touches only what
 * changed, so clients of unchanged services keep their connections.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { HttpListener } from "../http/listener.ts";
import type { HttpOptions } from "../http/options.ts";
import { muxLogger } from "../log/logger.ts";
import { MuxServer } from "../server/mux_server.ts";
import { SocketPathError } from "../server/socket_path.ts";
import { HISTORY_STEP_MS, type ServiceHistory } from "./history.ts";
import { DaemonActivity } from "./activity.ts";
import {
  applyReload,
  muxOptionsOf,
  type ReloadPlan,
  type ReloadReport,
  sortByName,
} from "./reload.ts";
import { loopbackOrigin, noHttpListener } from "../dashboard/control.ts";
import { createDashboard, type Dashboard, type DashboardLogin } from "../dashboard/dashboard.ts";
import {
  type DaemonService,
  type DaemonStatus,
  describeService,
  type ServiceEntry,
  type ServiceStatus,
} from "./daemon_status.ts";

export type {
  DaemonService,
  DaemonStatus,
  ServiceEntry,
  ServiceState,
  ServiceStatus,
} from "./daemon_status.ts";

/** How long `restart` waits for the new process to come up before reporting. */
export const RESTART_SETTLE_MS = 30_000;

/** A failed daemon command (unknown service, bad state); the message says why. */
export class DaemonError extends Error {
  /** Always `"DaemonError"`. */
  override name = "DaemonError";
}

/** Settings of a {@link Daemon}. */
export interface DaemonOptions {
  /** Services to run. */
  services: readonly DaemonService[];
  /** The config file they came from (for status). */
  config?: string;
  /** The control socket (for status; the control server is separate). */
  control?: string;
  /** Re-reads the services for `reload`; throws to reject the new configuration. */
  reload?: () => Promise<readonly DaemonService[] | ReloadPlan>;
  /** How often a history point is taken, ms (default {@link HISTORY_STEP_MS}). */
  historyStepMs?: number;
  /** The clock (ms since epoch), for tests. */
  now?: () => number;
  /**
   * Serve every service over Streamable HTTP too (one listener, service NAME
   * at `/mcp/NAME`). A listener that cannot start fails {@link Daemon.start}.
   */
  http?: HttpOptions;
}

/** Runs many muxes in one process. */
export class Daemon implements AsyncDisposable {
  readonly #entries = new Map<string, ServiceEntry>();
  readonly #options: DaemonOptions;
  readonly #log: Logger = muxLogger("server");
  readonly #startedAt = Date.now();
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;
  #busy: Promise<unknown> = Promise.resolve();
  readonly #activity: DaemonActivity;
  #http: HttpListener | undefined;
  #dashboard: Dashboard | undefined;
  /** Resolves once the daemon has stopped. */
  readonly closed: Promise<void> = new Promise((resolve) => this.#resolveClosed = resolve);

  private constructor(options: DaemonOptions) {
    this.#options = options;
    this.#activity = new DaemonActivity(options.now);
  }

  /**
   * Start every service, sorted by name. A service whose mux cannot start
   * (its socket is in use, say) is reported as `error`; the others run.
   *
   * @example
   * ```ts
   * import { Daemon } from "@rmcp-mux/mux";
   * const dir = await Deno.makeTempDir();
   * await using daemon = await Daemon.start({
   *   services: [
   *     { name: "a", options: { socket: `${dir}/a.sock`, cmd: "server-a", lazyStart: true } },
   *     { name: "b", options: { socket: `${dir}/b.sock`, cmd: "server-b", lazyStart: true } },
   *   ],
   * });
   * console.log(daemon.status().services.map((s) => `${s.name}: ${s.state}`));
   * ```
   */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    if (options.http) {
      const listener = await HttpListener.start(options.http, {
        get: (name) => daemon.#entries.get(name)?.mux ?? undefined,
        names: () => daemon.serviceNames.filter((name) => daemon.#entries.get(name)?.mux),
        // The dashboard, at `/` of the same listener.
        app: (request) => daemon.#dashboard?.handle(request) ?? Promise.resolve(undefined),
      });
      daemon.#http = listener;
      daemon.#dashboard = createDashboard({
        daemon,
        authorize: (request) => listener.hasToken(request.headers),
      });
    }
    // Started once nothing can fail any more: a daemon that never started leaves no timer.
    daemon.#activity.startSampling(
      options.historyStepMs ?? HISTORY_STEP_MS,
      () => [...daemon.#entries].map(([name, entry]) => [name, entry.mux]),
    );
    for (const spec of sortByName(options.services)) {
      daemon.#set(spec.name, await daemon.#launch(spec));
    }
    return daemon;
  }

  /** Every service's state. */
  status(): DaemonStatus {
    return {
      pid: Deno.pid,
      startedAt: this.#startedAt,
      config: this.#options.config ?? null,
      control: this.#options.control ?? null,
      services: [...this.#entries.values()]
        .sort((a, b) => a.spec.name.localeCompare(b.spec.name))
        .map((entry) => this.#describe(entry)),
      http: this.#http ? { url: `${this.#http.url}/mcp`, sessions: this.#http.sessions } : null,
    };
  }

  /**
   * Each service's recent past: throughput and latency points (one every
   * {@link HISTORY_STEP_MS}) and notable events, oldest first.
   */
  history(): Record<string, ServiceHistory> {
    return this.#activity.history();
  }

  /**
   * Call `listener` after any change: a server's state, a client connecting
   * or leaving, a command starting or ending, a reload. Returns the function
   * that unsubscribes.
   *
   * @example
   * ```ts ignore
   * const off = daemon.subscribe(() => console.log(daemon.status().services.length));
   * off();
   * ```
   */
  subscribe(listener: () => void): () => void {
    return this.#activity.subscribe(listener);
  }

  /**
   * A one-time login link to the dashboard (served by the HTTP listener at
   * `/`): it works once, within two minutes. Throws {@link DaemonError}
   * when there is no HTTP listener, or when it is not reachable on loopback.
   *
   * @example
   * ```ts ignore
   * console.log(daemon.dashboardLogin().url); // http://127.0.0.1:7300/login?code=…
   * ```
   */
  dashboardLogin(): DashboardLogin {
    if (!this.#http || !this.#dashboard) throw new DaemonError(noHttpListener());
    let origin: string;
    try {
      origin = loopbackOrigin(this.#http.url);
    } catch (error) {
      throw new DaemonError((error as Error).message);
    }
    return this.#dashboard.login(origin);
  }

  /** The running mux of a service (for `waitFor` and the like). */
  server(name: string): MuxServer | undefined {
    return this.#entries.get(name)?.mux ?? undefined;
  }

  /** The names of the services, sorted. */
  get serviceNames(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /**
   * Restart a service's server process (its clients stay connected); starts it
   * if stopped. Resolves once the new process is running or has failed (at
   * most {@link RESTART_SETTLE_MS}); `start` waits the same way.
   */
  restart(name: string): Promise<ServiceStatus> {
    return this.#serial(name, "restarting", async () => {
      const entry = this.#entry(name);
      const oldPid = entry.mux?.status().server.pid;
      this.#activity.note(name, "info", "restart requested");
      if (entry.mux) await entry.mux.restartServer("restart requested by a control command");
      else this.#set(name, await this.#launch(entry.spec));
      return await this.#settled(name, oldPid);
    });
  }

  /** Stop a service: its clients are disconnected and its socket removed. */
  stop(name: string): Promise<ServiceStatus> {
    return this.#serial(name, "stopping", async () => {
      const entry = this.#entry(name);
      await entry.mux?.close("stop");
      this.#set(name, { spec: entry.spec, mux: null, state: "stopped" });
      this.#activity.note(name, "info", "stopped by a command");
      this.#log.info("Service {service} stopped", { service: name });
      return this.#statusOf(name);
    });
  }

  /** Start a stopped service (a running one is left alone). */
  start(name: string): Promise<ServiceStatus> {
    return this.#serial(name, "starting", async () => {
      const entry = this.#entry(name);
      if (!entry.mux) {
        this.#activity.note(name, "info", "started by a command");
        this.#set(name, await this.#launch(entry.spec));
      }
      return await this.#settled(name, undefined);
    });
  }

  /**
   * Re-read the services and apply them in the least disruptive way
   * (`reload.ts`): added ones start, removed ones stop, unchanged ones are
   * not touched, and a changed one takes its new settings live when it can
   * ({@link MuxServer.apply}). If the new configuration is invalid, nothing
   * changes and the error is thrown.
   */
  reload(): Promise<ReloadReport> {
    return this.#serial(undefined, undefined, async () => {
      if (!this.#options.reload) {
        throw new DaemonError("this daemon has no configuration to reload");
      }
      let loaded: readonly DaemonService[] | ReloadPlan;
      try {
        loaded = await this.#options.reload();
      } catch (error) {
        // The new configuration is the caller's to fix: nothing changed.
        const message = error instanceof Error ? error.message : String(error);
        throw new DaemonError(message, { cause: error });
      }
      return await applyReload(
        {
          entries: this.#entries,
          launch: (spec) => this.#launch(spec),
          set: (name, entry) => this.#set(name, entry),
          activity: this.#activity,
          log: this.#log,
        },
        Array.isArray(loaded)
          ? { services: loaded as readonly DaemonService[] }
          : loaded as ReloadPlan,
      );
    });
  }

  /** Stop every service. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#activity.close();
      // Its event streams never end by themselves: before the listener waits for them.
      this.#dashboard?.close();
      await this.#busy.catch(() => {});
      await this.#http?.close();
      await Promise.all([...this.#entries.values()].map((entry) => entry.mux?.close("shutdown")));
      this.#resolveClosed();
    })();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Last resort for a forced exit, synchronous: every socket removed, every server killed. */
  terminateNow(): void {
    for (const entry of this.#entries.values()) entry.mux?.terminateNow();
  }

  async #launch(spec: DaemonService): Promise<ServiceEntry> {
    try {
      const mux = await MuxServer.start(muxOptionsOf(spec));
      if (this.#http) mux.httpUrl = this.#http.urlFor(spec.name);
      mux.onChange(() => this.#changed(spec.name, mux));
      return { spec, mux, state: "running" };
    } catch (error) {
      const message = error instanceof SocketPathError && spec.socketFrom
        ? error.from(spec.socketFrom)
        : error instanceof Error
        ? error.message
        : String(error);
      this.#log.error("Cannot start service {service}: {error}", {
        service: spec.name,
        error: message,
      });
      return { spec, mux: null, state: "error", error: message };
    }
  }

  #entry(name: string): ServiceEntry {
    const entry = this.#entries.get(name);
    if (!entry) {
      throw new DaemonError(
        `unknown service "${name}"; this daemon runs: ${this.serviceNames.join(", ") || "none"}`,
      );
    }
    return entry;
  }

  /**
   * Wait (at most RESTART_SETTLE_MS) for a process other than `oldPid` to run
   * or fail, then report. A lazy service that nobody needs yet stays idle:
   * that is settled too.
   */
  async #settled(name: string, oldPid: number | undefined): Promise<ServiceStatus> {
    await this.#entries.get(name)?.mux?.waitFor(
      (s) =>
        (s.phase === "running" && s.pid !== oldPid) || s.phase === "failed" ||
        s.phase === "restarting" || s.phase === "idle",
      { timeoutMs: RESTART_SETTLE_MS },
    ).catch(() => {}); // still starting after all that time: report that
    return this.#statusOf(name);
  }

  #statusOf(name: string): ServiceStatus {
    return this.#describe(this.#entries.get(name)!);
  }

  #describe(entry: ServiceEntry): ServiceStatus {
    return describeService(entry, this.#activity.busy(entry.spec.name));
  }

  /**
   * Commands run one at a time: a reload never interleaves with a stop. While
   * one runs, status shows its service as `busy`.
   */
  #serial<T>(
    name: string | undefined,
    busy: ServiceStatus["busy"],
    work: () => Promise<T>,
  ): Promise<T> {
    if (this.#closing) return Promise.reject(new DaemonError("the daemon is shutting down"));
    const run = this.#busy.catch(() => {}).then(async () => {
      const tracked = name !== undefined && busy !== undefined && this.#entries.has(name);
      if (tracked) this.#activity.begin(name, busy);
      try {
        const result = await work();
        // The answer describes the service after the command: no longer busy.
        if (result && typeof result === "object" && "busy" in result) delete result.busy;
        return result;
      } finally {
        if (tracked) this.#activity.end(name);
        else this.#activity.notify();
      }
    });
    this.#busy = run;
    return run;
  }

  /** Put a service's entry in place and record what it looks like now. */
  #set(name: string, entry: ServiceEntry): void {
    this.#entries.set(name, entry);
    this.#changed(name, entry.mux);
  }

  /** A service changed: note a transition worth remembering, tell the listeners. */
  #changed(name: string, mux: MuxServer | null): void {
    const entry = this.#entries.get(name);
    // A mux replaced since (a stop, a reload) has nothing more to say.
    if (!entry || entry.mux !== mux) return;
    this.#activity.observe(name, this.#statusOf(name));
  }
}
