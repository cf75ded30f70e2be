/**
 * Writing to stderr, synchronously and completely (so nothing is lost on exit).
 * Kept apart from the log sink so the smallest commands load nothing else.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Write all of `text` to stderr. */
export function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
  } catch {
    // stderr closed: nowhere left to write.
  }
}
