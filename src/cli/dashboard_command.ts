/**
 * `rmcp-mux dashboard [--open]`: ask the running daemon for a one-time login
 * link to its dashboard, print it, and with `--open` open it in the browser.
 *
 * @module
 */

import { callControl } from "../control/client.ts";
import { DASHBOARD_LOGIN_METHOD } from "../dashboard/control.ts";
import type { DashboardLogin } from "../dashboard/dashboard.ts";
import { NAME } from "../version.ts";
import { resolve } from "./admin_commands.ts";
import type { Command } from "./args.ts";
import { reportError } from "./lifecycle.ts";
import { writeStderr } from "./stderr.ts";

type DashboardCommand = Extract<Command, { kind: "dashboard" }>;

/** Print (and open) the dashboard's login link. Returns the exit code. */
export async function runDashboardCommand(command: DashboardCommand): Promise<number> {
  let login: DashboardLogin;
  try {
    const { path } = await resolve(command.target);
    login = await callControl(
      path,
      DASHBOARD_LOGIN_METHOD,
      undefined,
      10_000,
    ) as unknown as DashboardLogin;
  } catch (error) {
    return reportError(error);
  }
  // The link alone on stdout (for scripts); what it is, on stderr.
  console.log(login.url);
  const seconds = Math.max(0, Math.round((login.expiresAt - Date.now()) / 1000));
  writeStderr(
    `${NAME}: a one-time login link to the dashboard; it works once, within ${seconds} s\n`,
  );
  if (!command.open) return 0;
  const opener = browserCommand(login.url);
  try {
    // Not awaited: a browser may run long after this command is done.
    new Deno.Command(opener[0]!, {
      args: opener.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn().unref();
  } catch (error) {
    writeStderr(
      `${NAME}: could not open a browser with ${opener[0]} (${(error as Error).message}); ` +
        "open the link above yourself\n",
    );
    return 1;
  }
  return 0;
}

/** How to open `url`: `$BROWSER` (one program, no shell), else the platform's opener. */
function browserCommand(url: string): string[] {
  const browser = Deno.env.get("BROWSER")?.trim();
  if (browser) return [browser, url];
  switch (Deno.build.os) {
    case "darwin":
      return ["open", url];
    case "windows":
      return ["rundll32", "url.dll,FileProtocolHandler", url];
    default:
      return ["xdg-open", url];
  }
}
