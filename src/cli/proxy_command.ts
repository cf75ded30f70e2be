/**
 * The commands hosts and scripts start often — `proxy` and `health` — kept
 * in a module of their own so they load only the socket code they use.
 *
 * @module
 */

import { checkHealth } from "../health/check.ts";
import { ConnectError, runProxy } from "../proxy/proxy.ts";
import { NAME } from "../version.ts";
import { writeStderr } from "./stderr.ts";

/** `rmcp-mux proxy --socket PATH`. */
export async function runProxyCommand(socket: string): Promise<number> {
  try {
    const end = await runProxy(socket);
    if (end === "mux-closed") {
      writeStderr(`${NAME} proxy: the mux at ${socket} closed the connection\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof ConnectError) {
      writeStderr(`${NAME} proxy: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** `rmcp-mux health --socket PATH`. */
export async function runHealthCommand(
  socket: string,
  timeoutMs: number,
  json: boolean,
): Promise<number> {
  const report = await checkHealth(socket, { timeoutMs });
  if (json) console.log(JSON.stringify(report));
  else if (report.ok) console.log(report.message);
  else writeStderr(`${report.message}\n`);
  return report.ok ? 0 : 1;
}
