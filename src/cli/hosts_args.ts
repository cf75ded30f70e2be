/**
 * Command lines of the host commands: `scan`, `rewire`, `unwire`,
 * `status --host`, `wizard` — with the Rust tool's spellings where they
 * still mean something, and one-line pointers where they do not.
 *
 * @module
 */

import { CliError, oneOf, parse } from "./args_common.ts";
import { expandHome } from "../config/command_line.ts";
import { hintCommand } from "../paths/self_command.ts";
import { CUSTOM_FORMATS, type CustomFormat } from "../hosts/adapters/custom.ts";
import type { Via } from "../hosts/rewire.ts";

/** `--path FILE [--format F]`: a host file rmcp-mux does not know by name. */
export interface PathArg {
  file: string;
  format?: CustomFormat;
}

/** What the host commands share. */
interface HostsCommon {
  /** `--host` values, as typed (`all` for every host found). */
  hosts: string[];
  path?: PathArg;
  /** The daemon's config file (default location when absent). */
  config?: string;
  /** Extra project directories to look in (the current one always is). */
  projects: string[];
}

/** A host command. */
export type HostsCommand =
  | HostsCommon & {
    kind: "scan";
    json: boolean;
    writeConfig?: string;
    socketDir?: string;
    dryRun: boolean;
  }
  | HostsCommon & {
    kind: "rewire";
    servers?: string[];
    via: Via;
    dryRun: boolean;
    socketDir?: string;
  }
  | HostsCommon & { kind: "unwire"; servers?: string[]; dryRun: boolean }
  | HostsCommon & { kind: "host-status"; json: boolean }
  | { kind: "wizard"; config?: string; dryRun: boolean; projects: string[] };

type Env = { HOME?: string | undefined };

