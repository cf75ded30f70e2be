/**
 * Zed. Checked against https://zed.dev/docs/ai/mcp: `~/.config/zed/settings.json`
 * (Linux and macOS) and `<project>/.zed/settings.json`, key `context_servers`;
 * stdio `{ "command", "args", "env" }` (older: `"command": { "path", "args", "env" }`),
 * remote `{ "url", "headers" }` (no `type`; without an `Authorization` header
 * Zed runs MCP OAuth). No variable expansion is documented for settings, so an
 * HTTP entry would hold the token in clear: Zed is rewired with the proxy.
 *
 * @module
 */

import { at, classifyJson, JSON_TRANSPORT_KEYS, xdgConfig } from "./common.ts";
import type { HostAdapter } from "../types.ts";

export const zed: HostAdapter = {
  id: "zed",
  label: "Zed",
  source: "https://zed.dev/docs/ai/mcp",
  aliases: ["zed"],
  userFiles: (
    env,
  ) => [at("zed", `${xdgConfig(env)}/zed/settings.json`, ["context_servers"], "user")],
  projectFiles: (
    dir,
  ) => [at("zed", `${dir}/.zed/settings.json`, ["context_servers"], "project", dir)],
  classify: (value) => classifyJson(value, ["url"]),
  variables: "none",
  // `"source": "custom"` (Zed's documented form for a command it runs) stays: it is not how the
  // server is reached, and a Zed that expects it keeps finding it.
  transportKeys: JSON_TRANSPORT_KEYS,
  proxyForm: (command, args) => ({ command, args: [...args] }),
  httpUnsupported: "Zed's settings have no variables: an HTTP entry would hold the token in clear",
  httpSelfServe: false,
  restart: "Zed restarts a context server when its settings change; else reopen the Agent Panel",
};
