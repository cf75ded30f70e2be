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
 */
export async function ensurePrivateDir(dir: string, purpose: string): Promise<void> {
  try {
    const info = await Deno.stat(dir);
    if (!info.isDirectory) {
      throw new PathError(
        `cannot create the ${purpose} directory "${dir}": it exists and is not a directory`,
      );
    }
    return;
  } catch (error) {
    if (error instanceof PathError) throw error;
    if (!(error instanceof Deno.errors.NotFound)) throw pathError(dir, purpose, error);
  }
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700); // mkdir's mode is filtered by the umask
  } catch (error) {
    throw pathError(dir, purpose, error);
  }
}

/** Same as {@link ensurePrivateDir}, synchronously. */
export function ensurePrivateDirSync(dir: string, purpose: string): void {
  try {
    if (Deno.statSync(dir).isDirectory) return;
    throw new PathError(
      `cannot create the ${purpose} directory "${dir}": it exists and is not a directory`,
    );
  } catch (error) {
    if (error instanceof PathError) throw error;
    if (!(error instanceof Deno.errors.NotFound)) throw pathError(dir, purpose, error);
  }
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    Deno.chmodSync(dir, 0o700);
  } catch (error) {
    throw pathError(dir, purpose, error);
  }
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

function pathError(dir: string, purpose: string, error: unknown): PathError {
  return new PathError(
    `cannot create the ${purpose} directory "${dir}": ${describeFsError(error)}; ` +
      "choose a path in a directory you own",
  );
}
