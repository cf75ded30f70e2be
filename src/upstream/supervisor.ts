/**
 * Keeps one server process alive: spawns it, hands it to the router, and on
 * exit (or a spawn failure) restarts it after a backoff — until the restart
 * budget is spent, when the service is marked failed and stays down.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { LineEvent } from "../jsonrpc/framing.ts";
import { redact } from "../log/redact.ts";
import { muxLogger } from "../log/logger.ts";
import type { ServerState } from "../router/server_state.ts";
import type { UpstreamPort } from "../router/upstream_options.ts";
import {
  ChildProcess,
  DEFAULT_STOP_TIMING,
  signalGroup,
  SpawnError,
  type SpawnSpec,
  type StopTiming,
} from "./child_process.ts";
import { RestartPolicy, type RestartPolicyOptions } from "./restart_policy.ts";
import { delay } from "../async/wait.ts";

/** What the supervisor drives: the router's upstream side. */
export interface UpstreamHandler {
  attachUpstream(port: UpstreamPort): void;
  upstreamReceive(event: LineEvent): void;
  upstreamProgress(): void;
  detachUpstream(reason: string): void;
  setServerState(state: ServerState): void;
  fail(reason: string): void;
}

/** Settings of a {@link Supervisor}. */
export interface SupervisorOptions {
  service: string;
  spec: SpawnSpec;
  restart: RestartPolicyOptions;
  /** Largest stdout line accepted from the server, bytes. */
  maxLineBytes: number;
  stopTiming?: StopTiming;
  handler: UpstreamHandler;
  /** Called after every state change. */
  onState?: (state: ServerState) => void;
  now?: () => number;
}

