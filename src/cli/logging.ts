/**
 * The CLI's log sink: stderr only (stdout belongs to MCP), text or JSON lines,
 * each record tagged with its service.
 *
 * @module
 */

import {
  configureSync,
  getJsonLinesFormatter,
  type LogLevel,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { LOG_CATEGORY } from "../log/logger.ts";
import type { CliLogLevel, LogSettings } from "./args.ts";

const LEVEL_MAP: Record<CliLogLevel, LogLevel> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
};

const LABEL: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO ",
  warning: "WARN ",
  error: "ERROR",
  fatal: "FATAL",
};

const encoder = new TextEncoder();

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

/** Send every `rmcp-mux` log record at or above `level` to stderr. */
export function setupLogging(settings: LogSettings): void {
  const format = settings.format === "json" ? getJsonLinesFormatter() : formatText;
  const stderr: Sink = (record) => writeStderr(format(record));
  configureSync({
    reset: true,
    sinks: { stderr },
    loggers: [
      { category: [LOG_CATEGORY], lowestLevel: LEVEL_MAP[settings.level], sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** Write all of `text` to stderr, synchronously (so nothing is lost on exit). */
export function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
  } catch {
    // stderr closed: nowhere left to write.
  }
}
