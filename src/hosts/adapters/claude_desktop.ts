/**
 * Claude Desktop. Checked against
 * https://modelcontextprotocol.io/docs/develop/connect-local-servers:
 * `claude_desktop_config.json` in `~/Library/Application Support/Claude/`
 * (macOS) or `~/.config/Claude/` (Linux builds), key `mcpServers`, stdio
 * entries only (`command`, `args`, `env`). No variable expansion. Remote
 * servers are custom connectors added in the app (Settings → Connectors), never
 * this file, and Anthropic's cloud makes their connections, not this machine
 * (https://support.claude.com/en/articles/11503834 and /11175166, "Network
 * requirements"): a loopback URL cannot work there, so the proxy it is.
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
  httpUnsupported: "Claude Desktop takes only stdio servers in its file (remote ones are " +
    "connectors, reached from Anthropic's cloud, not from this machine)",
  httpSelfServe: false,
  restart: "quit Claude Desktop completely and open it again",
};
