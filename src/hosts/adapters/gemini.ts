/**
 * Gemini CLI. Checked against https://geminicli.com/docs/tools/mcp-server
 * and https://geminicli.com/docs/cli/configuration: `~/.gemini/settings.json`
 * and `<project>/.gemini/settings.json`, key `mcpServers`; stdio
 * `{ "command", "args", "env", "cwd" }`, Streamable HTTP `{ "httpUrl", "headers" }`
 * (`url` is SSE). Every string of settings.json may use `$VAR` or `${VAR}`,
 * resolved when the settings load, headers included. Newer releases also take
 * `url` + `"type": "http"` (their source calls `httpUrl` deprecated), but older
 * ones read a bare `url` as SSE, which the mux does not serve: `httpUrl`, the
 * documented key, works in both.
 *
 * @module
 */

import { at, bearer, classifyJson, JSON_TRANSPORT_KEYS } from "./common.ts";
import type { HostAdapter } from "../types.ts";

export const gemini: HostAdapter = {
  id: "gemini",
  label: "Gemini CLI",
  source: "https://geminicli.com/docs/tools/mcp-server",
  aliases: ["gemini", "gemini-cli"],
  userFiles: (env) => [at("gemini", `${env.HOME}/.gemini/settings.json`, ["mcpServers"], "user")],
  projectFiles: (
    dir,
  ) => [at("gemini", `${dir}/.gemini/settings.json`, ["mcpServers"], "project", dir)],
  classify: (value) => classifyJson(value, ["httpUrl", "url"]),
  variables: "dollar",
  transportKeys: JSON_TRANSPORT_KEYS,
  proxyForm: (command, args) => ({ command, args: [...args] }),
  httpForm: (url, token) => ({ httpUrl: url, headers: bearer(`\${${token.envVar}}`) }),
  httpSelfServe: false,
  restart: "quit gemini and start it again",
};
