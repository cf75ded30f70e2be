/**
 * The mux's own log settings (`--log-level`, `--log-format`, `log_level:`,
 * `log_format:`), in a module without dependencies: the command line checks
 * them without loading the config file's schema.
 *
 * @module
 */

/** Log verbosity names (the Rust tool's). */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** Daemon log output format. */
export type LogFormat = "text" | "json";

/** Every {@link LogLevel}, most verbose first. */
export const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error"];
