/**
 * Command-line parsing: `node:util`'s `parseArgs`, plus the checks and
 * messages a person needs (`--max-restarts: expected a whole number ≥ 0, got "five"`).
 * This file holds what the command line can ask for and the dispatch on its
 * first word, with the admin commands' small parsers; the mux's own flags
 * are `run_args.ts`'s, the host commands' `hosts_args.ts`'s and the proxy's
 * `proxy_args.ts`'s.
 *
 * @module
 */

import { CliError, parse, wholeNumber } from "./args_common.ts";
import { expandHome } from "../config/command_line.ts";
import { hintCommand } from "../paths/self_command.ts";

// main.ts names rmcp-mux in its usage line as this machine types it, without loading more.
export { hintCommand };
import { parseProxyArgs, type ProxyCommand, ProxyUsageError } from "./proxy_args.ts";
import { type LogSettings, parseRun, type RunCommand } from "./run_args.ts";
import {
  type HostsCommand,
  isHostStatus,
  parseHostStatus,
  parseRewire,
  parseScan,
  parseUnwire,
  parseWizard,
} from "./hosts_args.ts";

export { CliError };
export type { LogSettings, RunCommand };

/** How an admin command finds what to talk to. */
export interface ControlTarget {
  /** The daemon's config file (its control socket is derived from it). */
  config?: string;
  /** The daemon's control socket. */
  control?: string;
  /** A single mux's socket (`status` only). */
  socket?: string;
}

/** Control commands that act on a running daemon. */
export type ControlCommand = "restart" | "stop" | "start" | "reload" | "shutdown";

/** What the command line asks for. */
export type Command =
  | RunCommand
  | {
    kind: "status";
    target: ControlTarget;
    json: boolean;
    watch: boolean;
    verbose: boolean;
    /** Services to show (and whose states decide the exit code); empty: all. */
    services: string[];
  }
  | { kind: "control"; command: ControlCommand; service: string | undefined; target: ControlTarget }
  | { kind: "config-check"; file: string | undefined }
  | { kind: "dashboard"; target: ControlTarget; open: boolean }
  | { kind: "http-token"; tokenFile: string | undefined }
  | ProxyCommand
  | { kind: "health"; socket: string; timeoutMs: number; json: boolean }
  | { kind: "help"; topic: string | undefined }
  | { kind: "version" }
  | HostsCommand
  | ServiceCommand;

/** `rmcp-mux service install|uninstall|status|restart [--config FILE] [--dry-run]`. */
export interface ServiceCommand {
  kind: "service";
  action: "install" | "uninstall" | "status" | "restart";
  /** The daemon's config file (default: the default config file). */
  config?: string;
  /** Print what would be written and run; change nothing. */
  dryRun: boolean;
}

/**
 * Parse `args` (without the program name).
 * `env` supplies `HOME` for `~` expansion.
 */
export function parseCommandLine(
  args: readonly string[],
  env: { HOME?: string | undefined } = {},
): Command {
  const [first, ...rest] = args;
  switch (first) {
    case "proxy":
      return parseProxy(rest, env);
    case "status":
      return isHostStatus(rest) ? parseHostStatus(rest, env) : parseStatus(rest, env);
    case "scan":
      return parseScan(rest, env);
    case "rewire":
      return parseRewire(rest, env);
    case "unwire":
      return parseUnwire(rest, env);
    case "wizard":
      return parseWizard(rest, env);
    case "restart":
    case "stop":
    case "start":
    case "reload":
    case "shutdown":
      return parseControl(first, rest, env);
    case "config":
      return parseConfigCommand(rest, env);
    case "service":
      return parseService(rest, env);
    case "dashboard":
      return parseDashboard(rest, env);
    case "health":
      return parseHealth(rest, env);
    case "demo":
      return parseRun("demo", rest, env);
    case "http":
      return parseHttpCommand(rest, env);
    case "help":
      return { kind: "help", topic: rest[0] };
    case "run":
      return parseRun("run", rest, env);
    default:
      return parseRun("run", args, env);
  }
}

