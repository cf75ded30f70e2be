/**
 * Codex. Checked against https://developers.openai.com/codex/mcp:
 * `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`) and, in trusted
 * projects, `<project>/.codex/config.toml`; tables `[mcp_servers.<name>]`.
 * stdio: `command`, `args`, `env`, `env_vars`, `cwd`; Streamable HTTP: `url`,
 * `bearer_token_env_var`, `http_headers`, `env_http_headers`. Codex does not
 * expand variables in values and refuses an inline bearer token: the HTTP form
 * names the variable holding the token (`bearer_token_env_var`).
 *
 * @module
 */

import { at, isObject } from "./common.ts";
import type { HostAdapter, Location } from "../types.ts";

export const codex: HostAdapter = {
  id: "codex",
  label: "Codex",
  source: "https://developers.openai.com/codex/mcp",
  aliases: ["codex", "codex-cli"],
  userFiles(env) {
    const home = env.CODEX_HOME?.startsWith("/") ? env.CODEX_HOME : `${env.HOME}/.codex`;
    return [at("codex", `${home}/config.toml`, ["mcp_servers"], "user", undefined, "toml")];
  },
  projectFiles: (dir) => [
    at("codex", `${dir}/.codex/config.toml`, ["mcp_servers"], "project", dir, "toml"),
  ],
  expand(location, value) {
    // Trusted projects may have their own .codex/config.toml.
    const projects: string[] = [];
    if (location.scope === "user" && isObject(value) && isObject(value.projects)) {
      for (const [dir, settings] of Object.entries(value.projects)) {
        if (dir.startsWith("/") && isObject(settings) && settings.trust_level === "trusted") {
          projects.push(dir);
        }
      }
    }
    return { locations: [] as Location[], projects };
  },
  classify(value) {
    if (!isObject(value)) return { kind: "unsupported", reason: "the entry is not a table" };
    const { command, args, env, env_vars: envVars, cwd, url } = value;
    if (typeof command === "string" && command.trim() !== "") {
      if (
        args !== undefined && !(Array.isArray(args) && args.every((a) => typeof a === "string"))
      ) {
        return { kind: "unsupported", reason: "its args are not a list of strings" };
      }
      if (
        env !== undefined &&
        !(isObject(env) && Object.values(env).every((v) => typeof v === "string"))
      ) {
        return { kind: "unsupported", reason: "its env is not a table of strings" };
      }
      const launchEnv: Record<string, string> = { ...(env as Record<string, string> | undefined) };
      // env_vars forwards variables from Codex's own environment: the daemon forwards its own.
      for (const item of Array.isArray(envVars) ? envVars : []) {
        const name = typeof item === "string" ? item : isObject(item) ? item.name : undefined;
        if (isObject(item) && item.source === "remote") {
          return { kind: "unsupported", reason: "it takes env_vars from a remote environment" };
        }
        if (typeof name === "string") launchEnv[name] = `\${${name}}`;
      }
      return {
        kind: "stdio",
        launch: {
          command,
          args: (args as string[] | undefined) ?? [],
          env: launchEnv,
          ...(typeof cwd === "string" ? { cwd } : {}),
        },
      };
    }
    if (typeof url === "string") return { kind: "remote", url };
    return { kind: "unsupported", reason: "it has neither a command nor a url" };
  },
  // env_vars values are `${NAME}` (set above), so only literal `$` needs care.
  variables: "none",
  transportKeys: [
    "command",
    "args",
    "env",
    "env_vars",
    "cwd",
    "url",
    "bearer_token_env_var",
    "bearer_token",
    "http_headers",
    "env_http_headers",
    "experimental_environment",
    "scopes",
    "oauth_resource",
  ],
  proxyForm: (command, args) => ({ command, args: [...args] }),
  httpForm: (url, token) => ({ url, bearer_token_env_var: token.envVar }),
  httpSelfServe: false,
  restart: "quit codex and start it again (the IDE extension: reload the window)",
};
