/**
 * The config file, from text to {@link MuxFileConfig}: parse by extension,
 * validate with the zod schema, expand, merge each server over `defaults:`.
 * Every problem is collected and thrown as one {@link ConfigError}.
 *
 * Precedence, the same for every key: a CLI flag (applied later by
 * `selectServices`) > the server's entry > `defaults:` > the built-in
 * default. `env` is merged per variable in the same order.
 *
 * @module
 */

import { buildConfig } from "./build.ts";
import { ConfigError, type ConfigIssue, formatIssue, sortIssues } from "./errors.ts";
import { contextFrom, type ExpandContext } from "./expand.ts";
import { readSource } from "./formats.ts";
import { fromZodIssue, ignoredKeyWarnings, isRecord } from "./issues.ts";
import { fileSchema } from "./schema.ts";
import type { MuxFileConfig, ParseOptions } from "./types.ts";

/**
 * Parse and validate a config file's text. `path` picks the format by
 * extension (`.yaml`, `.yml`, `.json`, `.toml`) and names the file in
 * messages. Pure when `options.env` is given; otherwise variables are read
 * from `Deno.env` as the file names them.
 *
 * Throws {@link ConfigError} listing every problem, each as
 * `path:line:col key.path: what was expected`.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./parse.ts";
 *
 * const config = parseConfig(
 *   [
 *     "defaults:",
 *     "  max_restarts: 10",
 *     "servers:",
 *     "  memory:",
 *     "    socket: ~/.rmcp-mux/memory.sock",
 *     "    cmd: npx -y @modelcontextprotocol/server-memory",
 *   ].join("\n"),
 *   "config.yaml",
 *   { env: { HOME: "/home/ada" } },
 * );
 * console.log(config.services[0]?.options);
 * // { socket: "/home/ada/.rmcp-mux/memory.sock", cmd: "npx",
 * //   args: ["-y", "@modelcontextprotocol/server-memory"], serviceName: "memory", maxRestarts: 10 }
 * ```
 */
export function parseConfig(text: string, path: string, options: ParseOptions = {}): MuxFileConfig {
  const { value: raw, locate } = readSource(text, path);
  if (raw === null || raw === undefined) {
    throw new ConfigError([{
      file: path,
      message: "the file is empty: expected a mapping with a servers: key",
    }]);
  }
  const parsed = fileSchema.safeParse(raw, { reportInput: true });
  const issues: ConfigIssue[] = parsed.success
    ? []
    : parsed.error.issues.flatMap((issue) => fromZodIssue(issue, path, locate));
  if (!isRecord(raw)) throw new ConfigError(issues);

  const built = buildConfig(raw, contextOf(options), path, locate, parsed.success);
  issues.push(...built.issues);
  if (issues.length > 0) throw new ConfigError(unique(sortIssues(issues)));
  return {
    path,
    daemon: built.daemon,
    services: built.services,
    warnings: ignoredKeyWarnings(raw, path, locate),
  };
}

function contextOf(options: ParseOptions): ExpandContext {
  if (options.env !== undefined) return contextFrom(options.env, options.home ?? options.env.HOME);
  return {
    lookup: (name) => Deno.env.get(name),
    get home() {
      return options.home ?? Deno.env.get("HOME");
    },
  };
}

/** Drop repeats (a bad `defaults:` value is found once per server). */
function unique(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const text = formatIssue(issue);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}
