/**
 * One mux: a Unix socket, an accept loop, a connection handler per client,
 * and the pool of server processes behind them (one router and one
 * supervisor per process: a single one when shared, one per set of roots or
 * per client when isolated).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { type MuxOptions, type ResolvedMuxOptions, resolveOptions } from "../config/options.ts";
import { muxLogger } from "../log/logger.ts";
import { Pool } from "../isolation/pool.ts";
import type { LatencySummary } from "../router/metrics.ts";
import type { ServerPhase, ServerState } from "../router/server_state.ts";
import type { CloseReason } from "../router/upstream_failures.ts";
import { type MuxStatus, muxStatus } from "./mux_status.ts";
import type { ClientPort, ClientTransport } from "../router/session.ts";
import { wait } from "../async/wait.ts";
import { AcceptLoop } from "./accept_loop.ts";
import { ClientConnection, type ConnectionContext } from "./connection.ts";
import { type ApplyMode, applyModeOf, changedSettings } from "./live_settings.ts";
import { MuxClient } from "./mux_client.ts";
import { Semaphore } from "./semaphore.ts";
import { prepareStatusFile, StatusFileWriter } from "./status_file.ts";
import { listenPrivately, prepareSocketPath } from "./socket_path.ts";

/**
 * A running mux. Close it with {@link MuxServer.close} or `await using`.
 *
 * @example
 * ```ts
 * import { MuxServer } from "@rmcp-mux/mux";
 *
 * const dir = await Deno.makeTempDir();
 * await using mux = await MuxServer.start({
 *   socket: `${dir}/tools.sock`,
 *   cmd: "my-mcp-server",
 *   lazyStart: true,
 * });
 * console.log(mux.service, mux.status().clients); // tools { connected: 0, … }
 * ```
 */
