/**
 * How `rmcp-mux dashboard` gets its link: a control method the daemon
 * answers with a fresh one-time login URL — or, when the daemon has no HTTP
 * listener, with an error saying how to turn one on.
 *
 * @module
 */

import type { ControlHandler } from "../control/server.ts";
import { DaemonError } from "../daemon/daemon.ts";
import type { Dashboard, DashboardLogin } from "./dashboard.ts";

/** The control method that mints a login link. */
export const DASHBOARD_LOGIN_METHOD = "dashboard/login";

/** What the daemon answers when it serves no dashboard. */
export const NO_HTTP_LISTENER =
  "this daemon has no HTTP listener, so no dashboard: start it with --http 127.0.0.1:PORT " +
  "(or set daemon.http.listen in its config file), then run rmcp-mux dashboard again";

/** Where a dashboard is served: the dashboard and its listener's origin (`http://127.0.0.1:7878`). */
export interface MountedDashboard {
  /** The dashboard. */
  dashboard: Dashboard;
  /** The origin of the listener serving it, e.g. `http://127.0.0.1:7878`. */
  origin: string;
}

/**
 * The control methods for a daemon's dashboard — pass them to
 * `ControlServer.start`. Without `mounted`, `dashboard/login` explains how
 * to turn the HTTP listener on.
 */
export function dashboardControl(
  mounted: MountedDashboard | (() => MountedDashboard | undefined) | undefined,
): Record<string, ControlHandler> {
  return {
    [DASHBOARD_LOGIN_METHOD]: (): DashboardLogin & Record<string, unknown> => {
      const where = typeof mounted === "function" ? mounted() : mounted;
      // The caller's to fix (turn the listener on), not a fault of the daemon.
      if (!where) throw new DaemonError(NO_HTTP_LISTENER);
      return { ...where.dashboard.login(where.origin) };
    },
  };
}
