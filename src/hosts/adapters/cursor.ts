/**
 * Cursor. Checked against https://cursor.com/docs/context/mcp: `~/.cursor/mcp.json`
 * (global) and `<project>/.cursor/mcp.json`, key `mcpServers`; stdio
 * `{ "command", "args", "env" }`, remote `{ "url", "headers" }` (Streamable
 * HTTP or SSE; no `type` needed). "Cursor resolves variables in these fields:
 * command, args, env, url, and headers": `${env:NAME}`, `${userHome}`,
 * `${workspaceFolder}`, so the token header is `Bearer ${env:RMCP_MUX_TOKEN}`.
 *
 * @module
 */

import { at, bearer, classifyJson, JSON_TRANSPORT_KEYS } from "./common.ts";
import type { HostAdapter } from "../types.ts";

export const cursor: HostAdapter = {
  id: "cursor",
  label: "Cursor",
  source: "https://cursor.com/docs/context/mcp",
  aliases: ["cursor"],
  userFiles: (env) => [at("cursor", `${env.HOME}/.cursor/mcp.json`, ["mcpServers"], "user")],
  projectFiles: (dir) => [at("cursor", `${dir}/.cursor/mcp.json`, ["mcpServers"], "project", dir)],
  classify: (value) => classifyJson(value, ["url"]),
  variables: "env-colon",
  transportKeys: JSON_TRANSPORT_KEYS,
  proxyForm: (command, args) => ({ command, args: [...args] }),
  httpForm: (url, token) => ({ url, headers: bearer(`\${env:${token.envVar}}`) }),
  httpSelfServe: false,
  restart: "Cursor Settings → MCP: turn the server off and on (or reload the window)",
};