/** Supervises one server process. */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #log: Logger;
  readonly #stderrLog: Logger;
  readonly #now: () => number;
  readonly #policy: RestartPolicy;
  readonly #abort = new AbortController();
  #state: ServerState = { phase: "idle" };
  #child: ChildProcess | null = null;
  #loop: Promise<void> | undefined;
  /** Cuts a backoff wait short (a manual restart). */
  #skipWait = new AbortController();
  /** The next exit was asked for by a human: restart at once, count nothing. */
  #manual = false;
  /** A restart of a stopped loop in progress (shared by concurrent callers). */
  #relaunch: Promise<void> | undefined;
  #startedAt: number | undefined;
  #lastExit: string | undefined;
  #stderrTail: string[] = [];
  /** The last line the current (or last) process wrote to stderr: often why it gave up. */
  #lastWords: string | undefined;
  /** A process of this supervisor has been spawned at least once. */
  #everSpawned = false;
  #firstSpawnError: SpawnError | undefined;
  /** Why the current process is being stopped by the mux (reported as its exit). */
  #stopReason: string | undefined;
  /** Ends the current loop only (a {@link park}). */
  #loopAbort = new AbortController();
  /** Set while parking: the state the loop leaves behind. */
  #parking: string | undefined;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#log = muxLogger("upstream", options.service);
    this.#stderrLog = muxLogger("stderr", options.service);
    this.#now = options.now ?? Date.now;
    this.#policy = new RestartPolicy(options.restart);
  }

  /** The process state. */
  get state(): ServerState {
    return this.#state;
  }

  /** Restarts since start, and within the current window. */
  get restarts(): { total: number; recent: number } {
    return { total: this.#policy.total, recent: this.#policy.recent };
  }

  /** When the current process started (ms since epoch). */
  get startedAt(): number | undefined {
    return this.#startedAt;
  }

  /** Why the previous process ended. */
  get lastExit(): string | undefined {
    return this.#lastExit;
  }

  /** The last lines the server wrote to stderr (at most 20). */
  get stderrTail(): readonly string[] {
    return this.#stderrTail;
  }

  /**
   * Why the command could not be started, if it never started even once and
   * the reason is one a retry will not fix soon (not found, not executable).
   */
  get spawnFailure(): string | undefined {
    const error = this.#firstSpawnError;
    return error && error.failure !== "other" ? error.message : undefined;
  }

  /**
   * New settings, live: the restart policy and stop timing apply from now on;
   * a new `spec` or `maxLineBytes` applies to the next process (call
   * {@link restart} to start it at once).
   */
  configure(
    changes: Partial<Pick<SupervisorOptions, "spec" | "maxLineBytes" | "stopTiming">> & {
      restart?: Omit<RestartPolicyOptions, "random">;
    },
  ): void {
    if (changes.spec) this.#o.spec = changes.spec;
    if (changes.maxLineBytes !== undefined) this.#o.maxLineBytes = changes.maxLineBytes;
    if (changes.stopTiming) this.#o.stopTiming = changes.stopTiming;
    // The policy reads its options object on every decision.
    if (changes.restart) Object.assign(this.#o.restart, changes.restart);
  }

  /** Kill the process group now, synchronously (a forced exit's last resort). */
  killNow(): void {
    if (this.#child) signalGroup(this.#child.pid, "SIGKILL");
  }

  /** Start supervising (spawns at once). Idempotent; also starts again after {@link park}. */
  start(): void {
    if (this.#loop || this.#abort.signal.aborted) return;
    this.#launch();
  }

  /** The process finished initializing (or answers again after being unresponsive). */
  markRunning(): void {
    // A process being parked stays idle: it answers its last, it serves nothing new.
    if (this.#child && this.#parking === undefined) {
      this.#setState({ phase: "running", pid: this.#child.pid });
    }
  }

  /**
   * The process is alive but stopped answering (the liveness probe's pings
   * went unanswered). It stays `unresponsive` until it answers again, exits,
   * or is restarted.
   */
  markUnresponsive(reason: string): void {
    if (!this.#child || this.#state.phase === "unresponsive" || this.#parking !== undefined) {
      return;
    }
    this.#setState({ phase: "unresponsive", pid: this.#child.pid, reason });
  }

  /**
   * Stop the current process because it is broken (it never answered or
   * refused `initialize`, or stopped answering): `reason` is reported as its
   * exit, and the loop restarts it under the usual policy — so it counts
   * toward the restart budget.
   */
  restartProcess(reason: string): void {
    const child = this.#child;
    if (!child) return;
    this.#log.warn("Restarting server: {reason}", { reason });
    this.#stopReason = reason;
    void child.stop(this.#o.stopTiming);
  }

  /**
   * Restart now because a human asked: past crashes are forgotten and there
   * is no backoff. Works whether the server is running, waiting to restart,
   * failed, idle, or never started. Resolves once the old process (if any) is gone.
   */
  async restart(reason: string): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#log.info("Restart requested: {reason}", { reason });
    this.#policy.reset();
    // Being parked: let that finish (its loop ends), then start afresh below.
    if (this.#parking !== undefined) await this.#loop;
    const child = this.#child;
    if (child) {
      this.#manual = true;
      await child.stop(this.#o.stopTiming);
      return;
    }
    if (this.#state.phase === "restarting") {
      this.#skipWait.abort();
      return;
    }
    // Failed, idle or never started: run the loop afresh — once, however many ask at once.
    this.#relaunch ??= (async () => {
      const before = this.#loop;
      await before;
      // A lazy start may have begun a loop meanwhile: never run two.
      if (this.#loop === before && !this.#abort.signal.aborted) this.#launch();
    })().finally(() => this.#relaunch = undefined);
    await this.#relaunch;
  }

  /**
   * Stop the process and the loop, but stay usable: the state becomes `idle`
   * with `reason` (e.g. "stopped after 10 min without clients") at once —
   * the process only finishes exiting — and {@link start} spawns again once
   * it is gone. Resolves then.
   */
  async park(reason: string): Promise<void> {
    if (this.#abort.signal.aborted || !this.#loop) return;
    if (this.#parking !== undefined) return await this.#loop;
    this.#log.info("Stopping server: {reason}", { reason });
    this.#parking = reason;
    this.#setState({ phase: "idle", reason });
    this.#loopAbort.abort();
    const child = this.#child;
    if (child) await child.stop(this.#o.stopTiming ?? DEFAULT_STOP_TIMING);
    await this.#loop;
  }

  /** Stop supervising and stop the process. Idempotent. */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#loopAbort.abort();
    const child = this.#child;
    if (child) await child.stop(this.#o.stopTiming ?? DEFAULT_STOP_TIMING);
    await this.#loop;
    this.#setState({ phase: "stopped" });
  }

  #launch(): void {
    this.#loopAbort = new AbortController();
    const signal = AbortSignal.any([this.#abort.signal, this.#loopAbort.signal]);
    const loop: Promise<void> = this.#run(signal).finally(() => {
      const reason = this.#parking;
      if (this.#loop !== loop || reason === undefined) return;
      // Parked: a later start() runs a new loop (a failed loop stays failed until restart()).
      this.#loop = undefined;
      this.#parking = undefined;
      if (!this.#abort.signal.aborted) this.#setState({ phase: "idle", reason });
    });
    this.#loop = loop;
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { handler } = this.#o;
    while (!signal.aborted) {
      const spec = this.#o.spec; // a reload may have changed it
      const spawnedAt = this.#now();
      this.#lastWords = undefined;
      this.#setState({ phase: "starting" });
      let reason: string;
      try {
        const child = ChildProcess.spawn(spec, {
          maxLineBytes: this.#o.maxLineBytes,
          onStdout: (event) => handler.upstreamReceive(event),
          onStderr: (line) => this.#onStderr(line),
          onWritten: () => handler.upstreamProgress(),
        });
        this.#child = child;
        this.#everSpawned = true;
        this.#startedAt = spawnedAt;
        this.#setState({ phase: "starting", pid: child.pid });
        this.#log.info("Started server (pid {pid}): {command}", {
          pid: child.pid,
          command: redact([spec.command, ...spec.args].join(" "), spec.redact),
          envKeys: Object.keys(spec.env ?? {}),
        });
        handler.attachUpstream(child);
        const exit = await child.exited;
        this.#child = null;
        this.#startedAt = undefined;
        reason = this.#stopReason ?? exit.description;
        this.#stopReason = undefined;
        handler.detachUpstream(reason);
        if (signal.aborted) break;
        if (this.#manual) {
          this.#manual = false;
          this.#lastExit = `${reason} (restart requested)`;
          continue;
        }
        const uptime = Math.round((this.#now() - spawnedAt) / 100) / 10;
        this.#log.warn("Server exited ({reason}) after {uptime} s", { reason, uptime });
      } catch (error) {
        if (!(error instanceof SpawnError)) throw error;
        reason = error.message;
        if (!this.#everSpawned) this.#firstSpawnError ??= error;
        this.#log.error("Cannot start server {service}: {reason}", {
          service: this.#o.service,
          reason,
        });
      }
      this.#lastExit = reason;
      const now = this.#now();
      const decision = this.#policy.onExit(now, now - spawnedAt);
      if (decision.action === "fail") {
        // A server missing its API key says so on stderr and exits: the reason names it.
        const why = `${reason}; ${decision.reason}${this.#lastWordsNote()}`;
        this.#log.error("Giving up on server {service}: {why}", { service: this.#o.service, why });
        this.#setState({ phase: "failed", reason: why });
        handler.fail(why);
        return;
      }
      this.#setState({
        phase: "restarting",
        reason,
        nextAttemptAt: now + decision.delayMs,
        attempt: decision.attempt,
      });
      this.#log.info("Restarting server in {seconds} s (restart {attempt})", {
        seconds: decision.delayMs / 1000,
        attempt: decision.attempt,
      });
      this.#skipWait = new AbortController();
      await delay(decision.delayMs, AbortSignal.any([signal, this.#skipWait.signal]));
      if (signal.aborted) break;
    }
  }

  /** `; its last stderr line: "…"` for a failed reason, or nothing (bounded to 200 chars). */
  #lastWordsNote(): string {
    const words = this.#lastWords;
    if (words === undefined) return "";
    return `; its last stderr line: ${
      JSON.stringify(words.length > 200 ? `${words.slice(0, 200)}…` : words)
    }`;
  }

  #onStderr(line: string): void {
    this.#stderrTail.push(line);
    if (line.trim() !== "") this.#lastWords = line.trim();
    if (this.#stderrTail.length > 20) this.#stderrTail.shift();
    this.#stderrLog.info("{line}", { line });
  }

  #setState(state: ServerState): void {
    this.#state = state;
    this.#o.handler.setServerState(state);
    this.#o.onState?.(state);
  }
}
