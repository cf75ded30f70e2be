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

/**
 * The socket path cannot be used; the message says why and what to do, for
 * a path given as `--socket` ({@link SocketPathError.from} names another
 * place it was set, such as a config file's `socket:`).
 */
export class SocketPathError extends Error {
  /** Always `"SocketPathError"`. */
  override name = "SocketPathError";
  readonly #problem?: string;
  readonly #fix?: (setting: string) => string;

  /**
   * `problem` and `fix`: what failed, and what to do given where the path
   * was set, for {@link from}; `message` says it for `--socket`.
   */
  constructor(message: string, problem?: string, fix?: (setting: string) => string) {
    super(message);
    if (problem !== undefined && fix) {
      this.#problem = problem;
      this.#fix = fix;
    }
  }

  /**
   * The message for a path that `setting` set (e.g. `socket: in FILE
   * (service NAME)`): it names that setting instead of `--socket`.
   */
  from(setting: string): string {
    return this.#problem !== undefined && this.#fix
      ? `${this.#problem}; ${this.#fix(setting)}`
      : this.message;
  }
}

/** Prepare `path` for listening: create its directory (0700) and clear a stale socket. */
export async function prepareSocketPath(path: string): Promise<{ removedStale: boolean }> {
  const bytes = byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    const problem = `Socket path "${path}" is ${bytes} bytes; Unix sockets allow at most ` +
      `${MAX_SOCKET_PATH_BYTES}`;
    throw new SocketPathError(
      `${problem}. Use a shorter path`,
      problem,
      (setting) => `set ${setting} to a shorter path`,
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
    const problem = `"${path}" exists and is not a socket; refusing to replace it`;
    throw new SocketPathError(
      `${problem}. Choose another --socket path`,
      problem,
      (setting) => `set ${setting} to another path`,
    );
  }
  if (await isLive(path)) {
    const problem = `Another rmcp-mux is already listening on "${path}"`;
    throw new SocketPathError(
      `${problem}; stop it first or choose another --socket path`,
      problem,
      (setting) => `stop it first, or set ${setting} to another path`,
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

/** A listening Unix socket. */
type UnixListener = Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;

/**
 * Listen on a Unix socket that nobody else can connect to, from its first
 * instant, without touching the process umask: Worker threads share it, and
 * narrowing it around binds that overlap in two threads could leave it narrowed
 * for good. The socket is bound inside a fresh `0700` directory beside `path`,
 * set `0600` there, then hard-linked to `path` and its temporary name removed.
 * A link, like a bind, fails if `path` exists: of two binds racing for one path
 * exactly one wins (the daemon's election relies on it); a rename would not.
 *
 * The listener's `addr` names the temporary path; use `path`, which the caller
 * removes at close.
 */
export function listenPrivately(path: string): UnixListener {
  const dir = dirOf(path);
  if (byteLength(dir) + STAGING_BYTES <= MAX_SOCKET_PATH_BYTES) {
    const listener = bindAndLink(path, dir);
    if (listener) return listener;
  }
  // The remaining narrow cases: the temporary path would be too long (`path`
  // itself fits), the file system has no hard links, or Deno's permissions
  // cover `path` but not its directory. A private directory already keeps
  // everyone else out; otherwise the umask is narrowed around the bind (not
  // safe if another thread binds at the same instant, see above).
  return bindInPlace(path, !isPrivateDir(dir));
}

/** The temporary directory's name prefix; a crash can leave one behind, safe to delete. */
const STAGING_PREFIX = ".rmcp-";
/** Random characters after the prefix (36^6 names; a taken one is retried). */
const STAGING_RANDOM = 6;
/** Bytes the temporary socket path adds to its directory's: `/.rmcp-xxxxxx/s`. */
const STAGING_BYTES = 1 + STAGING_PREFIX.length + STAGING_RANDOM + 2;

/**
 * Bind in a fresh private directory and link to `path`; the directory is gone
 * when it returns. `null` if this way cannot work here (the caller falls back).
 */
function bindAndLink(path: string, dir: string): UnixListener | null {
  let staging: string;
  try {
    staging = makeStagingDir(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return null;
    throw unusable(path, error);
  }
  const temporary = `${staging}/s`;
  let listener: UnixListener | undefined;
  try {
    listener = Deno.listen({ transport: "unix", path: temporary });
    Deno.chmodSync(temporary, 0o600);
  } catch (error) {
    listener?.close();
    removeQuietly(staging);
    throw unusable(path, error);
  }
  try {
    Deno.linkSync(temporary, path);
  } catch (error) {
    listener.close();
    if (error instanceof Deno.errors.AlreadyExists) throw unusable(path, error);
    return null; // No hard links on this file system.
  } finally {
    removeQuietly(staging);
  }
  return listener;
}

/** A new directory in `dir` that only its owner can enter, whatever the umask. */
function makeStagingDir(dir: string): string {
  const letters = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (let attempt = 0;; attempt++) {
    const random = crypto.getRandomValues(new Uint8Array(STAGING_RANDOM));
    const name = `${dir}/${STAGING_PREFIX}${[...random].map((b) => letters[b % 36]).join("")}`;
    try {
      // The umask can only narrow 0700 (never widen it); chmod restores the search bit.
      Deno.mkdirSync(name, { mode: 0o700 });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists && attempt < 8) continue;
      throw error;
    }
    try {
      Deno.chmodSync(name, 0o700);
    } catch (error) {
      removeQuietly(name);
      throw error;
    }
    return name;
  }
}

/** Bind at `path` itself, narrowing the umask around the bind if asked. */
function bindInPlace(path: string, narrowUmask: boolean): UnixListener {
  const previous = narrowUmask ? Deno.umask(0o177) : undefined;
  let listener: UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch (error) {
    throw unusable(path, error);
  } finally {
    if (previous !== undefined) Deno.umask(previous);
  }
  try {
    Deno.chmodSync(path, 0o600);
  } catch (error) {
    listener.close(); // Deno unlinks the path it bound.
    throw unusable(path, error);
  }
  return listener;
}

/** True if `dir` is ours and nobody else may enter it. */
function isPrivateDir(dir: string): boolean {
  try {
    const info = Deno.statSync(dir);
    return info.uid !== null && info.uid === Deno.uid() && (info.mode! & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Remove a temporary directory and the socket in it; ignore failure. */
function removeQuietly(dir: string): void {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // Already gone, or nothing more can be done.
  }
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

function unusable(path: string, error: unknown): SocketPathError {
  if (error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AlreadyExists) {
    const problem = `"${path}" is in use by another process`;
    return new SocketPathError(
      `${problem}; stop it or choose another --socket path`,
      problem,
      (setting) => `stop it, or set ${setting} to another path`,
    );
  }
  const problem = `cannot create the socket "${path}": ${describeFsError(error)} in ` +
    `"${dirOf(path)}"`;
  return new SocketPathError(
    `${problem}; choose a --socket path in a directory you can write`,
    problem,
    (setting) => `set ${setting} to a path in a directory you can write`,
  );
}
