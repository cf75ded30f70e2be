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
 * @example Share a server: one mux, one socket
 * ```ts
 * import { checkHealth, MuxConfig, spawnMuxServer } from "@rmcp-mux/mux";
 *
 * const dir = await Deno.makeTempDir();
 * const config = new MuxConfig(`${dir}/memory.sock`, "npx")
 *   .withArgs(["-y", "@modelcontextprotocol/server-memory"])
 *   .withLazyStart(); // spawned when a client first needs it
 * await using mux = await spawnMuxServer(config);
 * console.log(mux.status().server.phase); // "idle" until a client asks
 * console.log((await checkHealth(mux.socketPath)).message);
 * ```
 *
 * @module
 */

export { MuxServer } from "./server/mux_server.ts";
export type { ClientStatus, MuxStatus } from "./server/mux_status.ts";
export type { ApplyMode } from "./server/live_settings.ts";
export type { CloseReason } from "./router/upstream_failures.ts";
export { MuxClient } from "./server/mux_client.ts";
export type { ClientPort, ClientTransport } from "./router/session.ts";
export type { LineEvent } from "./jsonrpc/framing.ts";
export type { JsonRpcId } from "./jsonrpc/message.ts";

export { HttpListener, type HttpServices } from "./http/listener.ts";
export type { HttpService } from "./http/endpoint.ts";
export { HTTP_DEFAULTS, type HttpAuth, HttpOptionError, type HttpOptions } from "./http/options.ts";
export { loadOrCreateToken, TokenFileError } from "./http/token.ts";
export { MuxConfig } from "./api/mux_config.ts";
export { MuxHandle, runMuxServer, spawnMuxServer } from "./api/spawn.ts";
export {
  Daemon,
  DaemonError,
  type DaemonOptions,
  type DaemonService,
  type DaemonStatus,
  type ServiceState,
  type ServiceStatus,
} from "./daemon/daemon.ts";
export type { ReloadPlan, ReloadReport } from "./daemon/reload.ts";
export { type ControlHandler, type ControlMethod, ControlServer } from "./control/server.ts";
export { controlSocketFor } from "./daemon/control_path.ts";
export { type DirsEnv, runtimeDir, stateDir } from "./paths/dirs.ts";
export { loadConfig } from "./config/load.ts";
export { parseConfig } from "./config/parse.ts";
export {
  type CliOverrides,
  type SelectedService,
  selectServices,
  type ServiceFilter,
} from "./config/select.ts";
export { defaultConfigPath } from "./config/default_path.ts";
export { ConfigError, type ConfigIssue } from "./config/errors.ts";
export { configJsonSchema } from "./config/schema.ts";
export type { LogFormat, LogLevel } from "./config/log_settings.ts";
export type { DaemonSettings, MuxFileConfig, ParseOptions, ServiceEntry } from "./config/types.ts";
export { callControl, ControlError } from "./control/client.ts";
export type { LatencySummary } from "./router/metrics.ts";
export type { IsolationStatus, ProcessStatus } from "./isolation/pool_status.ts";
export { ISOLATION_CAPABILITY, type IsolationSource } from "./isolation/mode.ts";
export {
  DEFAULTS,
  type IsolationMode,
  type MuxOptions,
  OptionError,
  type ResolvedMuxOptions,
  resolveOptions,
  serviceNameFromSocket,
} from "./config/options.ts";
export { MAX_PENDING } from "./router/client_messages.ts";
export { MAX_QUEUE } from "./router/upstream_options.ts";
export {
  CANCEL_GRACE_MS,
  MAX_CANCEL_GRACE_MS,
  MAX_CANCELLED_CALLS,
} from "./router/cancelled_calls.ts";
export { HEALTH_METHOD, STATUS_METHOD } from "./jsonrpc/mux_methods.ts";
export type { ServerPhase, ServerState } from "./router/server_state.ts";
export { SocketPathError } from "./server/socket_path.ts";
export { ConnectError, type ProxyEnd, type ProxyOptions, runProxy } from "./proxy/proxy.ts";
export { checkHealth, type HealthOptions, type HealthReport } from "./health/check.ts";
export { ErrorCode, type ErrorCodeValue } from "./jsonrpc/codes.ts";
export { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "./router/negotiate.ts";
export {
  type Era,
  MODERN_PROTOCOL_VERSION,
  UPSTREAM_ERA_SETTINGS,
  type UpstreamEraSetting,
} from "./router/eras.ts";
export { LOG_CATEGORY } from "./log/logger.ts";
export { NAME, VERSION } from "./version.ts";
export {
  HISTORY_EVENTS,
  HISTORY_POINTS,
  HISTORY_STEP_MS,
  type HistoryPoint,
  type ServiceEvent,
  type ServiceHistory,
} from "./daemon/history.ts";
export {
  createDashboard,
  Dashboard,
  type DashboardDaemon,
  type DashboardLogin,
  type DashboardOptions,
} from "./dashboard/dashboard.ts";
export { DASHBOARD_LOGIN_METHOD, dashboardControl } from "./dashboard/control.ts";
