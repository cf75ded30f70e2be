/**
 * What each CLI command does, returning its exit code. `main.ts` only parses
 * and dispatches; everything here is reachable from tests without spawning.
 *
 * @module
 */

import type { MuxOptions } from "../config/options.ts";
import { HttpListener } from "../http/listener.ts";
import type { HttpOptions } from "../http/options.ts";
import { MuxServer } from "../server/mux_server.ts";
import { NAME } from "../version.ts";
import type { LogSettings } from "./args.ts";
import { reportError, untilStopped } from "./lifecycle.ts";
import { setupLogging, writeStderr } from "./logging.ts";

/** The reference server `demo` runs (pinned like every dependency). */
export const REFERENCE_SERVER = "@modelcontextprotocol/server-everything@2026.8.31";

/** Default socket of `demo` and `deno task start`. */
export const DEMO_SOCKET = ".rmcp-mux/everything.sock";

/** `rmcp-mux --socket … --cmd … [--http ADDR]`: run one mux until SIGINT/SIGTERM. */
export async function runMuxCommand(
  options: MuxOptions,
  log: LogSettings,
  http?: Partial<HttpOptions>,
): Promise<number> {
  setupLogging(log);
  let server: MuxServer;
  let listener: HttpListener | undefined;
  try {
    server = await MuxServer.start(options);
  } catch (error) {
    return reportError(error);
  }
  try {
    listener = await serveHttp(server, http);
  } catch (error) {
    await server.close();
    return reportError(error);
  }
  return await serveUntilSignal(server, listener);
}

/** Serve one mux over HTTP (at `/mcp/NAME` and `/mcp`) when `--http` was given. */
async function serveHttp(
  mux: MuxServer,
  http: Partial<HttpOptions> | undefined,
): Promise<HttpListener | undefined> {
  if (http?.listen === undefined) return undefined;
  const listener = await HttpListener.start({ ...http, listen: http.listen }, {
    get: (name) => (name === mux.service ? mux : undefined),
    names: () => [mux.service],
  });
  mux.httpUrl = listener.urlFor(mux.service);
  writeStderr(
    `${NAME}: serving ${mux.service} over HTTP at ${listener.url}/mcp` +
      (listener.tokenFile ? ` (token: ${NAME} http token)\n` : "\n"),
  );
  return listener;
}

/** `rmcp-mux demo`: the mux in front of the MCP reference server. */
export async function runDemoCommand(
  options: Partial<Omit<MuxOptions, "cmd">>,
  log: LogSettings,
  http?: Partial<HttpOptions>,
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
  let listener: HttpListener | undefined;
  try {
    listener = await serveHttp(mux, http);
  } catch (error) {
    await mux.close();
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
  return await serveUntilSignal(mux, listener);
}

async function serveUntilSignal(server: MuxServer, listener?: HttpListener): Promise<number> {
  const ignoreHup = () => writeStderr(`${NAME}: SIGHUP ignored (nothing to reload)\n`);
  // The listener first: no new HTTP session while the mux winds down.
  const stop = () => void (listener?.close() ?? Promise.resolve()).then(() => server.close());
  await untilStopped(server.closed, stop, ignoreHup);
  await listener?.close();
  return 0;
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}
