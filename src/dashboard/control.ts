/**
 * How `rmcp-mux dashboard` gets its link: a control method the daemon
 * answers with a fresh one-time login URL — or, when the daemon has no HTTP
 * listener, with an error saying how to turn one on.
 *
 * @module
 */

import type { ControlHandler } from "../control/server.ts";
import type { DashboardLogin } from "./dashboard.ts";

/** The control method that mints a login link. */
export const DASHBOARD_LOGIN_METHOD = "dashboard/login";

/** Why a daemon without an HTTP listener has no dashboard, and what to do. */
export const NO_HTTP_LISTENER =
  "this daemon has no HTTP listener, so no dashboard: start it with --http 127.0.0.1:PORT " +
  "(or set daemon.http.listen in its config file), then run rmcp-mux dashboard again";

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
