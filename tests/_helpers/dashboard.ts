/**
 * A daemon with its HTTP listener on a free loopback port — the dashboard at
 * `/`, the services at `/mcp/NAME` — and a signed-in HTTP client for it.
 */

import { Daemon, type DaemonOptions } from "../../src/daemon/daemon.ts";

/** A daemon serving its dashboard; disposing it stops the daemon and removes its directory. */
export interface DashboardDaemon extends AsyncDisposable {
  daemon: Daemon;
  /** Its temp directory (sockets, the token file). */
  dir: string;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** The HTTP listener's bearer token. */
  token: string;
  /** The dashboard's session cookie name on this port. */
  cookie: string;
}

/**
 * Start a daemon whose HTTP listener is on 127.0.0.1 (a free port), its token
 * in the temp directory. `services` gets that directory.
 */
export async function startDashboardDaemon(
  services: (dir: string) => DaemonOptions["services"],
  options: Partial<DaemonOptions> = {},
): Promise<DashboardDaemon> {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-dash-" });
  const tokenFile = `${dir}/state/http.token`;
  const daemon = await Daemon.start({
    services: services(dir),
    http: { listen: "127.0.0.1:0", tokenFile },
    ...options,
  });
  const url = new URL(daemon.status().http!.url);
  return {
    daemon,
    dir,
    origin: url.origin,
    token: (await Deno.readTextFile(tokenFile)).trim(),
    cookie: `rmcp_mux_dashboard_${url.port}`,
    async [Symbol.asyncDispose]() {
      await daemon.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
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

/**
 * Sign in as the page does: follow the login link, then claim the session's
 * key (once). The headers every `/api/*` request of the page carries.
 */
export async function signInAsPage(
  url: string,
): Promise<{ cookie: string; "x-rmcp-mux-key": string }> {
  const cookie = await signIn(url);
  const origin = new URL(url).origin;
  const response = await fetch(`${origin}/api/key`, {
    method: "POST",
    headers: { cookie, origin },
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`key claim failed: ${response.status} ${body.text}`);
  return { cookie, "x-rmcp-mux-key": body.key };
}
