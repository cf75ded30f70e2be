/**
 * `rmcp-mux health`: scripts and service managers start it often, so it
 * loads only the socket code it uses.
 *
 * @module
 */

import { checkHealth } from "../health/check.ts";
import { writeStderr } from "./stderr.ts";

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
