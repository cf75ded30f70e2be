/**
 * A command's report on stdout, written whole and synchronously. When its
 * reader has gone (`rmcp-mux scan | head -1` past the pipe's buffer, a
 * closed pipe) the rest is dropped quietly, as `console.log` does — the
 * command's work is done, and failing it then would only hide that.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Write all of `text` to stdout; `false` if its reader has gone (nothing more is written). */
export function writeStdout(text: string): boolean {
  const bytes = encoder.encode(text);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.BadResource) {
      return false;
    }
    throw error;
  }
}
