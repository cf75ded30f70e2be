/**
 * The liveness probe: a server that has requests in flight and has written
 * nothing for `timeoutMs` is pinged; after `maxFailures` pings in a row go
 * unanswered it is reported unresponsive (and, if so configured, restarted by
 * whoever listens). Anything the server writes proves it alive again. An idle
 * server is never pinged: silence without work to do is not a fault. Pure:
 * time and the ping come from the router.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import { isErrorResponse, type JsonRpcResponse } from "../jsonrpc/message.ts";

/** Settings of the probe (the Rust tool's `heartbeat_*` keys). */
export interface LivenessSettings {
  /** Off: the server is never pinged. */
  enabled: boolean;
  /** Silence (with requests in flight) before a ping, and how long each ping may take. */
  timeoutMs: number;
  /** Unanswered pings in a row before the server counts as unresponsive. */
  maxFailures: number;
}

/** What the probe needs from the router. */
export interface LivenessHost {
  now(): number;
  /** True while the server is initialized and requests are in flight at it. */
  busy(): boolean;
  /** Send `ping` to the server; resolves with its answer or an error (never rejects). */
  ping(timeoutMs: number): Promise<JsonRpcResponse>;
  /** Make sure {@link Liveness.check} runs at `deadline`. */
  arm(deadline: number): void;
  /** The server stopped answering: `reason` says how long and how many pings. */
  onUnresponsive(reason: string): void;
  /** An unresponsive server wrote something again. */
  onResponsive(): void;
}

/** Watches one server process for silence while it has work. */
export class Liveness {
  readonly #s: LivenessSettings;
  readonly #host: LivenessHost;
  /** Lines the server wrote (counted, never timed: the hot path stays a single increment). */
  #heard = 0;
  #heardAtCheck = -1;
  #checkAt = Infinity;
  #pinging = false;
  #failures = 0;
  #unresponsive = false;
  /** Bumped by {@link reset}: answers to pings of an older process are ignored. */
  #epoch = 0;

  constructor(settings: LivenessSettings, host: LivenessHost) {
    this.#s = settings;
    this.#host = host;
  }

  /** True after `maxFailures` unanswered pings, until the server writes again. */
  get unresponsive(): boolean {
    return this.#unresponsive;
  }

  /** The server wrote a line. */
  heard(): void {
    this.#heard++;
    if (this.#failures > 0 || this.#unresponsive) this.#recovered();
  }

  /** A request went (or is about to go) to the server: start watching if not yet. */
  watch(): void {
    if (!this.#s.enabled || this.#checkAt !== Infinity) return;
    this.#heardAtCheck = this.#heard;
    this.#checkAt = this.#host.now() + this.#s.timeoutMs;
    this.#host.arm(this.#checkAt);
  }

  /** A new process (or none): forget the old one's silence. */
  reset(): void {
    this.#epoch++;
    this.#checkAt = Infinity;
    this.#failures = 0;
    this.#unresponsive = false;
    this.#pinging = false;
  }

  /** Run the check if due; returns when it next needs to run (`Infinity`: not watching). */
  check(now: number): number {
    if (this.#checkAt > now) return this.#checkAt;
    this.#checkAt = Infinity;
    if (!this.#host.busy()) {
      this.#failures = 0;
      return Infinity;
    }
    if (this.#heard !== this.#heardAtCheck || this.#pinging) {
      // It spoke since the last check (or a ping is out): look again after another span.
      this.#heardAtCheck = this.#heard;
      this.#checkAt = now + this.#s.timeoutMs;
      return this.#checkAt;
    }
    this.#ping();
    return Infinity;
  }

  #ping(): void {
    this.#pinging = true;
    const epoch = this.#epoch;
    const heardBefore = this.#heard;
    void this.#host.ping(this.#s.timeoutMs).then((answer) => {
      if (epoch !== this.#epoch) return; // that process is gone: its answer means nothing
      this.#pinging = false;
      // Any answer, even an error, or any line meanwhile: it is alive. Only silence counts.
      const silent = isErrorResponse(answer) && answer.error.code === ErrorCode.RequestTimeout &&
        this.#heard === heardBefore;
      if (!silent) this.#recovered();
      else this.#failed();
      if (!this.#host.busy()) return; // nothing in flight: watch() starts again on the next request
      if (silent) return this.#ping(); // silent a whole ping timeout more: ask again
      this.#heardAtCheck = this.#heard;
      this.#checkAt = this.#host.now() + this.#s.timeoutMs;
      this.#host.arm(this.#checkAt);
    });
  }

  #failed(): void {
    this.#failures++;
    if (this.#failures < this.#s.maxFailures || this.#unresponsive) return;
    this.#unresponsive = true;
    const seconds = this.#s.timeoutMs / 1000;
    this.#host.onUnresponsive(
      `no answer to ${this.#failures} pings in a row (${seconds} s each) while requests were ` +
        "in flight",
    );
  }

  #recovered(): void {
    this.#failures = 0;
    if (!this.#unresponsive) return;
    this.#unresponsive = false;
    this.#host.onResponsive();
  }
}
