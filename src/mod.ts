/**
 * rmcp-mux: one MCP server process shared by many clients over a Unix socket.
 *
 * MCP hosts start every stdio server once per session; ten sessions of nine
 * servers is ninety processes. A mux runs each server once behind a Unix
 * socket and makes it look like a private server to every client: ids,
 * progress tokens and cancellations are rewritten per client, `initialize`
 * is answered from one cached handshake, and a crashed server is restarted
 * and re-initialized without clients noticing more than a failed request.
 *
 * @example Run a mux for 30 seconds
 * ```ts ignore
 * import { MuxServer } from "@rmcp-mux/mux";
 *
 * await using mux = await MuxServer.start({
 *   socket: "/tmp/rmcp-mux-example/memory.sock",
 *   cmd: "npx",
 *   args: ["-y", "@modelcontextprotocol/server-memory"],
 * });
 * console.log(mux.status().server.phase);
 * await new Promise((resolve) => setTimeout(resolve, 30_000));
 * ```
 *
 * @module
 */

export { MuxServer, type MuxStatus } from "./server/mux_server.ts";
export {
  DEFAULTS,
  type MuxOptions,
  OptionError,
  type ResolvedMuxOptions,
  resolveOptions,
  serviceNameFromSocket,
} from "./config/options.ts";
export { HEALTH_METHOD, MAX_PENDING, MAX_QUEUE } from "./router/router.ts";
export type { ServerPhase, ServerState } from "./router/server_state.ts";
export { SocketPathError } from "./server/socket_path.ts";
export { ConnectError, type ProxyEnd, type ProxyOptions, runProxy } from "./proxy/proxy.ts";
export { checkHealth, type HealthOptions, type HealthReport } from "./health/check.ts";
export { ErrorCode, type ErrorCodeValue } from "./jsonrpc/codes.ts";
export { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "./router/negotiate.ts";
export { LOG_CATEGORY } from "./log/logger.ts";
export { NAME, VERSION } from "./version.ts";
