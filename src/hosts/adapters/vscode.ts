/**
 * VS Code. Checked against
 * https://code.visualstudio.com/docs/copilot/reference/mcp-configuration:
 * `mcp.json` in the user profile (`~/.config/Code/User/` on Linux,
 * `~/Library/Application Support/Code/User/` on macOS, one per profile under
 * `User/profiles/<id>/`) and `<workspace>/.vscode/mcp.json`, key `servers`;
 * stdio `{ "type": "stdio", "command", "args", "env", "envFile" }`, HTTP
 * `{ "type": "http", "url", "headers" }`. The older place, `settings.json`
 * `"mcp": { "servers": … }`, is read too. Predefined variables apply
 * (`${env:NAME}`, `${userHome}`, `${workspaceFolder}`; `${input:…}` prompts
 * once and keeps the answer in VS Code's secret storage, but someone must type
 * the token in: `${env:…}` keeps the same entry working for every host).
 *
 * @module
 */

import { appConfigDir, at, bearer, classifyJson, JSON_TRANSPORT_KEYS } from "./common.ts";
import type { HostAdapter, Location } from "../types.ts";

const EDITIONS = ["Code", "Code - Insiders"];

export const vscode: HostAdapter = {
  id: "vscode",
  label: "VS Code",
  source: "https://code.visualstudio.com/docs/copilot/reference/mcp-configuration",
  aliases: ["vscode", "code", "vs-code"],
  userFiles(env) {
    const out: Location[] = [];
    for (const edition of EDITIONS) {
      const user = `${appConfigDir(env)}/${edition}/User`;
      out.push(at("vscode", `${user}/mcp.json`, ["servers"], "user"));
      out.push(at("vscode", `${user}/settings.json`, ["mcp", "servers"], "user"));
      try {
        for (const profile of Deno.readDirSync(`${user}/profiles`)) {
          if (profile.isDirectory) {
            out.push(
              at("vscode", `${user}/profiles/${profile.name}/mcp.json`, ["servers"], "user"),
            );
          }
        }
      } catch {
        // No profiles.
      }
    }
    return out;
  },
  projectFiles: (dir) => [
    at("vscode", `${dir}/.vscode/mcp.json`, ["servers"], "project", dir),
    at("vscode", `${dir}/.vscode/settings.json`, ["mcp", "servers"], "project", dir),
  ],
  classify: (value) => classifyJson(value, ["url"]),
  variables: "env-colon",
  transportKeys: [...JSON_TRANSPORT_KEYS, "sandboxEnabled", "sandbox", "dev"],
  proxyForm: (command, args) => ({ type: "stdio", command, args: [...args] }),
  httpForm: (url, token) => ({ type: "http", url, headers: bearer(`\${env:${token.envVar}}`) }),
  httpSelfServe: false,
  restart: "run “MCP: List Servers”, pick the server, Restart (or reload the window)",
};
