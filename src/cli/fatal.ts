/**
 * The command line's last line of defence: an error that nothing else
 * handled (a bug, or Deno refusing a permission) becomes one line on stderr
 * — or in the daemon's log file — instead of Deno's stack trace. `main.ts`
 * loads this only once something failed, so the proxy's start stays lean,
 * and exits 1 after it (a service manager restarts a daemon that exits so).
 *
 * @module
 */

import { NAME, VERSION } from "../version.ts";
import { writeStderr } from "./stderr.ts";

/** Set to `1` to print the stack trace of an internal error too. */
export const DEBUG_ENV = "RMCP_MUX_DEBUG";

/** Longest error message printed (a message can embed a whole server's output). */
const MAX_MESSAGE = 1000;

/**
 * What to print for `error`, ending in a newline: one line (the stack
 * follows only with `debug`). A permission Deno refused says to run with
 * `-A`; anything else is an internal error, to be reported.
 *
 * @example
 * ```ts
 * import { fatalText } from "./fatal.ts";
 *
 * fatalText(new TypeError("x is not a function"), false);
 * // "rmcp-mux: internal error: TypeError: x is not a function — please report it with the
 * //  command you ran (rmcp-mux 0.1.0; RMCP_MUX_DEBUG=1 shows where it failed)\n"
 * ```
 */
export function fatalText(error: unknown, debug: boolean): string {
  const message = messageOf(error);
  if (/^Requires .+ access to .*run again with the --allow-[a-z-]+ flag/.test(message)) {
    return `${NAME}: ${message}; ${NAME} needs all of Deno's permissions: run it with -A ` +
      "(deno run -A …, deno install -g -A …)\n";
  }
  const line = `${NAME}: internal error: ${message} — please report it with the command you ran ` +
    `(${NAME} ${VERSION}${debug ? "" : `; ${DEBUG_ENV}=1 shows where it failed`})`;
  const stack = debug && error instanceof Error ? error.stack : undefined;
  return stack ? `${line}\n${stack}\n` : `${line}\n`;
}

/** Print {@link fatalText} for `error` (with the stack when `RMCP_MUX_DEBUG=1`). */
export function reportFatal(error: unknown): void {
  writeStderr(fatalText(error, debugWanted()));
}

function debugWanted(): boolean {
  try {
    return Deno.env.get(DEBUG_ENV) === "1";
  } catch {
    return false; // No env permission: the failure may be exactly that.
  }
}

/** The error in one line: its class when that says more, its message, bounded. */
function messageOf(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const named = error.name !== "Error" && !error.message.startsWith("Requires ");
    text = named ? `${error.name}: ${error.message}` : error.message;
  } else {
    try {
      text = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
    } catch {
      text = String(error);
    }
  }
  text = text.replace(/\s*\n\s*/g, " ").trim() || "(no message)";
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}
