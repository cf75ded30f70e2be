/**
 * Making a socket path safe to listen on: a private parent directory, no
 * stealing a live mux's socket, stale sockets cleaned up, and nothing that is
 * not a socket ever deleted. Every failure is one {@link SocketPathError}
 * naming the path and what to do.
 *
 * @module
 */

import { describeFsError, dirOf, ensurePrivateDir, PathError } from "../paths/private_dir.ts";

/** Longest Unix socket path the OS accepts (Linux 107 bytes, macOS 103). */
export const MAX_SOCKET_PATH_BYTES = Deno.build.os === "darwin" ? 103 : 107;

/** The socket path cannot be used; the message says why and what to do. */
export class SocketPathError extends Error {
  /** Always `"SocketPathError"`. */
  override name = "SocketPathError";
}

/** Prepare `path` for listening: create its directory (0700) and clear a stale socket. */
export async function prepareSocketPath(path: string): Promise<{ removedStale: boolean }> {
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new SocketPathError(
      `Socket path "${path}" is ${bytes} bytes; Unix sockets allow at most ` +
        `${MAX_SOCKET_PATH_BYTES}. Use a shorter path`,
    );
  }
  try {
    await ensurePrivateDir(dirOf(path), "socket");
  } catch (error) {
    if (error instanceof PathError) throw new SocketPathError(error.message);
    throw error;
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { removedStale: false };
    throw unusable(path, error);
  }
  if (!info.isSocket) {
    throw new SocketPathError(
      `"${path}" exists and is not a socket; refusing to replace it. Choose another --socket path`,
    );
  }
  if (await isLive(path)) {
    throw new SocketPathError(
      `Another rmcp-mux is already listening on "${path}"; stop it first or choose another --socket path`,
    );
  }
  await Deno.remove(path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw unusable(path, error);
  });
  return { removedStale: true };
}

/** True if something accepts connections on `path`. */
async function isLive(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Listen on a Unix socket that nobody else can connect to, from its first
 * instant: Deno creates the file with the umask's mode, so the umask is
 * narrowed around the bind (and the mode set again after, to be sure).
 */
export function listenPrivately(path: string): Deno.Listener<Deno.UnixConn, Deno.UnixAddr> {
  const previous = Deno.umask(0o177);
  let listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch (error) {
    throw unusable(path, error);
  } finally {
    Deno.umask(previous);
  }
  try {
    Deno.chmodSync(path, 0o600);
  } catch (error) {
    listener.close();
    throw unusable(path, error);
  }
  return listener;
}

function unusable(path: string, error: unknown): SocketPathError {
  if (error instanceof Deno.errors.AddrInUse) {
    return new SocketPathError(
      `"${path}" is in use by another process; stop it or choose another --socket path`,
    );
  }
  return new SocketPathError(
    `cannot create the socket "${path}": ${describeFsError(error)} in "${dirOf(path)}"; ` +
      "choose a --socket path in a directory you can write",
  );
}
