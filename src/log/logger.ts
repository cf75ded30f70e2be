/**
 * Logging goes through LogTape categories under `rmcp-mux`, so an embedding
 * program routes it wherever it likes; the CLI sends it to stderr. The
 * library itself never configures sinks and never writes to the console.
 *
 * @module
 */

import { getLogger, type Logger } from "@logtape/logtape";

/** The root category of every log record the mux emits. */
export const LOG_CATEGORY = "rmcp-mux";

/** Areas the mux logs under: `["rmcp-mux", area]`. */
export type LogArea =
  | "router"
  | "server"
  | "upstream"
  | "stderr"
  | "proxy"
  | "health"
  | "cli"
  | "http";

/** A logger for one area, tagged with the service name. */
export function muxLogger(area: LogArea, service?: string): Logger {
  const logger = getLogger([LOG_CATEGORY, area]);
  return service === undefined ? logger : logger.with({ service });
}

/** Shorten untrusted text for a log line (junk on stdout can be huge). */
export function preview(text: string, max = 200): string {
  // deno-lint-ignore no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, " ");
  return flat.length <= max ? flat : `${flat.slice(0, max)}… (${text.length} chars)`;
}
