/**
 * Name and version of this package (kept equal to deno.json by a test).
 *
 * @module
 */

/** Program name; also the `clientInfo.name` the mux introduces itself with upstream. */
export const NAME = "rmcp-mux";

/** Package version. */
export const VERSION = "0.1.0";
