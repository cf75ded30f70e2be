import { ADAPTERS } from "../../src/hosts/adapters/mod.ts";
import type { DiscoverEnv } from "../../src/hosts/types.ts";
import { assertEquals } from "../_helpers/assert.ts";

/** Each host's user-level files, as the hosts' documentation places them. */
function userFiles(env: DiscoverEnv): Record<string, string[]> {
  return Object.fromEntries(
    ADAPTERS.map((a) => [a.id, a.userFiles(env).map((l) => `${l.file} ${l.container.join(".")}`)]),
  );
}

Deno.test("adapters: each host's user files on Linux and on macOS", () => {
  const home = "/nonexistent-home"; // no VS Code profiles to list
  assertEquals(userFiles({ HOME: home, platform: "linux" }), {
    "claude-code": [`${home}/.claude.json mcpServers`],
    "claude-desktop": [`${home}/.config/Claude/claude_desktop_config.json mcpServers`],
    codex: [`${home}/.codex/config.toml mcp_servers`],
    cursor: [`${home}/.cursor/mcp.json mcpServers`],
    vscode: [
      `${home}/.config/Code/User/mcp.json servers`,
      `${home}/.config/Code/User/settings.json mcp.servers`,
      `${home}/.config/Code - Insiders/User/mcp.json servers`,
      `${home}/.config/Code - Insiders/User/settings.json mcp.servers`,
    ],
    windsurf: [`${home}/.codeium/windsurf/mcp_config.json mcpServers`],
    gemini: [`${home}/.gemini/settings.json mcpServers`],
    zed: [`${home}/.config/zed/settings.json context_servers`],
    junie: [`${home}/.junie/mcp/mcp.json mcpServers`],
  });
  const mac = userFiles({ HOME: home, platform: "darwin" });
  const support = `${home}/Library/Application Support`;
  assertEquals(mac["claude-desktop"], [`${support}/Claude/claude_desktop_config.json mcpServers`]);
  assertEquals(mac.vscode, [
    `${support}/Code/User/mcp.json servers`,
    `${support}/Code/User/settings.json mcp.servers`,
    `${support}/Code - Insiders/User/mcp.json servers`,
    `${support}/Code - Insiders/User/settings.json mcp.servers`,
  ]);
  // Zed keeps ~/.config/zed on macOS too; the home-directory hosts are the same everywhere.
  for (const id of ["claude-code", "codex", "cursor", "windsurf", "gemini", "zed", "junie"]) {
    assertEquals(mac[id], userFiles({ HOME: home, platform: "linux" })[id], id);
  }
  // The hosts' own variables move their files.
  const moved = userFiles({
    HOME: home,
    platform: "linux",
    XDG_CONFIG_HOME: "/xdg",
    CODEX_HOME: "/codex",
    CLAUDE_CONFIG_DIR: "/claude",
  });
  assertEquals(moved["claude-code"], ["/claude/.claude.json mcpServers"]);
  assertEquals(moved.codex, ["/codex/config.toml mcp_servers"]);
  assertEquals(moved.zed, ["/xdg/zed/settings.json context_servers"]);
  assertEquals(moved["claude-desktop"], ["/xdg/Claude/claude_desktop_config.json mcpServers"]);
});
