/**
 * What each CLI command does, returning its exit code. `main.ts` only parses
 * and dispatches; everything here is reachable from tests without spawning.
 *
 * @module
 */

import type { MuxOptions } from "../config/options.ts";
import { MuxServer } from "../server/mux_server.ts";
import { NAME } from "../version.ts";
import type { LogSettings } from "./args.ts";
import { reportError, untilStopped } from "./lifecycle.ts";
import { setupLogging, writeStderr } from "./logging.ts";

/** The reference server `demo` runs (pinned like every dependency). */
export const REFERENCE_SERVER = "@modelcontextprotocol/server-everything@2026.8.31";

/** Default socket of `demo` and `deno task start`. */
export const DEMO_SOCKET = ".rmcp-mux/everything.sock";

/** `rmcp-mux --socket … --cmd …`: run one mux until SIGINT/SIGTERM. */
export async function runMuxCommand(options: MuxOptions, log: LogSettings): Promise<number> {
  setupLogging(log);
  let server: MuxServer;
  try {
    server = await MuxServer.start(options);
  } catch (error) {
    return reportError(error);
  }
  return await serveUntilSignal(server);
}

/** `rmcp-mux demo`: the mux in front of the MCP reference server. */
export async function runDemoCommand(
  options: Partial<Omit<MuxOptions, "cmd">>,
  log: LogSettings,
): Promise<number> {
  const socket = absolute(options.socket ?? DEMO_SOCKET);
  const exec = Deno.execPath();
  // From source, Deno itself runs the reference server; a compiled binary uses npx.
  const viaDeno = /^deno(\.exe)?$/.test(exec.split("/").pop() ?? "");
  const server = viaDeno
    ? { cmd: exec, args: ["run", "-A", "--quiet", `npm:${REFERENCE_SERVER}`, "stdio"] }
    : { cmd: "npx", args: ["-y", REFERENCE_SERVER, "stdio"] };
  setupLogging(log);
  let mux: MuxServer;
  try {
    mux = await MuxServer.start({ serviceName: "everything", ...options, ...server, socket });
  } catch (error) {
    return reportError(error);
  }
  const self = viaDeno
    ? `${exec} run -A ${new URL("../../main.ts", import.meta.url).pathname}`
    : exec;
  writeStderr(
    `
${NAME} demo: the MCP reference server is shared on ${socket}

Connect an MCP host through the stdio bridge, e.g.:
  claude mcp add everything -- ${self} proxy --socket ${socket}
or in a host's JSON config:
  { "command": "${self.split(" ")[0]}", "args": ${
      JSON.stringify([...self.split(" ").slice(1), "proxy", "--socket", socket])
    } }
Check it:
  ${self} health --socket ${socket}
Stop with Ctrl+C.

`,
  );
  return await serveUntilSignal(mux);
}

async function serveUntilSignal(server: MuxServer): Promise<number> {
  const ignoreHup = () => writeStderr(`${NAME}: SIGHUP ignored (nothing to reload)\n`);
  await untilStopped(server.closed, () => void server.close(), ignoreHup);
  return 0;
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}
