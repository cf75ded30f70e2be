/**
 * The CLI's log sink: stderr only (stdout belongs to MCP), text or JSON lines,
 * each record tagged with its service.
 *
 * @module
 */

import {
  configureSync,
  getJsonLinesFormatter,
  type LogLevel as LogtapeLevel,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { LOG_CATEGORY } from "../log/logger.ts";
import type { LogLevel } from "../config/log_settings.ts";
import type { LogSettings } from "./args.ts";
import { describeFsError, dirOf, ensurePrivateDirSync, PathError } from "../paths/private_dir.ts";
import { NAME } from "../version.ts";
import { redirectStderr, writeStderr } from "./stderr.ts";

const LEVEL_MAP: Record<LogLevel, LogtapeLevel> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
};

const LABEL: Record<LogtapeLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO ",
  warning: "WARN ",
  error: "ERROR",
  fatal: "FATAL",
};

/** One text line: `2026-11-24T05:44:51.123Z INFO  [github] Listening on …`. */
export function formatText(record: LogRecord): string {
  const service = record.properties.service;
  const area = record.category[1];
  const tag = typeof service === "string"
    ? area === "stderr" ? `[${service} stderr] ` : `[${service}] `
    : "";
  let message = "";
  for (let i = 0; i < record.message.length; i++) {
    const part = record.message[i];
    message += i % 2 === 0 ? part : typeof part === "string" ? part : JSON.stringify(part);
  }
  return `${new Date(record.timestamp).toISOString()} ${LABEL[record.level]} ${tag}${message}\n`;
}

const ORDER: readonly LogtapeLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];

/**
 * Send every `rmcp-mux` log record at or above `level` to stderr. Records of
 * a service listed in `serviceLevels` use that service's level instead.
 */
export function setupLogging(
  settings: LogSettings,
  serviceLevels: Readonly<Record<string, LogLevel>> = {},
): void {
  const format = settings.format === "json" ? getJsonLinesFormatter() : formatText;
  const stderr: Sink = (record) => writeStderr(format(record));
  const rank = (level: LogLevel) => ORDER.indexOf(LEVEL_MAP[level]);
  const global = rank(settings.level);
  const perService = new Map(Object.entries(serviceLevels).map(([s, l]) => [s, rank(l)]));
  const lowest = Math.min(global, ...perService.values());
  configureSync({
    reset: true,
    sinks: { stderr },
    filters: {
      level: (record: LogRecord) => {
        const service = record.properties.service;
        const limit = typeof service === "string" ? perService.get(service) ?? global : global;
        return ORDER.indexOf(record.level) >= limit;
      },
    },
    loggers: [
      {
        category: [LOG_CATEGORY],
        lowestLevel: ORDER[lowest]!,
        sinks: ["stderr"],
        filters: ["level"],
      },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/**
 * `--log-file FILE`: from now on every log line and error goes to FILE (its
 * directory created `0700`). Returns false, after one line on stderr, if it
 * cannot be opened.
 */
export function useLogFile(file: string | undefined): boolean {
  if (file === undefined) return true;
  try {
    ensurePrivateDirSync(dirOf(file), "log");
    redirectStderr(file);
    return true;
  } catch (error) {
    const why = error instanceof PathError ? error.message : describeFsError(error);
    writeStderr(`${NAME}: cannot open the log file "${file}": ${why}\n`);
    return false;
  }
}

export { writeStderr } from "./stderr.ts";