const common = {
  host: { type: "string", multiple: true },
  path: { type: "string" },
  format: { type: "string" },
  config: { type: "string" },
  project: { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
} as const;

function commonOf(name: string, values: Record<string, unknown>, env: Env): HostsCommon {
  const hosts = ((values.host as string[] | undefined) ?? [])
    .flatMap((h) => h.split(",")).map((h) => h.trim()).filter(Boolean);
  const out: HostsCommon = { hosts, projects: [] };
  if (values.path !== undefined) {
    const file = absolute(expandHome(values.path as string, env.HOME));
    out.path = values.format === undefined
      ? { file }
      : { file, format: oneOf("--format", values.format as string, CUSTOM_FORMATS) };
  } else if (values.format !== undefined) {
    throw new CliError(`${name}: --format goes with --path FILE`);
  }
  if (values.config !== undefined) {
    out.config = absolute(expandHome(values.config as string, env.HOME));
  }
  out.projects = ((values.project as string[] | undefined) ?? []).map((p) =>
    absolute(expandHome(p, env.HOME))
  );
  return out;
}

function absolute(path: string): string {
  if (path.startsWith("/")) return path.replace(/\/+$/, "") || "/";
  return `${Deno.cwd()}/${path}`.replace(/\/\.\//g, "/").replace(/\/+$/, "");
}

function servers(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(",").map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) throw new CliError("--server: expected server names, like a,b");
  return names;
}

function noPositionals(name: string, positionals: string[]): void {
  if (positionals.length > 0) {
    throw new CliError(`${name}: unexpected argument "${positionals[0]}"`);
  }
}

/** `rmcp-mux scan [--json] [--write-config FILE] …` (Rust: `--manifest`). */
export function parseScan(
  args: readonly string[],
  env: Env,
): HostsCommand | { kind: "help"; topic: string } {
  const { values, positionals } = parse(args, {
    ...common,
    json: { type: "boolean" },
    "write-config": { type: "string" },
    manifest: { type: "string" },
    "manifest-format": { type: "string" },
    snippet: { type: "string" },
    "snippet-format": { type: "string" },
    "socket-dir": { type: "string" },
    "dry-run": { type: "boolean" },
  });
  if (values.help) return { kind: "help", topic: "scan" };
  noPositionals("scan", positionals);
  if (values.snippet !== undefined || values["snippet-format"] !== undefined) {
    throw new CliError(
      `scan --snippet is gone: \`${hintCommand()} rewire --host H --dry-run\` shows the exact ` +
        "change to each host's file",
    );
  }
  const target = values["write-config"] ?? values.manifest;
  if (values["write-config"] !== undefined && values.manifest !== undefined) {
    throw new CliError("scan: give --write-config FILE (or the Rust --manifest FILE), not both");
  }
  let writeConfig = target === undefined ? undefined : absolute(expandHome(target, env.HOME));
  const manifestFormat = values["manifest-format"] as string | undefined;
  if (
    writeConfig !== undefined && manifestFormat !== undefined &&
    !/\.(ya?ml|json|toml)$/.test(writeConfig)
  ) {
    writeConfig += `.${
      oneOf("--manifest-format", manifestFormat, ["toml", "json", "yaml"] as const)
    }`;
  }
  const out: HostsCommand = {
    kind: "scan",
    ...commonOf("scan", values, env),
    json: values.json ?? false,
    dryRun: values["dry-run"] ?? false,
  };
  if (writeConfig !== undefined) out.writeConfig = writeConfig;
  if (values["socket-dir"] !== undefined) {
    out.socketDir = absolute(expandHome(values["socket-dir"], env.HOME));
  }
  return out;
}

/** `rmcp-mux rewire --host H [--server A,B] [--via http|proxy|auto] [--dry-run]`. */
export function parseRewire(
  args: readonly string[],
  env: Env,
): HostsCommand | { kind: "help"; topic: string } {
  const { values, positionals } = parse(args, {
    ...common,
    server: { type: "string" },
    via: { type: "string" },
    "dry-run": { type: "boolean" },
    "socket-dir": { type: "string" },
    "proxy-cmd": { type: "string" },
    "proxy-args": { type: "string" },
  });
  if (values.help) return { kind: "help", topic: "rewire" };
  noPositionals("rewire", positionals);
  if (values["proxy-cmd"] !== undefined || values["proxy-args"] !== undefined) {
    throw new CliError(
      "rewire --proxy-cmd/--proxy-args are gone: entries get the absolute path of the installed " +
        "rmcp-mux (or Deno and main.ts) with `proxy --socket`, or the HTTP URL (--via http)",
    );
  }
  const base = commonOf("rewire", values, env);
  if (base.hosts.length === 0 && !base.path) {
    throw new CliError(
      "rewire: name the host, e.g. --host claude-code (or --host all, or --path FILE)",
    );
  }
  const out: HostsCommand = {
    kind: "rewire",
    ...base,
    via: values.via === undefined
      ? "auto"
      : oneOf("--via", values.via, ["auto", "http", "proxy"] as const),
    dryRun: values["dry-run"] ?? false,
  };
  const names = servers(values.server);
  if (names) out.servers = names;
  if (values["socket-dir"] !== undefined) {
    out.socketDir = absolute(expandHome(values["socket-dir"], env.HOME));
  }
  return out;
}

/** `rmcp-mux unwire --host H [--server A,B] [--dry-run]`. */
export function parseUnwire(
  args: readonly string[],
  env: Env,
): HostsCommand | { kind: "help"; topic: string } {
  const { values, positionals } = parse(args, {
    ...common,
    server: { type: "string" },
    "dry-run": { type: "boolean" },
  });
  if (values.help) return { kind: "help", topic: "unwire" };
  noPositionals("unwire", positionals);
  const base = commonOf("unwire", values, env);
  if (base.hosts.length === 0 && !base.path) {
    throw new CliError(
      "unwire: name the host, e.g. --host claude-code (or --host all, or --path FILE)",
    );
  }
  const out: HostsCommand = { kind: "unwire", ...base, dryRun: values["dry-run"] ?? false };
  const names = servers(values.server);
  if (names) out.servers = names;
  return out;
}

/** `rmcp-mux status --host H [--json]` (the Rust tool's `status --host`). */
export function parseHostStatus(
  args: readonly string[],
  env: Env,
): HostsCommand | { kind: "help"; topic: string } {
  const { values, positionals } = parse(args, {
    ...common,
    json: { type: "boolean" },
    "proxy-cmd": { type: "string" },
  });
  if (values.help) return { kind: "help", topic: "status" };
  noPositionals("status", positionals);
  return { kind: "host-status", ...commonOf("status", values, env), json: values.json ?? false };
}

/** Does a `status` command line ask about hosts (`--host`/`--path`)? */
export function isHostStatus(args: readonly string[]): boolean {
  return args.some((a) =>
    a === "--host" || a.startsWith("--host=") || a === "--path" || a.startsWith("--path=")
  );
}

/** `rmcp-mux wizard [--config FILE] [--dry-run]`. */
export function parseWizard(
  args: readonly string[],
  env: Env,
): HostsCommand | { kind: "help"; topic: string } {
  const { values, positionals } = parse(args, {
    config: { type: "string" },
    project: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return { kind: "help", topic: "wizard" };
  noPositionals("wizard", positionals);
  return {
    kind: "wizard",
    ...(values.config !== undefined
      ? { config: absolute(expandHome(values.config, env.HOME)) }
      : {}),
    dryRun: values["dry-run"] ?? false,
    projects: ((values.project as string[] | undefined) ?? []).map((p: string) =>
      absolute(expandHome(p, env.HOME))
    ),
  };
}
