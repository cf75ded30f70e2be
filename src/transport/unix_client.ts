/**
 * Connecting to a mux socket, with errors that say what is wrong in words:
 * no mux there, a stale socket, no permission.
 *
 * @module
 */

/** A connection to a mux socket failed; the message names the path and the reason. */
export class ConnectError extends Error {
  /** Always `"ConnectError"`. */
  override name = "ConnectError";
  /** The socket path. */
  readonly path: string;
  /** Short reason, e.g. "no such file". */
  readonly reason: string;

  /**
   * An error for the socket at `path` that could not be reached, and why (in words).
   *
   * @param path the socket path
   * @param reason why it could not be reached
   */
  constructor(path: string, reason: string) {
    super(`cannot connect to ${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

/** Connect to the Unix socket at `path`; throws {@link ConnectError}. */
export async function connectUnix(path: string): Promise<Deno.UnixConn> {
  try {
    return await Deno.connect({ transport: "unix", path });
  } catch (error) {
    throw new ConnectError(path, describeConnectError(error));
  }
}

function describeConnectError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such socket (is the mux running?)";
  if (error instanceof Deno.errors.ConnectionRefused) {
    return "connection refused (a stale socket: the mux that made it is not running)";
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return "permission denied (the socket belongs to another user)";
  }
  if (error instanceof Deno.errors.NotADirectory) return "a part of the path is not a directory";
  return error instanceof Error ? error.message : String(error);
}