function parseHttpCommand(args: readonly string[], env: { HOME?: string }): Command {
  const [sub, ...rest] = args;
  if (sub === "-h" || sub === "--help") return { kind: "help", topic: "http" };
  if (sub !== "token") {
    throw new CliError(
      `http: unknown subcommand "${sub ?? ""}"; try: ${hintCommand()} http token`,
    );
  }
  const { values, positionals } = parse(rest, {
    "token-file": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return { kind: "help", topic: "http" };
  if (positionals.length > 0) {
    throw new CliError(`http token: unexpected argument "${positionals[0]}"`);
  }
  return {
    kind: "http-token",
    tokenFile: values["token-file"] === undefined
      ? undefined
      : expandHome(values["token-file"], env.HOME),
  };
}

function parseProxy(args: readonly string[], env: { HOME?: string }): Command {
  try {
    const parsed = parseProxyArgs(args, env.HOME);
    return parsed === "help" ? { kind: "help", topic: "proxy" } : parsed;
  } catch (error) {
    if (error instanceof ProxyUsageError) throw new CliError(error.message);
    throw error;
  }
}

function parseHealth(args: readonly string[], env: { HOME?: string }): Command {
  const { values, positionals } = parse(args, {
    socket: { type: "string" },
    "timeout-ms": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return { kind: "help", topic: "health" };
  if (positionals.length > 0) throw new CliError(`health: unexpected argument "${positionals[0]}"`);
  if (values.socket === undefined) throw new CliError("health: --socket PATH is required");
  return {
    kind: "health",
    socket: expandHome(values.socket, env.HOME),
    timeoutMs: values["timeout-ms"] === undefined
      ? 5_000
      : wholeNumber("--timeout-ms", values["timeout-ms"], 1),
    json: values.json ?? false,
  };
}

const targetFlags = {
  config: { type: "string" },
  control: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function targetOf(values: Record<string, string | undefined>, env: { HOME?: string }) {
  const target: ControlTarget = {};
  if (values.config !== undefined) target.config = expandHome(values.config, env.HOME);
  if (values.control !== undefined) target.control = expandHome(values.control, env.HOME);
  if (values.socket !== undefined) target.socket = expandHome(values.socket, env.HOME);
  if (Object.keys(target).length > 1) {
    throw new CliError("give one of --config, --control or --socket");
  }
  return target;
}

function parseStatus(args: readonly string[], env: { HOME?: string }): Command {
  const { values, positionals } = parse(args, {
    ...targetFlags,
    socket: { type: "string" },
    json: { type: "boolean" },
    watch: { type: "boolean", short: "w" },
    verbose: { type: "boolean", short: "v" },
  });
  if (values.help) return { kind: "help", topic: "status" };
  if (values.json && values.watch) throw new CliError("status: --json and --watch do not mix");
  return {
    kind: "status",
    target: targetOf(values, env),
    json: values.json ?? false,
    watch: values.watch ?? false,
    verbose: values.verbose ?? false,
    services: positionals,
  };
}

function parseControl(
  command: ControlCommand,
  args: readonly string[],
  env: { HOME?: string },
): Command {
  const { values, positionals } = parse(args, targetFlags);
  if (values.help) return { kind: "help", topic: "control" };
  const needsName = command === "restart" || command === "stop" || command === "start";
  if (needsName && positionals.length !== 1) {
    throw new CliError(`${command}: name one service, e.g. ${hintCommand()} ${command} github`);
  }
  if (!needsName && positionals.length > 0) {
    throw new CliError(`${command}: unexpected argument "${positionals[0]}"`);
  }
  return { kind: "control", command, service: positionals[0], target: targetOf(values, env) };
}

function parseDashboard(args: readonly string[], env: { HOME?: string }): Command {
  const { values, positionals } = parse(args, { ...targetFlags, open: { type: "boolean" } });
  if (values.help) return { kind: "help", topic: "dashboard" };
  if (positionals.length > 0) {
    throw new CliError(`dashboard: unexpected argument "${positionals[0]}"`);
  }
  const target = targetOf({ config: values.config, control: values.control }, env);
  return { kind: "dashboard", target, open: values.open ?? false };
}

function parseConfigCommand(args: readonly string[], env: { HOME?: string }): Command {
  const [sub, ...rest] = args;
  if (sub !== "check") {
    throw new CliError(
      `config: unknown subcommand "${sub ?? ""}"; try: ${hintCommand()} config check FILE`,
    );
  }
  const { values, positionals } = parse(rest, { help: { type: "boolean", short: "h" } });
  if (values.help) return { kind: "help", topic: "config" };
  if (positionals.length > 1) throw new CliError("config check: give one FILE");
  return {
    kind: "config-check",
    file: positionals[0] === undefined ? undefined : expandHome(positionals[0], env.HOME),
  };
}

function parseService(args: readonly string[], env: { HOME?: string }): Command {
  const [action, ...rest] = args;
  if (action === "-h" || action === "--help") return { kind: "help", topic: "service" };
  if (
    action !== "install" && action !== "uninstall" && action !== "status" &&
    action !== "restart"
  ) {
    throw new CliError(
      `service: unknown subcommand "${
        action ?? ""
      }"; try: ${hintCommand()} service install|uninstall|status|restart`,
    );
  }
  const { values, positionals } = parse(rest, {
    config: { type: "string" },
    "dry-run": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return { kind: "help", topic: "service" };
  if (positionals.length > 0) {
    throw new CliError(`service ${action}: unexpected argument "${positionals[0]}"`);
  }
  if (values["dry-run"] && (action === "status" || action === "restart")) {
    throw new CliError(`service ${action}: --dry-run is for install and uninstall`);
  }
  return {
    kind: "service",
    action,
    ...(values.config !== undefined ? { config: expandHome(values.config, env.HOME) } : {}),
    dryRun: values["dry-run"] ?? false,
  };
}
