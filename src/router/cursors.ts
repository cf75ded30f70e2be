/**
 * Pagination cursors are only valid for the server process that issued
 * them. The mux tags each cursor with the process generation on the way out,
 * and refuses (-32602) a cursor from an earlier process instead of passing
 * it to a server that never issued it. Pure.
 *
 * @module
 */

/** Methods whose results carry `nextCursor` and whose params take `cursor`. */
export const PAGINATED_METHODS: ReadonlySet<string> = new Set([
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "tasks/list",
]);

const PREFIX = "rmcp-mux:";

/** Tag a server cursor with the generation of the process that issued it. */
export function wrapCursor(generation: number, cursor: string): string {
  return `${PREFIX}${generation}:${cursor}`;
}

/** The server's cursor, or why the client's cursor cannot be used. */
export type Unwrapped = { ok: true; cursor: string } | { ok: false; reason: string };

/** Recover the server cursor from a client cursor, checking its generation. */
export function unwrapCursor(generation: number, cursor: unknown): Unwrapped {
  if (typeof cursor !== "string") return { ok: false, reason: "cursor must be a string" };
  const match = /^rmcp-mux:(\d+):([\s\S]*)$/.exec(cursor);
  if (!match) return { ok: false, reason: "not a cursor this server issued" };
  if (Number(match[1]) !== generation) {
    return {
      ok: false,
      reason: "the cursor is from before the server restarted; list again from the start",
    };
  }
  return { ok: true, cursor: match[2]! };
}
