/**
 * Windsurf. Checked against https://docs.windsurf.com/windsurf/cascade/mcp:
 * `~/.codeium/windsurf/mcp_config.json`, key `mcpServers`; stdio
 * `{ "command", "args", "env" }`, remote `{ "serverUrl", "headers" }` (`url`
 * is accepted too). Environment variables are interpolated in `command`,
 * `args`, `env`, `serverUrl`, `url` and `headers` as `${env:NAME}` (its own
 * example: `"Authorization": "Bearer ${env:AUTH_TOKEN}"`).
 *
 * @module
 */

import { at, bearer, classifyJson, JSON_TRANSPORT_KEYS } from "./common.ts";
import type { HostAdapter } from "../types.ts";

export const windsurf: HostAdapter = {
  id: "windsurf",
  label: "Windsurf",
  source: "https://docs.windsurf.com/windsurf/cascade/mcp",
  aliases: ["windsurf", "codeium"],
  userFiles: (env) => [
    at("windsurf", `${env.HOME}/.codeium/windsurf/mcp_config.json`, ["mcpServers"], "user"),
  ],
  projectFiles: () => [],
  classify: (value) => classifyJson(value, ["serverUrl", "url"]),
  variables: "env-colon",
  transportKeys: JSON_TRANSPORT_KEYS,
  proxyForm: (command, args) => ({ command, args: [...args] }),
  httpForm: (url, token) => ({ serverUrl: url, headers: bearer(`\${env:${token.envVar}}`) }),
  httpSelfServe: false,
  restart: "press refresh in Cascade's MCP panel",
};
