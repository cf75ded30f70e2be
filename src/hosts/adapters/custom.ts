/**
 * Any other host: `--path FILE --format json|vscode|zed|codex`. The entry
 * shapes are the common ones; only the stdio bridge is written (how such a
 * host would take a token is unknown).
 *
 * @module
 */

import { at, classifyJson, JSON_TRANSPORT_KEYS } from "./common.ts";
import { codex } from "./codex.ts";
import type { HostAdapter, Location } from "../types.ts";

/** The shapes `--format` names. */
export type CustomFormat = "json" | "vscode" | "zed" | "codex";

/** Every `--format`. */
export const CUSTOM_FORMATS: readonly CustomFormat[] = ["json", "vscode", "zed", "codex"];

const CONTAINERS: Record<CustomFormat, string[]> = {
  json: ["mcpServers"],
  vscode: ["servers"],
  zed: ["context_servers"],
  codex: ["mcp_servers"],
};

const CUSTOM_NO_HTTP = "a --path file's host may not read variables in it (the token would be " +
  "in clear)";

/** The location of `--path FILE --format F`. */
export function customLocation(file: string, format: CustomFormat): Location {
  return {
    ...at(
      "custom",
      file,
      CONTAINERS[format],
      "user",
      undefined,
      format === "codex" ? "toml" : "json",
    ),
    style: format,
  };
}

/** The format a path suggests when `--format` is not given. */
export function guessFormat(file: string, value?: unknown): CustomFormat {
  if (file.endsWith(".toml")) return "codex";
  const obj = value as Record<string, unknown> | undefined;
  if (obj && typeof obj === "object") {
    if ("mcpServers" in obj) return "json";
    if ("servers" in obj) return "vscode";
    if ("context_servers" in obj) return "zed";
  }
  return "json";
}

/** The adapter of a custom location. */
export function customAdapter(format: CustomFormat): HostAdapter {
  if (format === "codex") {
    return {
      ...codex,
      id: "custom",
      label: "custom file",
      aliases: [],
      httpForm: undefined,
      httpUnsupported: CUSTOM_NO_HTTP,
    };
  }
  return {
    id: "custom",
    label: "custom file",
    source: "(given with --path)",
    aliases: [],
    userFiles: () => [],
    projectFiles: () => [],
    classify: (value) => classifyJson(value, ["url", "httpUrl", "serverUrl"]),
    variables: "none",
    transportKeys: JSON_TRANSPORT_KEYS,
    proxyForm: (command, args) =>
      format === "vscode"
        ? { type: "stdio", command, args: [...args] }
        : { command, args: [...args] },
    httpUnsupported: CUSTOM_NO_HTTP,
    httpSelfServe: false,
    restart: "restart the program that reads this file",
  };
}
