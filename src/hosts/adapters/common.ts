/**
 * What most hosts share: the `mcpServers`-style JSON entry (`command`,
 * `args`, `env`, or a URL) and paths under the home and config directories.
 *
 * @module
 */

import type { Classified, DiscoverEnv, HostId, Location } from "../types.ts";

/** Plain-object test. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The user's config directory: `~/Library/Application Support` on macOS, else XDG. */
export function appConfigDir(env: DiscoverEnv): string {
  if (env.platform === "darwin") return `${env.HOME}/Library/Application Support`;
  return xdgConfig(env);
}

/** `$XDG_CONFIG_HOME` when absolute, else `~/.config`. */
export function xdgConfig(env: DiscoverEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  return xdg !== undefined && xdg.startsWith("/") ? xdg.replace(/\/+$/, "") : `${env.HOME}/.config`;
}

/** A location helper. */
export function at(
  host: HostId,
  file: string,
  container: string[],
  scope: Location["scope"],
  project?: string,
  format: Location["format"] = "json",
): Location {
  return { host, file, format, container, scope, ...(project ? { project } : {}) };
}

/** Keys that say how an `mcpServers`-style server is reached. */
export const JSON_TRANSPORT_KEYS: readonly string[] = [
  "type",
  "transport",
  "command",
  "args",
  "env",
  "envFile",
  "cwd",
  "url",
  "httpUrl",
  "serverUrl",
  "headers",
  "headersHelper",
  "oauth",
  "authProviderType",
];

/**
 * Classify an `mcpServers`-style entry: a `command` (Zed's older
 * `{ "command": { "path", "args", "env" } }` too) is a stdio server; a URL
 * under one of `urlKeys` is remote.
 */
export function classifyJson(value: unknown, urlKeys: readonly string[]): Classified {
  if (!isObject(value)) return { kind: "unsupported", reason: "the entry is not an object" };
  let command: unknown = value.command;
  let args: unknown = value.args;
  let env: unknown = value.env;
  if (isObject(command)) {
    args = command.args;
    env = command.env;
    command = command.path;
  }
  if (typeof command === "string" && command.trim() !== "") {
    if (args !== undefined && !(Array.isArray(args) && args.every((a) => typeof a === "string"))) {
      return { kind: "unsupported", reason: "its args are not a list of strings" };
    }
    if (
      env !== undefined &&
      !(isObject(env) && Object.values(env).every((v) => typeof v === "string"))
    ) {
      return { kind: "unsupported", reason: "its env is not a map of strings" };
    }
    if (typeof value.envFile === "string") {
      return {
        kind: "unsupported",
        reason: "it reads envFile, which the mux would not see: move those variables to env",
      };
    }
    return {
      kind: "stdio",
      launch: {
        command,
        args: (args as string[] | undefined) ?? [],
        env: (env as Record<string, string> | undefined) ?? {},
        ...(typeof value.cwd === "string" ? { cwd: value.cwd } : {}),
      },
    };
  }
  for (const key of urlKeys) {
    if (typeof value[key] === "string") return { kind: "remote", url: value[key] as string };
  }
  return { kind: "unsupported", reason: "it has neither a command nor a URL" };
}

/** The bearer header value a host expands from `${reference}`. */
export function bearer(reference: string): Record<string, string> {
  return { Authorization: `Bearer ${reference}` };
}
