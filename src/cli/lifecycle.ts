/**
 * What every long-running CLI command shares: signals (SIGINT/SIGTERM stop,
 * a second one exits at once, SIGHUP is the command's to define) and turning
 * the errors a person can act on into one line and an exit code.
 *
 * @module
 */

import { ConfigError } from "../config/errors.ts";
import { OptionError } from "../config/options.ts";
import { ControlError } from "../control/client.ts";
import { HttpOptionError } from "../http/options.ts";
import { TokenFileError } from "../http/token.ts";
import { PathError } from "../paths/private_dir.ts";
import { SocketPathError } from "../server/socket_path.ts";
import { ConnectError } from "../transport/unix_client.ts";
import { NAME } from "../version.ts";
import { writeStderr } from "./logging.ts";

/**
 * A second stop signal this soon after the first is the same stop delivered
 * twice (a terminal signals the whole process group while a launcher such as
 * `deno task` forwards its own copy), not a person insisting.
 */
export const DUPLICATE_SIGNAL_MS = 500;

/** What SIGHUP does: stop (the terminal is gone) or reload (a daemon). */
export type HangupAction = "stop" | "reload";

/**
 * Signal handling installed before anything starts, so a signal during
 * start-up is never lost to Deno's default action (which would leave the
 * socket file behind). SIGINT/SIGTERM call the stop handler (or stop at once
 * when it is set, if one came early); a second one, later than
 * {@link DUPLICATE_SIGNAL_MS}, runs the synchronous cleanups and exits 130.
 */
export class SignalScope implements Disposable {
  readonly #hangupAction: HangupAction;
  #stop: (() => void) | undefined;
  #reload: (() => void) | undefined;
  #cleanups: (() => void)[] = [];
  #firstStopAt: number | undefined;
  #disposed = false;
  readonly #onStop = () => this.#stopSignal();
  readonly #onHangup = () => {
    if (this.#hangupAction === "stop") this.#stopSignal();
    else this.#reload?.();
  };

  constructor(hangup: HangupAction) {
    this.#hangupAction = hangup;
    Deno.addSignalListener("SIGINT", this.#onStop);
    Deno.addSignalListener("SIGTERM", this.#onStop);
    Deno.addSignalListener("SIGHUP", this.#onHangup);
  }

  /** True once a stop signal arrived. */
  get stopRequested(): boolean {
    return this.#firstStopAt !== undefined;
  }

  /** What a stop signal does; called at once if one already arrived. */
  onStop(stop: () => void): void {
    this.#stop = stop;
    if (this.stopRequested) stop();
  }

  /** What SIGHUP does when the action is "reload" (ignored until set). */
  onReload(reload: () => void): void {
    this.#reload = reload;
  }

  /** Synchronous last-resort cleanup for a forced exit (remove sockets, kill servers). */
  atForcedExit(cleanup: () => void): void {
    this.#cleanups.push(cleanup);
  }

  /** Wait for `closed`, then remove the listeners. */
  async until(closed: Promise<void>): Promise<void> {
    try {
      await closed;
    } finally {
      this[Symbol.dispose]();
    }
  }

  /** Remove the signal listeners. Idempotent. */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    Deno.removeSignalListener("SIGINT", this.#onStop);
    Deno.removeSignalListener("SIGTERM", this.#onStop);
    Deno.removeSignalListener("SIGHUP", this.#onHangup);
  }

  #stopSignal(): void {
    const now = Date.now();
    if (this.#firstStopAt === undefined) {
      this.#firstStopAt = now;
      this.#stop?.();
      return;
    }
    if (now - this.#firstStopAt < DUPLICATE_SIGNAL_MS) return;
    for (const cleanup of this.#cleanups) {
      try {
        cleanup();
      } catch {
        // Best effort: exiting anyway.
      }
    }
    Deno.exit(130);
  }
}

/**
 * Wait for `closed`; meanwhile SIGINT/SIGTERM call `stop` (a second signal
 * exits at once) and SIGHUP calls `hangup`.
 */
export async function untilStopped(
  closed: Promise<void>,
  stop: () => void,
  hangup: () => void,
): Promise<void> {
  const scope = new SignalScope("reload");
  scope.onStop(stop);
  scope.onReload(hangup);
  await scope.until(closed);
}

/** Print an error a person can act on as one line and return exit code 1; rethrow bugs. */
export function reportError(error: unknown): number {
  const known = error instanceof ConfigError || error instanceof ControlError ||
    error instanceof SocketPathError || error instanceof OptionError ||
    error instanceof ConnectError || error instanceof Deno.errors.NotFound ||
    error instanceof HttpOptionError || error instanceof TokenFileError ||
    error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable ||
    error instanceof PathError;
  if (!known) throw error;
  writeStderr(`${NAME}: ${(error as Error).message}\n`);
  return 1;
}
