/**
 * What each CLI command does, returning its exit code. `main.ts` only parses
 * and dispatches; everything here is reachable from tests without spawning.
 *
 * @module
 */

import type { MuxOptions } from "../config/options.ts";
import { HttpListener } from "../http/listener.ts";
import { type HttpOptions, resolveHttpOptions } from "../http/options.ts";
import { MuxServer } from "../server/mux_server.ts";
import { NAME } from "../version.ts";
import type { LogSettings } from "./args.ts";
import { reportError, SignalScope } from "./lifecycle.ts";
import { dirsEnv } from "../daemon/daemon_files.ts";
import { runtimeDir } from "../paths/dirs.ts";
import { PathError } from "../paths/private_dir.ts";
import { hintCommand, type SelfCommand, selfCommand, shellWord } from "../paths/self_command.ts";
import { setupLogging, useLogFile, writeStderr } from "./logging.ts";

/** The reference server `demo` runs (pinned like every dependency). */
export const REFERENCE_SERVER = "@modelcontextprotocol/server-everything@2026.8.31";

/** Default socket of `demo` and `deno task start`, in the runtime directory. */
export const DEMO_SOCKET_NAME = "everything.sock";

/** `rmcp-mux --socket … --cmd … [--http ADDR]`: run one mux until SIGINT/SIGTERM/SIGHUP. */
export async function runMuxCommand(
  options: MuxOptions,
  log: LogSettings,
  http?: Partial<HttpOptions>,
): Promise<number> {
  // Before anything binds: a signal during start-up must not leave the socket behind.
  using signals = new SignalScope("stop");
  if (!useLogFile(log.file)) return 1;
  setupLogging(log);
  let server: MuxServer;
  let listener: HttpListener | undefined;
  try {
    checkHttp(http);
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
  return await serveUntilSignal(server, signals, listener);
}

/** Settings that cannot work (a remote address without its flag) fail before any server starts. */
function checkHttp(http: Partial<HttpOptions> | undefined): void {
  if (http?.listen !== undefined) resolveHttpOptions({ ...http, listen: http.listen });
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
      (listener.tokenFile ? ` (token: ${hintCommand()} http token)\n` : "\n"),
  );
  return listener;
}

/** `rmcp-mux demo`: the mux in front of the MCP reference server. */
export async function runDemoCommand(
  options: Partial<Omit<MuxOptions, "cmd">>,
  log: LogSettings,
  http?: Partial<HttpOptions>,
): Promise<number> {
  using signals = new SignalScope("stop");
  let socket: string;
  try {
    socket = absolute(options.socket ?? `${runtimeDir(dirsEnv())}/${DEMO_SOCKET_NAME}`);
  } catch (error) {
    return reportError(new PathError((error as Error).message));
  }
  const exec = Deno.execPath();
  // From source, Deno itself runs the reference server; a compiled binary uses npx.
  const viaDeno = /^deno(\.exe)?$/.test(exec.split("/").pop() ?? "");
  const server = viaDeno
    ? { cmd: exec, args: ["run", "-A", "--quiet", `npm:${REFERENCE_SERVER}`, "stdio"] }
    : { cmd: "npx", args: ["-y", REFERENCE_SERVER, "stdio"] };
  setupLogging(log);
  let mux: MuxServer;
  try {
    checkHttp(http);
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
  writeStderr(demoText(socket, selfCommand()));
  return await serveUntilSignal(mux, signals, listener);
}

/** What `demo` prints: how to connect a host, with a command that outlives any cache. */
export function demoText(socket: string, self: SelfCommand): string {
  const words = [self.command, ...self.args];
  const shown = words.map(shellWord).join(" ");
  const proxyArgs = [...self.args, "proxy", "--socket", socket];
  return `
${NAME} demo: the MCP reference server is shared on ${socket}

Connect an MCP host through the stdio bridge, e.g.:
  claude mcp add everything -- ${shown} proxy --socket ${shellWord(socket)}
or in a host's JSON config:
  { "command": ${JSON.stringify(self.command)}, "args": ${JSON.stringify(proxyArgs)} }
Check it:
  ${shown} health --socket ${shellWord(socket)}
${self.warning ? `Note: ${self.warning}\n` : ""}Stop with Ctrl+C.

`;
}

async function serveUntilSignal(
  server: MuxServer,
  signals: SignalScope,
  listener?: HttpListener,
): Promise<number> {
  signals.atForcedExit(() => server.terminateNow());
  // The listener first: no new HTTP session while the mux winds down.
  signals.onStop(() => void (listener?.close() ?? Promise.resolve()).then(() => server.close()));
  // A command that cannot be found will not appear by retrying: a one-off mux says so and exits.
  // A plain change listener: a status waiter would build the whole status (every client's
  // entry) at each change — O(clients) garbage per connect, which the mux's heap keeps as size.
  let unstartable: string | undefined;
  const watchSpawn = () => {
    if (unstartable !== undefined || server.spawnFailure === undefined) return;
    unstartable = server.spawnFailure;
    void (listener?.close() ?? Promise.resolve()).then(() => server.close());
  };
  const stopWatching = server.onChange(watchSpawn);
  watchSpawn();
  await signals.until(server.closed);
  stopWatching();
  await listener?.close();
  if (unstartable !== undefined) {
    writeStderr(`${NAME}: cannot start the server: ${unstartable}; check --cmd\n`);
    return 1;
  }
  return 0;
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}
