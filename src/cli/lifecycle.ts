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
import { SocketPathError } from "../server/socket_path.ts";
import { ConnectError } from "../transport/unix_client.ts";
import { NAME } from "../version.ts";
import { writeStderr } from "./logging.ts";

/**
 * Wait for `closed`; meanwhile SIGINT/SIGTERM call `stop` (a second signal
 * exits at once: the server's process group gets SIGKILL on exit anyway) and
 * SIGHUP calls `hangup`.
 */
export async function untilStopped(
  closed: Promise<void>,
  stop: () => void,
  hangup: () => void,
): Promise<void> {
  let signals = 0;
  const onStop = () => {
    if (++signals > 1) Deno.exit(130);
    stop();
  };
  Deno.addSignalListener("SIGINT", onStop);
  Deno.addSignalListener("SIGTERM", onStop);
  Deno.addSignalListener("SIGHUP", hangup);
  try {
    await closed;
  } finally {
    Deno.removeSignalListener("SIGINT", onStop);
    Deno.removeSignalListener("SIGTERM", onStop);
    Deno.removeSignalListener("SIGHUP", hangup);
  }
}

/** Print an error a person can act on as one line and return exit code 1; rethrow bugs. */
export function reportError(error: unknown): number {
  const known = error instanceof ConfigError || error instanceof ControlError ||
    error instanceof SocketPathError || error instanceof OptionError ||
    error instanceof ConnectError || error instanceof Deno.errors.NotFound ||
    error instanceof HttpOptionError || error instanceof TokenFileError ||
    error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable;
  if (!known) throw error;
  writeStderr(`${NAME}: ${(error as Error).message}\n`);
  return 1;
}
