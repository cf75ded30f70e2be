/**
 * Claude Desktop. Checked against
 * https://modelcontextprotocol.io/docs/develop/connect-local-servers:
 * `claude_desktop_config.json` in `~/Library/Application Support/Claude/`
 * (macOS) or `~/.config/Claude/` (Linux builds), key `mcpServers`, stdio
 * entries only (`command`, `args`, `env`); remote servers are added as
 * connectors in the app, not in this file. No variable expansion.
 *
 * @module
 */

import { appConfigDir, at, classifyJson, JSON_TRANSPORT_KEYS } from "./common.ts";
import type { HostAdapter } from "../types.ts";

export const claudeDesktop: HostAdapter = {
  id: "claude-desktop",
  label: "Claude Desktop",
  source: "https://modelcontextprotocol.io/docs/develop/connect-local-servers",
  aliases: ["claude-desktop", "claudedesktop", "desktop"],
  userFiles(env) {
    return [
      at(
        "claude-desktop",
        `${appConfigDir(env)}/Claude/claude_desktop_config.json`,
        ["mcpServers"],
        "user",
      ),
    ];
  },
  projectFiles: () => [],
  classify: (value) => classifyJson(value, ["url"]),
  variables: "none",
  transportKeys: JSON_TRANSPORT_KEYS,
  proxyForm: (command, args) => ({ command, args: [...args] }),
  httpSelfServe: false,
  restart: "quit Claude Desktop completely and open it again",
};
