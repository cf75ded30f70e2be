/**
 * How `rmcp-mux dashboard` gets its link: a control method the daemon
 * answers with a fresh one-time login URL — or, when the daemon has no HTTP
 * listener, with an error saying how to turn one on.
 *
 * @module
 */

import type { ControlHandler } from "../control/server.ts";
import type { DashboardLogin } from "./dashboard.ts";
import { hintCommand } from "../paths/self_command.ts";

/** The control method that mints a login link. */
export const DASHBOARD_LOGIN_METHOD = "dashboard/login";

/** Why a daemon without an HTTP listener has no dashboard, and what to do. */
export function noHttpListener(): string {
  return "this daemon has no HTTP listener, so no dashboard: start it with --http " +
    "127.0.0.1:PORT (or set daemon.http.listen in its config file), then run " +
    `${hintCommand()} dashboard again`;
}

/**
 * The control methods of a daemon's dashboard, for `ControlServer.start`:
 * `dashboard/login` answers `daemon.dashboardLogin()` (its errors become the
 * error answer).
 *
 * @example
 * ```ts ignore
 * await ControlServer.start(path, daemon, onShutdown, dashboardControl(daemon));
 * ```
 */
export function dashboardControl(
  daemon: { dashboardLogin(): DashboardLogin },
): Record<string, ControlHandler> {
  return { [DASHBOARD_LOGIN_METHOD]: () => ({ ...daemon.dashboardLogin() }) };
}

/**
 * The origin a browser on this machine reaches a listener at: its own when
 * it is on loopback, `127.0.0.1`/`[::1]` for a wildcard address. The
 * dashboard answers loopback names only, so any other address throws.
 *
 * @example
 * ```ts
 * import { loopbackOrigin } from "./control.ts";
 * loopbackOrigin("http://0.0.0.0:7300"); // "http://127.0.0.1:7300"
 * ```
 */
export function loopbackOrigin(listenerUrl: string): string {
  const { hostname, port } = new URL(listenerUrl);
  const host = hostname === "0.0.0.0" ? "127.0.0.1" : hostname === "[::]" ? "[::1]" : hostname;
  if (!["localhost", "[::1]"].includes(host) && !/^127\.\d+\.\d+\.\d+$/.test(host)) {
    throw new Error(
      `the dashboard is served on loopback only, and this daemon's HTTP listener is on ` +
        `${hostname}: listen on 127.0.0.1 (or 0.0.0.0) to use it`,
    );
  }
  return `http://${host}:${port}`;
}
