/**
 * Writing to stderr, synchronously and completely (so nothing is lost on exit).
 * Kept apart from the log sink so the smallest commands load nothing else.
 * A daemon started in the background sends it to a log file instead.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Past this size, a log file is renamed to `<file>.old` when it is opened again. */
export const MAX_LOG_FILE_BYTES = 10 * 1024 * 1024;

let target: { writeSync(bytes: Uint8Array): number } = Deno.stderr;

/** Write all of `text` to stderr (or the log file, after {@link redirectStderr}). */
export function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += target.writeSync(bytes.subarray(offset));
  } catch {
    // stderr closed: nowhere left to write.
  }
}

/**
 * From now on, {@link writeStderr} (every log line and error of the CLI)
 * appends to `path` (created `0600`; one over {@link MAX_LOG_FILE_BYTES} is
 * kept as `<path>.old` and started afresh). Uncaught errors are written there
 * too before the process dies. Throws if the file cannot be opened.
 */
export function redirectStderr(path: string): void {
  try {
    if (Deno.statSync(path).size > MAX_LOG_FILE_BYTES) Deno.renameSync(path, `${path}.old`);
  } catch {
    // No file yet.
  }
  target = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
  const report = (what: unknown) => {
    const text = what instanceof Error ? what.stack ?? what.message : String(what);
    writeStderr(`${new Date().toISOString()} FATAL ${text}\n`);
  };
  globalThis.addEventListener("error", (event) => report(event.error));
  globalThis.addEventListener("unhandledrejection", (event) => report(event.reason));
}
