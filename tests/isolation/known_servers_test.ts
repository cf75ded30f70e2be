import { assertEquals } from "../_helpers/assert.ts";
import { isolationFor } from "../../src/isolation/known_servers.ts";

Deno.test("isolation: well-known servers get the mode they need", () => {
  const mode = (cmd: string, ...args: string[]) => isolationFor(cmd, args).mode;
  assertEquals(
    mode("npx", "-y", "@modelcontextprotocol/server-filesystem@2025.1.1", "/src"),
    "roots",
  );
  assertEquals(mode("uvx", "mcp-server-git", "--repository", "."), "roots");
  assertEquals(
    mode("docker", "run", "-i", "--rm", "-v", "/x:/x", "mcp/filesystem:latest"),
    "roots",
  );
  assertEquals(mode("npx", "@playwright/mcp@latest"), "client");
  assertEquals(mode("/usr/bin/npx", "-y", "@modelcontextprotocol/server-puppeteer"), "client");
  assertEquals(mode("npx", "-y", "@wonderwhy-er/desktop-commander"), "client");
  assertEquals(mode("node", "/x/node_modules/@playwright/mcp/cli.js"), "client");
  assertEquals(mode("npx", "-y", "@modelcontextprotocol/server-memory"), "shared");
  assertEquals(mode("python", "-m", "mcp_server_git"), "roots");
});
