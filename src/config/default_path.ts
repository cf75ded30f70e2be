/**
 * Where the config file lives when none is named.
 *
 * @module
 */

/**
 * The default config file: `$XDG_CONFIG_HOME/rmcp-mux/config.yaml` when
 * `XDG_CONFIG_HOME` is set to an absolute path (the XDG spec ignores
 * relative ones), else `<home>/.config/rmcp-mux/config.yaml`.
 *
 * @example
 * ```ts
 * import { defaultConfigPath } from "./default_path.ts";
 *
 * defaultConfigPath({}, "/home/ada"); // "/home/ada/.config/rmcp-mux/config.yaml"
 * defaultConfigPath({ XDG_CONFIG_HOME: "/cfg" }, "/home/ada"); // "/cfg/rmcp-mux/config.yaml"
 * ```
 */
export function defaultConfigPath(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg !== undefined && xdg.startsWith("/")
    ? xdg
    : `${home.replace(/\/+$/, "")}/.config`;
  return `${base.replace(/\/+$/, "")}/rmcp-mux/config.yaml`;
}
