/**
 * Claude Code. Checked against https://code.claude.com/docs/en/mcp
 * ("Installation scopes", "Environment variable expansion in .mcp.json",
 * "Use dynamic headers for custom authentication"):
 *
 * - user scope: `~/.claude.json` top-level `mcpServers`; local scope:
 *   `~/.claude.json` `projects.<dir>.mcpServers`; project scope: `<dir>/.mcp.json`.
 *   `CLAUDE_CONFIG_DIR` moves `.claude.json`.
 * - stdio: `{ "type": "stdio", "command", "args", "env" }`;
 *   HTTP: `{ "type": "http", "url", "headers", "headersHelper" }`.
 * - `${VAR}` / `${VAR:-default}` expand in command, args, env, url, headers.
 * - `headersHelper` is a shell command whose stdout is a JSON object of
 *   headers, run in a shell (10 s timeout) at each connection: the token is
 *   read from its file then, so it is never copied into the host's file and a
 *   new token just works. A `url` without `"type": "http"` is not an HTTP entry.
 *
 * @module
 */

import { at, classifyJson, isObject, JSON_TRANSPORT_KEYS } from "./common.ts";
import type { HostAdapter, Location, TokenRef } from "../types.ts";

/** POSIX single-quoting for a shell command line. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The `headersHelper` that prints the daemon's bearer header from its token file. */
export function tokenHeadersHelper(token: TokenRef): string {
  return `t=$(cat ${shellQuote(token.file)}) && printf '{"Authorization":"Bearer %s"}' "$t"`;
}

export const claudeCode: HostAdapter = {
  id: "claude-code",
  label: "Claude Code",
  source: "https://code.claude.com/docs/en/mcp",
  aliases: ["claude", "claude-code", "claudecode"],
  userFiles(env) {
    const dir = env.CLAUDE_CONFIG_DIR?.startsWith("/") ? env.CLAUDE_CONFIG_DIR : env.HOME;
    return [at("claude-code", `${dir}/.claude.json`, ["mcpServers"], "user")];
  },
  projectFiles(dir) {
    return [at("claude-code", `${dir}/.mcp.json`, ["mcpServers"], "project", dir)];
  },
  expand(location, value) {
    const locations: Location[] = [];
    const projects: string[] = [];
    if (location.scope !== "user" || !isObject(value) || !isObject(value.projects)) {
      return { locations, projects };
    }
    for (const [dir, settings] of Object.entries(value.projects)) {
      if (!dir.startsWith("/")) continue;
      projects.push(dir);
      if (isObject(settings) && isObject(settings.mcpServers)) {
        locations.push(
          at("claude-code", location.file, ["projects", dir, "mcpServers"], "local", dir),
        );
      }
    }
    return { locations, projects };
  },
  classify: (value) => classifyJson(value, ["url"]),
  variables: "claude",
  transportKeys: JSON_TRANSPORT_KEYS,
  proxyForm: (command, args) => ({ type: "stdio", command, args: [...args] }),
  httpForm: (url, token) => ({ type: "http", url, headersHelper: tokenHeadersHelper(token) }),
  httpSelfServe: true,
  restart: "start a new Claude Code session (or run /mcp and reconnect)",
};
