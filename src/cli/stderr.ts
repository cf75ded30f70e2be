/**
 * Writing to stderr, synchronously and completely (so nothing is lost on exit).
 * Kept apart from the log sink so the smallest commands load nothing else.
 * A daemon started in the background sends it to a log file instead.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Past this size a log file is moved to `<file>.old` and started afresh (at most twice this on disk). */
export const MAX_LOG_FILE_BYTES = 10 * 1024 * 1024;

interface Sink {
  writeSync(bytes: Uint8Array): number;
}

let target: Sink = Deno.stderr;
/** The log file after {@link redirectStderr}: its path and how much it holds. */
let file: { path: string; size: number; limit: number; handle: Deno.FsFile } | undefined;

/** Write all of `text` to stderr (or the log file, after {@link redirectStderr}). */
export function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  try {
    if (file && file.size + bytes.length > file.limit && file.size > 0) rotate(file);
    let offset = 0;
    while (offset < bytes.length) offset += target.writeSync(bytes.subarray(offset));
    if (file) file.size += bytes.length;
  } catch {
    // stderr closed, or the log file gone: nowhere left to write.
  }
}

function rotate(current: NonNullable<typeof file>): void {
  current.handle.close();
  Deno.renameSync(current.path, `${current.path}.old`);
  current.handle = Deno.openSync(current.path, { append: true, create: true, mode: 0o600 });
  current.size = 0;
  target = current.handle;
}

/**
 * From now on, {@link writeStderr} (every log line and error of the CLI)
 * appends to `path` (created `0600`). Once it would grow past `limit`
 * ({@link MAX_LOG_FILE_BYTES}), it is moved to `<path>.old` (replacing the
 * previous one) and started afresh, at start and while running. Uncaught
 * errors are written there too before the process dies. Throws if the file
 * cannot be opened.
 */
export function redirectStderr(path: string, limit: number = MAX_LOG_FILE_BYTES): void {
  let size = 0;
  try {
    size = Deno.statSync(path).size;
  } catch {
    // No file yet.
  }
  const handle = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
  file = { path, size, limit, handle };
  target = handle;
  const report = (what: unknown) => {
    const text = what instanceof Error ? what.stack ?? what.message : String(what);
    writeStderr(`${new Date().toISOString()} FATAL ${text}\n`);
  };
  globalThis.addEventListener("error", (event) => report(event.error));
  globalThis.addEventListener("unhandledrejection", (event) => report(event.reason));
}