export class MuxServer implements AsyncDisposable {
  #options: ResolvedMuxOptions;
  readonly #log: Logger;
  readonly #pool: Pool;
  readonly #semaphore: Semaphore;
  readonly #accepting: AcceptLoop<ClientConnection>;
  readonly #clients = new Set<MuxClient>();
  readonly #startedAt = Date.now();
  #statusFile: StatusFileWriter | undefined;
  /** What connections read their limits from (changed live by {@link apply}). */
  readonly #ctx: ConnectionContext;
  #closing: Promise<void> | undefined;
  #httpUrl: string | null = null;
  #changeWaiters = new Set<() => void>();
  readonly #listeners = new Set<() => void>();
  #resolveClosed!: () => void;
  /** Resolves once the mux has stopped (after {@link close}). */
  readonly closed: Promise<void> = new Promise((resolve) => this.#resolveClosed = resolve);

  private constructor(
    options: ResolvedMuxOptions,
    listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>,
  ) {
    this.#options = options;
    const service = options.serviceName;
    this.#log = muxLogger("server", service);
    this.#semaphore = new Semaphore(options.maxActiveClients);
    this.#pool = new Pool({
      options,
      log: this.#log,
      onChange: () => this.#changed(),
      status: () => ({ ...this.status() }),
    });
    const ctx: ConnectionContext = {
      open: (port: ClientPort, transport: ClientTransport) => this.openClient(port, transport),
      maxRequestBytes: options.maxRequestBytes,
      maxClientBacklogBytes: options.maxClientBacklogBytes,
      log: this.#log,
    };
    this.#ctx = ctx;
    this.#accepting = new AcceptLoop(listener, {
      log: this.#log,
      serve: (conn) => new ClientConnection(conn, ctx),
      onChange: () => this.#changed(),
    });
    if (options.statusFile) {
      this.#statusFile = new StatusFileWriter(options.statusFile, () => this.status(), this.#log);
    }
  }

  /**
   * Listen on the socket and start the server (unless `lazyStart`).
   * Throws if the options are invalid or the socket path cannot be used.
   */
  static async start(options: MuxOptions): Promise<MuxServer> {
    const resolved = resolveOptions(options);
    const log = muxLogger("server", resolved.serviceName);
    if (resolved.statusFile) await prepareStatusFile(resolved.statusFile);
    const { removedStale } = await prepareSocketPath(resolved.socket);
    if (removedStale) log.info("Removed a stale socket at {path}", { path: resolved.socket });
    const listener = listenPrivately(resolved.socket);
    log.info("Listening on {path}", { path: resolved.socket });
    return new MuxServer(resolved, listener);
  }

  /** The service name. */
  get service(): string {
    return this.#options.serviceName;
  }

  /** The socket path. */
  get socketPath(): string {
    return this.#options.socket;
  }

  /** The settings in effect, defaults filled in. */
  get options(): ResolvedMuxOptions {
    return this.#options;
  }

  /** The service's Streamable HTTP endpoint (set by the HTTP listener that serves it). */
  get httpUrl(): string | null {
    return this.#httpUrl;
  }

  set httpUrl(url: string | null) {
    this.#httpUrl = url;
  }

  /** The era its server speaks: the first process's to know it (`null` until one does). */
  get upstreamEra(): "legacy" | "modern" | null {
    for (const unit of this.#pool.units) {
      const era = unit.router.stats().upstreamEra;
      if (era !== null) return era;
    }
    return null;
  }

  /** True once {@link close} was called: no new client is taken. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Open a client session, whatever carries it: the one way in for every
   * transport (the socket's connections, HTTP sessions). The client gets a
   * slot under `maxActiveClients` (or waits for one, then is refused through
   * `port`), speaks through {@link MuxClient.receive} and is answered
   * through `port`. Close the returned client when the transport is gone; it
   * is also closed (through `port.close`) when the mux stops.
   *
   * @example
   * ```ts ignore
   * const client = mux.openClient({ send: (line) => console.log(line), close() {} }, "http");
   * client.receive({ kind: "line", text: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
   * client.close();
   * ```
   */
  openClient(port: ClientPort, transport: ClientTransport): MuxClient {
    const client = new MuxClient(
      {
        router: this.#pool.side,
        semaphore: this.#semaphore,
        service: this.service,
        clientWaitMs: this.#options.clientWaitMs,
        log: this.#log,
      },
      port,
      transport,
      (closed) => {
        this.#clients.delete(closed);
        this.#changed();
      },
    );
    this.#clients.add(client);
    this.#changed();
    return client;
  }

  /** A snapshot of the mux's state. */
  status(): MuxStatus {
    return muxStatus({
      options: this.#options,
      httpUrl: this.#httpUrl,
      startedAt: this.#startedAt,
      pool: this.#pool,
      semaphore: this.#semaphore,
    });
  }

  /**
   * Rate and latency of the answers of the last `windowMs` (status covers the
   * last minute; a history wants shorter slices).
   */
  latencyOver(windowMs: number): LatencySummary {
    return this.#pool.latencies.summary(Date.now(), windowMs);
  }

  /**
   * Call `listener` after every change of the server's state and whenever a
   * client connects or leaves. Returns the function that unsubscribes.
   *
   * @example
   * ```ts ignore
   * const off = mux.onChange(() => console.log(mux.status().server.phase));
   * off();
   * ```
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /**
   * Why the server command could not be started, when no process of it has
   * ever started and a retry will not fix it soon ("not found", "not
   * executable"). A one-off mux exits on it; a daemon keeps retrying.
   */
  get spawnFailure(): string | undefined {
    return this.#pool.spawnFailure;
  }

  /**
   * Last resort for a forced exit, synchronous: remove the socket file and
   * kill the server's process group. Prefer {@link close}.
   */
  terminateNow(): void {
    try {
      Deno.removeSync(this.socketPath);
    } catch {
      // Already gone.
    }
    this.#pool.killNow();
  }

  /**
   * Restart the server process now (clients stay connected and are
   * re-initialized transparently). Past crashes are forgotten, so this also
   * brings a failed service back.
   *
   * @example
   * ```ts ignore
   * await mux.restartServer("config changed");
   * ```
   */
  async restartServer(reason = "restart requested"): Promise<void> {
    if (this.#closing) return;
    await this.#pool.restart(reason);
  }

  /**
   * Take new settings in the least disruptive way ({@link applyModeOf}):
   * limits, timeouts, client counts, restart policy and the status file apply
   * live; a new command, arguments, environment, working directory or
   * response limit restarts the server process in place (clients stay
   * connected, as with {@link restartServer}). A new socket or service name
   * cannot be applied to a running mux: nothing changes and `"recreate"` is
   * returned, for the caller to start a new mux. Throws (changing nothing) if
   * the settings are invalid or the new status file cannot be written.
   *
   * @example
   * ```ts ignore
   * const { mode } = await mux.apply({ ...mux.options, maxActiveClients: 8 }); // "live"
   * ```
   */
  async apply(options: MuxOptions): Promise<{ mode: ApplyMode; changed: string[] }> {
    const next = resolveOptions(options);
    const changed = changedSettings(this.#options, next);
    const mode = applyModeOf(changed);
    if (mode === "unchanged" || mode === "recreate" || this.#closing) return { mode, changed };
    const newStatusFile = next.statusFile !== this.#options.statusFile;
    if (newStatusFile && next.statusFile) await prepareStatusFile(next.statusFile);
    this.#options = next;
    this.#semaphore.setPermits(next.maxActiveClients);
    this.#ctx.maxRequestBytes = next.maxRequestBytes;
    this.#ctx.maxClientBacklogBytes = next.maxClientBacklogBytes;
    this.#pool.configure(next);
    if (newStatusFile) {
      await this.#statusFile?.close();
      this.#statusFile = next.statusFile
        ? new StatusFileWriter(next.statusFile, () => this.status(), this.#log)
        : undefined;
    }
    this.#log.info("New settings applied: {changed}", { changed: changed.join(", ") });
    // A server not started yet (lazy) simply starts on the new command when needed.
    const idle = this.#pool.units.every((unit) => unit.state.phase === "idle");
    if (mode === "restart" && !idle) await this.restartServer("settings changed by a reload");
    this.#changed();
    return { mode, changed };
  }

  /**
   * Wait until the server reaches a phase (or a state matching `predicate`).
   * Resolves at once if it already has. Rejects on timeout, abort, or when the
   * mux stops first.
   *
   * @example
   * ```ts ignore
   * await mux.waitFor("running", { timeoutMs: 10_000 });
   * ```
   */
  async waitFor(
    target: ServerPhase | ((state: ServerState) => boolean),
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ServerState> {
    const matches = typeof target === "function"
      ? target
      : (state: ServerState) => state.phase === target;
    const status = await this.waitForStatus((s) => matches(s.server), options);
    return status.server;
  }

  /**
   * Wait until the status matches `predicate`; checked at once and after
   * every change (server state, a client connecting or leaving). Rejects on
   * timeout, abort, or when the mux stops first.
   *
   * @example
   * ```ts ignore
   * await mux.waitForStatus((s) => s.clients.connected === 0);
   * ```
   */
  waitForStatus(
    predicate: (status: MuxStatus) => boolean,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<MuxStatus> {
    const first = this.status();
    if (predicate(first)) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${options.timeoutMs} ms waiting for the mux status`));
      }, options.timeoutMs);
      const onAbort = () => {
        finish();
        reject(options.signal!.reason);
      };
      const check = () => {
        const status = this.status();
        if (predicate(status)) {
          finish();
          resolve(status);
        } else if (status.server.phase === "stopped") {
          finish();
          reject(new Error("the mux stopped before its status matched"));
        }
      };
      const finish = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.#changeWaiters.delete(check);
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.#changeWaiters.add(check);
    });
  }

  #changed(): void {
    for (const check of [...this.#changeWaiters]) check();
    for (const listener of [...this.#listeners]) listener();
  }

  /**
   * Stop: refuse new clients, let in-flight requests finish (briefly), close
   * every connection, stop the server process, remove the socket. Idempotent
   * (the first `reason` stays). What is still open gets -32006 and a message
   * that says why: `"stop"` (`rmcp-mux stop NAME`), `"removed"` (from the
   * config, by a reload), `"recreated"` (by a reload, on a new socket or
   * settings) or `"shutdown"` (the default).
   *
   * @example
   * ```ts ignore
   * await mux.close("stop"); // clients read: service "tools" was stopped by `rmcp-mux stop tools`; …
   * ```
   */
  close(reason: CloseReason = "shutdown"): Promise<void> {
    this.#closing ??= this.#close(reason);
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(reason: CloseReason): Promise<void> {
    this.#log.info("Shutting down ({reason})", { reason });
    await this.#accepting.close();
    await Deno.remove(this.socketPath).catch(() => {});
    await wait(this.#pool.whenIdle(), this.#options.shutdownGraceMs);
    this.#pool.closeRouters(reason);
    await Promise.all([
      ...[...this.#accepting.connections].map((c) => c.flushAndClose(500)),
      this.#pool.close(reason),
    ]);
    // Clients of other transports (HTTP sessions): their answers are out; end them.
    for (const client of [...this.#clients]) client.shutdown("mux shutting down");
    await this.#statusFile?.close();
    this.#log.info("Stopped");
    this.#resolveClosed();
  }
}
