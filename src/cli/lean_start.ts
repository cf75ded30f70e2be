/**
 * What `main.ts` needs before it knows which command runs: the Rust tool's
 * spellings and the whole `proxy` command. Hosts start `rmcp-mux proxy` once
 * per session, so `main.ts` loads this as one generated, minified module,
 * `lean_start.bundle.js` (`deno task bundle`; a test keeps it equal to these
 * sources): one module instead of eighteen, and less source for V8 to hold,
 * saves about 1 MiB of each proxy's memory (bench scenario 8). Every other
 * command is loaded from the sources.
 *
 * @module
 */

export { translateRustArgs } from "./rust_compat.ts";
export { proxyMain, runProxyCommand } from "./proxy_command.ts";
