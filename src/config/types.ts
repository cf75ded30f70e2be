/**
 * What a loaded config file is: daemon settings, services with merged
 * options, and warnings.
 *
 * @module
 */

import type { HttpOptions } from "../http/options.ts";
import type { MuxOptions } from "./options.ts";
import type { LogFormat, LogLevel } from "./log_settings.ts";

/**
 * `daemon:` settings, paths expanded. Every field is optional: absent means
 * "whatever the daemon's own default (or its command line) says".
 */
export interface DaemonSettings {
  /** Control socket of the daemon. */
  control?: string;
  /** The Streamable HTTP listener (`daemon.http`), if any. */
  http?: HttpOptions;
  /** Log output format. */
  logFormat?: LogFormat;
  /** Log verbosity of the daemon itself. */
  logLevel?: LogLevel;
  /** JSON status snapshot of every service. */
  statusFile?: string;
}

/** One service from the file: its entry merged over `defaults:`, expanded, before any CLI flag. */
export interface ServiceEntry {
  /** The key under `servers:`. */
  name: string;
  /**
   * Settings from the entry, then `defaults:`; built-in defaults are not
   * filled in yet. `serviceName` is `service_name`, else {@link name}.
   */
  options: MuxOptions;
  /** `log_level` of the entry, else of `defaults:`. */
  logLevel?: LogLevel;
  /** `status_file` of the entry (also in `options.statusFile`). */
  statusFile?: string;
}

/** A loaded config file. */
export interface MuxFileConfig {
  /** The file, as given. */
  path: string;
  /** `daemon:` settings. */
  daemon: DaemonSettings;
  /** Every service, sorted by name. */
  services: readonly ServiceEntry[];
  /** `file:line:col key: ignored: …` for each Rust-only key (tray, heartbeat_interval_ms) found. */
  warnings: readonly string[];
}

/** How {@link MuxFileConfig} values are expanded. */
export interface ParseOptions {
  /**
   * Variables for `${VAR}`. Default: the process environment (`Deno.env`),
   * read only for the variables the file names.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Home directory for `~`. Default: `HOME` from {@link env}. */
  home?: string;
}
