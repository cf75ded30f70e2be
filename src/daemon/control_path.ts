/**
 * Where a daemon's control socket lives when neither `--control` nor
 * `daemon.control` says: in the runtime directory (`$XDG_RUNTIME_DIR/rmcp-mux`,
 * else `~/.rmcp-mux/run`), named after the config file and a hash of its
 * path — never beside the config, which may be read-only or synced.
 *
 * @module
 */

import type { DirsEnv } from "../paths/dirs.ts";
import { canonicalConfigPath, daemonFiles, dirsEnv } from "./daemon_files.ts";

/**
 * The default control socket of a daemon run from `configPath`.
 *
 * @example
 * ```ts
 * import { controlSocketFor } from "@rmcp-mux/mux";
 * console.log(controlSocketFor("/home/me/.config/rmcp-mux/config.yaml", { HOME: "/home/me" }));
 * // /home/me/.rmcp-mux/run/config-<8 hex digits>.control.sock
 * ```
 */
export function controlSocketFor(configPath: string, env: DirsEnv = dirsEnv()): string {
  return daemonFiles(canonicalConfigPath(configPath), env).control;
}
