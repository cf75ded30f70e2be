/**
 * Creating the directories rmcp-mux owns (socket directories, the runtime
 * and state directories) private to their owner, with errors that name the
 * path and say what to do instead of a stack trace.
 *
 * @module
 */

/** A path rmcp-mux needs cannot be used; the message names it and says what to do. */
export class PathError extends Error {
  /** Always `"PathError"`. */
  override name = "PathError";
}

/** The directory part of `path` (`"."` for a bare name). */
export function dirOf(path: string): string {
  return path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
}

/**
 * Make sure `dir` exists, creating it (and its parents) `0700` if it does not.
 * An existing directory is left as it is. `purpose` names it in errors
 * ("socket", "state"…). Throws {@link PathError}.
 *
 * Missing directories are created one at a time, each set to `0700` before the
 * next is made inside it: `mkdir`'s mode is filtered by the process umask,
 * which may be narrow (an embedding application's, or the rare socket bind
 * that still narrows it for an instant, see `listenPrivately`), and a
 * directory made under 0177 would lack its search bit.
 */
export async function ensurePrivateDir(dir: string, purpose: string): Promise<void> {
  const missing: string[] = [];
  for (let at = dir;; at = dirOf(at)) {
    try {
      const info = await Deno.stat(at);
      if (!info.isDirectory) throw notADirectory(at, dir, purpose);
      break;
    } catch (error) {
      if (error instanceof PathError) throw error;
      if (!(error instanceof Deno.errors.NotFound)) throw pathError(dir, purpose, error);
    }
    missing.push(at);
    if (at === "/" || at === ".") break;
  }
  try {
    for (const at of missing.reverse()) {
      await Deno.mkdir(at, { mode: 0o700 }).catch((error) => {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      });
      await Deno.chmod(at, 0o700);
    }
  } catch (error) {
    throw pathError(dir, purpose, error);
  }
}

/** Same as {@link ensurePrivateDir}, synchronously. */
export function ensurePrivateDirSync(dir: string, purpose: string): void {
  const missing: string[] = [];
  for (let at = dir;; at = dirOf(at)) {
    try {
      if (!Deno.statSync(at).isDirectory) throw notADirectory(at, dir, purpose);
      break;
    } catch (error) {
      if (error instanceof PathError) throw error;
      if (!(error instanceof Deno.errors.NotFound)) throw pathError(dir, purpose, error);
    }
    missing.push(at);
    if (at === "/" || at === ".") break;
  }
  try {
    for (const at of missing.reverse()) {
      try {
        Deno.mkdirSync(at, { mode: 0o700 });
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
      Deno.chmodSync(at, 0o700);
    }
  } catch (error) {
    throw pathError(dir, purpose, error);
  }
}

function notADirectory(at: string, dir: string, purpose: string): PathError {
  return new PathError(
    at === dir
      ? `cannot create the ${purpose} directory "${dir}": it exists and is not a directory`
      : `cannot create the ${purpose} directory "${dir}": "${at}" is not a directory`,
  );
}

/** An OS error about `path`, in words. */
export function describeFsError(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotFound) return "a parent directory does not exist";
  if (error instanceof Deno.errors.NotADirectory) return "a part of the path is not a directory";
  if (error instanceof Deno.errors.AlreadyExists) return "it already exists";
  const message = error instanceof Error ? error.message : String(error);
  // Deno appends ": <syscall> '<path>'"; the path is already named.
  return message.replace(/\s*\(os error \d+\)/, "").replace(/: \w+ '.*'$/, "");
}

/** What to do about a directory that cannot be made: the runtime and state ones come from XDG. */
const REMEDY: Readonly<Record<string, string>> = {
  runtime: "set XDG_RUNTIME_DIR to a directory you own (unset, ~/.rmcp-mux/run is used)",
  state: "set XDG_STATE_HOME to a directory you own (unset, ~/.local/state is used)",
};

function pathError(dir: string, purpose: string, error: unknown): PathError {
  return new PathError(
    `cannot create the ${purpose} directory "${dir}": ${describeFsError(error)}; ` +
      (REMEDY[purpose] ?? "choose a path in a directory you own"),
  );
}
