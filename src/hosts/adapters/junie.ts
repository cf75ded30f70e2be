/**
 * JetBrains Junie. Checked against
 * https://www.jetbrains.com/help/junie/model-context-protocol-mcp.html:
 * `~/.junie/mcp/mcp.json` (all projects) and `<project>/.junie/mcp/mcp.json`,
 * key `mcpServers`; stdio servers only (`command`, `args`, `env`): "Junie
 * supports only MCP servers that use the Standard Input/Output (stdio)
 * transport type".
 *
 * @module
 */

import { at, classifyJson, JSON_TRANSPORT_KEYS } from "./common.ts";
import type { HostAdapter } from "../types.ts";

export const junie: HostAdapter = {
  id: "junie",
  label: "Junie",
  source: "https://www.jetbrains.com/help/junie/model-context-protocol-mcp.html",
  aliases: ["junie", "jetbrains"],
  userFiles: (env) => [at("junie", `${env.HOME}/.junie/mcp/mcp.json`, ["mcpServers"], "user")],
  projectFiles: (
    dir,
  ) => [at("junie", `${dir}/.junie/mcp/mcp.json`, ["mcpServers"], "project", dir)],
  classify: (value) => classifyJson(value, ["url"]),
  variables: "none",
  transportKeys: JSON_TRANSPORT_KEYS,
  proxyForm: (command, args) => ({ command, args: [...args] }),
  httpUnsupported: "Junie takes only stdio servers",
  httpSelfServe: false,
  restart: "restart Junie (Settings → Tools → Junie → MCP Settings, or reopen the IDE)",
};
