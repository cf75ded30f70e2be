/**
 * Where a daemon's control socket lives when the config does not say:
 * beside the config file, named after it (`config.yaml` → `config.control.sock`),
 * so every command that knows the config file finds the daemon running it.
 *
 * @module
 */

/**
 * The control socket for a daemon run from `configPath`.
 *
 * @example
 * ```ts
 * import { controlSocketFor } from "@rmcp-mux/mux";
 * console.log(controlSocketFor("/home/me/.config/rmcp-mux/config.yaml"));
 * // /home/me/.config/rmcp-mux/config.control.sock
 * ```
 */
export function controlSocketFor(configPath: string): string {
  const slash = configPath.lastIndexOf("/");
  const dir = slash === -1 ? "." : configPath.slice(0, slash) || "/";
  const file = configPath.slice(slash + 1);
  const stem = file.includes(".") ? file.slice(0, file.lastIndexOf(".")) : file;
  return `${dir}/${stem}.control.sock`;
}
