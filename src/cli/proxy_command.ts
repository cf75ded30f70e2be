/**
 * `rmcp-mux proxy`: what an MCP host launches in place of a server, once per
 * session — so it loads only what it uses: its own argument parser, the
 * bridge, and (only with `--config`/`--service`) the daemon starter.
 *
 * @module
 */

import { runProxy } from "../proxy/proxy.ts";
import { connectUnix } from "../transport/unix_client.ts";
import { NAME } from "../version.ts";
import { parseProxyArgs, type ProxyCommand, ProxyUsageError } from "./proxy_args.ts";
import { writeStderr } from "./stderr.ts";

/**
 * Load a module only when it is used, and keep it out of the start-up module
 * graph (see `main.ts`): help and the daemon starter are rarely needed.
 */
const load = <T>(path: string): Promise<T> => import(path);
type Help = typeof import("./help.ts");
type Autostart = typeof import("./proxy_autostart.ts");

/** `rmcp-mux proxy ARGS…` from the raw arguments: parse, run, exit code. */
export async function proxyMain(args: readonly string[]): Promise<number> {
  let command: ProxyCommand | "help";
  try {
    command = parseProxyArgs(args, Deno.env.get("HOME"));
  } catch (error) {
    if (!(error instanceof ProxyUsageError)) throw error;
    writeStderr(`${NAME}: ${error.message}\nRun "${NAME} help proxy" for usage.\n`);
    return 2;
  }
  if (command === "help") {
    console.log((await load<Help>("./help.ts")).helpText("proxy"));
    return 0;
  }
  return await runProxyCommand(command);
}

/** `rmcp-mux proxy --socket PATH` or `--service NAME [--config FILE]`. */
export async function runProxyCommand(command: ProxyCommand): Promise<number> {
  const notice = (line: string) => writeStderr(`${NAME} proxy: ${line}\n`);
  let target: { label: string; connect: () => Promise<Deno.Conn> };
  if (command.config !== undefined || command.service !== undefined) {
    const { DaemonStartError, findOrStartDaemon } = await load<Autostart>(
      "./proxy_autostart.ts",
    );
    try {
      target = await findOrStartDaemon(command, notice);
    } catch (error) {
      if (!(error instanceof DaemonStartError)) throw error;
      notice(error.message);
      return 1;
    }
  } else {
    const socket = command.socket!;
    target = { label: socket, connect: () => connectUnix(socket) };
  }
  try {
    const end = await runProxy(target.label, {
      connect: target.connect,
      onNotice: notice,
      ...(command.reconnectMs !== undefined ? { reconnectMs: command.reconnectMs } : {}),
    });
    if (end === "mux-closed") notice(`the mux at ${target.label} closed the connection`);
    return end === "mux-closed" || end === "unreachable" ? 1 : 0;
  } catch (error) {
    // By name, not class: this module runs from the start-up bundle while the daemon
    // starter is loaded from the sources, so each has its own copy of ConnectError.
    if (!(error instanceof Error && error.name === "ConnectError")) throw error;
    notice(error.message);
    return 1;
  }
}
