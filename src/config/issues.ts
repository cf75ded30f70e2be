/**
 * zod issues → {@link ConfigIssue}s with positions and plain-language
 * messages; unknown keys with "did you mean"; warnings for the Rust
 * rmcp-mux's keys this mux ignores.
 *
 * @module
 */

import type { z } from "zod";
import {
  type ConfigIssue,
  describeValue,
  formatIssue,
  keyPathOf,
  sortIssues,
  suggestKey,
} from "./errors.ts";
import type { Locate } from "./locate.ts";
import { IGNORED_RUST_KEYS, KNOWN_KEYS, PER_SERVER_KEYS } from "./schema.ts";

type Issue = z.core.$ZodIssue;

/** What each required key is, for "missing …" messages. */
const REQUIRED: Readonly<Record<string, string>> = {
  servers: "a mapping of service names to server settings",
  socket: "the Unix socket path the mux listens on",
  cmd: "the MCP server command",
};

/** Turn one zod issue into config issues (an unknown-keys issue becomes one per key). */
export function fromZodIssue(issue: Issue, file: string, locate: Locate): ConfigIssue[] {
  const path = issue.path;
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => unknownKey([...path, key], file, locate));
  }
  if (issue.code === "invalid_type" && issue.input === undefined && path.length > 0) {
    const parent = path.slice(0, -1);
    const key = String(path.at(-1));
    return [{
      file,
      ...locate(parent, "key"),
      keyPath: keyPathOf(parent),
      message: `missing "${key}" (${REQUIRED[key] ?? issue.message})`,
    }];
  }
  if (issue.code === "invalid_key") {
    return [{
      file,
      ...locate(path, "key"),
      keyPath: keyPathOf(path),
      message: issue.issues[0]?.message ?? issue.message,
    }];
  }
  // YAML reads a bare `~` as null, which surprises anyone who meant their home directory.
  const tilde = issue.input === null && issue.message.startsWith("expected a path")
    ? ' (a bare ~ is null in YAML: write "~" in quotes for the home directory)'
    : "";
  return [{
    file,
    ...locate(path, "value"),
    keyPath: keyPathOf(path),
    message: `${issue.message}, got ${describeValue(issue.input, isEnvValue(path))}${tilde}`,
  }];
}

/** `servers.x.env.NAME` or `defaults.env.NAME`: a value that may be a secret. */
function isEnvValue(path: readonly PropertyKey[]): boolean {
  return path.length >= 3 && path.at(-2) === "env";
}

type Kind = keyof typeof KNOWN_KEYS;

function kindOf(objectPath: readonly PropertyKey[]): Kind {
  if (objectPath.length === 0) return "file";
  if (objectPath[0] === "daemon") return "daemon";
  if (objectPath[0] === "defaults") return "defaults";
  return "server";
}

function unknownKey(path: readonly PropertyKey[], file: string, locate: Locate): ConfigIssue {
  const key = String(path.at(-1));
  const kind = kindOf(path.slice(0, -1));
  const where = { file, ...locate(path, "key"), keyPath: keyPathOf(path) };
  if (kind === "defaults" && PER_SERVER_KEYS.includes(key)) {
    return { ...where, message: `"${key}" is set per server, not under defaults:` };
  }
  if (kind === "file" && (key === "mcpServers" || key === "mcp_servers")) {
    return {
      ...where,
      message: `unknown key "${key}": that is an MCP host's config; rmcp-mux lists its ` +
        "services under servers:, each with socket and cmd",
    };
  }
  const known = KNOWN_KEYS[kind].filter((k) => !(k in IGNORED_RUST_KEYS));
  const suggestion = suggestKey(key, known);
  return {
    ...where,
    message: suggestion === undefined
      ? `unknown key "${key}": expected one of ${known.join(", ")}`
      : `unknown key "${key}" (did you mean "${suggestion}"?)`,
  };
}

/**
 * Warnings for the Rust rmcp-mux's keys (tray, heartbeat_interval_ms) found under
 * `defaults:` or a server entry: accepted so Rust configs load, but ignored.
 */
export function ignoredKeyWarnings(raw: unknown, file: string, locate: Locate): string[] {
  const warnings: ConfigIssue[] = [];
  const check = (value: unknown, path: readonly PropertyKey[]) => {
    if (!isRecord(value)) return;
    for (const [key, reason] of Object.entries(IGNORED_RUST_KEYS)) {
      if (value[key] === undefined) continue;
      const keyPath = [...path, key];
      warnings.push({
        file,
        ...locate(keyPath, "key"),
        keyPath: keyPathOf(keyPath),
        message: `ignored: ${reason}`,
      });
    }
  };
  if (isRecord(raw)) {
    check(raw.defaults, ["defaults"]);
    if (isRecord(raw.servers)) {
      for (const [name, entry] of Object.entries(raw.servers)) check(entry, ["servers", name]);
    }
  }
  return sortIssues(warnings).map(formatIssue);
}

/** A plain mapping (not a list, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}
