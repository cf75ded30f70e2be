/**
 * The config file's data as the schema (`schema.ts`) validates it, before
 * `${VAR}` expansion: one interface per kind of mapping. `schema.ts` checks
 * at compile time that its zod schema yields exactly {@link FileData}.
 *
 * @module
 */

import type { IsolationMode } from "./options.ts";
import type { LogFormat, LogLevel } from "./log_settings.ts";
import type { UpstreamEraSetting } from "../router/eras.ts";

/** Settings shared by a server entry and `defaults:`, as validated (before expansion). */
export interface SharedData {
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  max_active_clients?: number | undefined;
  client_wait_ms?: number | undefined;
  lazy_start?: boolean | undefined;
  serialize?: boolean | undefined;
  upstream_era?: UpstreamEraSetting | undefined;
  max_request_bytes?: number | undefined;
  max_response_bytes?: number | undefined;
  request_timeout_ms?: number | undefined;
  cancel_grace_ms?: number | undefined;
  restart_backoff_ms?: number | undefined;
  restart_backoff_max_ms?: number | undefined;
  max_restarts?: number | undefined;
  log_level?: LogLevel | undefined;
  heartbeat_enabled?: boolean | undefined;
  heartbeat_timeout_ms?: number | undefined;
  heartbeat_max_failures?: number | undefined;
  heartbeat_restart?: boolean | undefined;
  isolation?: IsolationMode | undefined;
  max_processes?: number | undefined;
  idle_timeout_ms?: number | undefined;
  tray?: unknown;
  heartbeat_interval_ms?: unknown;
}

/** One entry under `servers:`, as validated (before expansion). */
export interface ServerData extends SharedData {
  /** Absent: `<runtime dir>/<key>.sock` (see `build.ts`). */
  socket?: string | undefined;
  cmd: string;
  args?: string[] | undefined;
  service_name?: string | undefined;
  status_file?: string | undefined;
}

/** `daemon.http:`, as validated (before expansion). */
export interface HttpData {
  listen: string;
  auth?: "token" | "none" | undefined;
  allow_remote?: boolean | undefined;
  session_idle_ms?: number | undefined;
  max_sessions?: number | undefined;
  max_requests?: number | undefined;
  token_file?: string | undefined;
}

/** `daemon:`, as validated (before expansion). */
export interface DaemonData {
  control?: string | undefined;
  http?: HttpData | undefined;
  log_format?: LogFormat | undefined;
  log_level?: LogLevel | undefined;
  status_file?: string | undefined;
}

/** The whole file, as validated (before expansion). */
export interface FileData {
  $schema?: string | undefined;
  version?: unknown;
  daemon?: DaemonData | undefined;
  defaults?: SharedData | undefined;
  servers: Record<string, ServerData>;
}
