/**
 * The dashboard served the way a daemon serves it, on a loopback port of its
 * own (`Deno.serve` on 127.0.0.1:0), and a signed-in HTTP client for it.
 */

import type { Daemon } from "../../src/daemon/daemon.ts";
import { createDashboard, type Dashboard } from "../../src/dashboard/dashboard.ts";

/** A dashboard on a loopback port; disposing it stops the server. */
export interface ServedDashboard extends AsyncDisposable {
  dashboard: Dashboard;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** The session cookie's name on this port. */
  cookie: string;
}

/** Serve `daemon`'s dashboard at `/` of a fresh loopback port. */
export function serveDashboard(daemon: Daemon, token?: string): ServedDashboard {
  const dashboard = createDashboard({ daemon, ...(token ? { token } : {}) });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) =>
      await dashboard.handle(request) ?? new Response("not found\n", { status: 404 }),
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    dashboard,
    origin,
    cookie: `rmcp_mux_dashboard_${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      dashboard.close();
      await server.shutdown();
    },
  };
}

/** Follow a login link without a browser: the session cookie it sets (`name=value`). */
export async function signIn(url: string): Promise<string> {
  const response = await fetch(url, { redirect: "manual" });
  await response.body?.cancel();
  const cookie = response.headers.get("set-cookie");
  if (response.status !== 303 || !cookie) {
    throw new Error(`login failed: ${response.status} ${cookie ?? "(no cookie)"}`);
  }
  return cookie.split(";")[0]!;
}
