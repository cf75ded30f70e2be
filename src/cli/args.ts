/**
 * Command-line parsing: `node:util`'s `parseArgs`, plus the checks and
 * messages a person needs (`--max-restarts: expected a whole number ≥ 0, got "five"`).
 *
 * @module
 */

import { ISOLATION_MODES, type MuxOptions } from "../config/options.ts";
import type { HttpOptions } from "../http/options.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "../config/log_settings.ts";
import type { ServiceFilter } from "../config/select.ts";
import { CliError, normalizeBooleans, oneOf, parse, wholeNumber } from "./args_common.ts";

export { CliError };
import { expandHome, splitCommandLine } from "../config/command_line.ts";
import { parseProxyArgs, type ProxyCommand, ProxyUsageError } from "./proxy_args.ts";
import { UPSTREAM_ERA_SETTINGS } from "../router/eras.ts";
import {
  type HostsCommand,
  isHostStatus,
  parseHostStatus,
  parseRewire,
  parseScan,
  parseUnwire,
  parseWizard,
} from "./hosts_args.ts";

/** Logging settings from the command line. */
export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
  /** `--log-file`: append logs (and errors) to this file instead of stderr. */
  file?: string;
}

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
  | { kind: "run"; options: MuxOptions; log: LogSettings; http?: Partial<HttpOptions> }
  | {
    kind: "daemon";
    /** The config file; `undefined`: the default location. */
    config: string | undefined;
    filter: ServiceFilter;
    control: string | undefined;
    /** Flags given on the command line, applied over every selected service. */
    overrides: Partial<MuxOptions>;
    /** Log settings given on the command line (the config's apply otherwise). */
    log: Partial<LogSettings>;
    /** HTTP listener flags given on the command line, over `daemon.http`. */
    http?: Partial<HttpOptions>;
  }
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
  | {
    kind: "demo";
    options: Partial<Omit<MuxOptions, "cmd">>;
    log: LogSettings;
    http?: Partial<HttpOptions>;
  }
  | { kind: "http-token"; tokenFile: string | undefined }
  | ProxyCommand
  | { kind: "health"; socket: string; timeoutMs: number; json: boolean }
  | { kind: "help"; topic: string | undefined }
  | { kind: "version" }
  | HostsCommand
  | ServiceCommand;

/** `rmcp-mux service install|uninstall|status [--config FILE] [--dry-run]`. */
export interface ServiceCommand {
  kind: "service";
  action: "install" | "uninstall" | "status";
  /** The daemon's config file (default: the default config file). */
  config?: string;
  /** Print what would be written and run; change nothing. */
  dryRun: boolean;
}

const runFlags = {
  socket: { type: "string" },
  cmd: { type: "string" },
  config: { type: "string" },
  service: { type: "string" },
  only: { type: "string" },
  except: { type: "string" },
  control: { type: "string" },
  "service-name": { type: "string" },
  "max-active-clients": { type: "string" },
  "client-wait-ms": { type: "string" },
  "lazy-start": { type: "boolean" },
  "no-lazy-start": { type: "boolean" },
  serialize: { type: "boolean" },
  "no-serialize": { type: "boolean" },
  "heartbeat-enabled": { type: "boolean" },
  "no-heartbeat-enabled": { type: "boolean" },
  "heartbeat-restart": { type: "boolean" },
  "no-heartbeat-restart": { type: "boolean" },
  "heartbeat-timeout-ms": { type: "string" },
  "heartbeat-max-failures": { type: "string" },
  isolation: { type: "string" },
  "max-processes": { type: "string" },
  "idle-timeout-ms": { type: "string" },
  "upstream-era": { type: "string" },
  "max-request-bytes": { type: "string" },
  "max-response-bytes": { type: "string" },
  "request-timeout-ms": { type: "string" },
  "restart-backoff-ms": { type: "string" },
  "restart-backoff-max-ms": { type: "string" },
  "max-restarts": { type: "string" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  "log-file": { type: "string" },
  "status-file": { type: "string" },
  http: { type: "string" },
  "http-auth": { type: "string" },
  "http-allow-remote": { type: "boolean" },
  "http-session-idle-ms": { type: "string" },
  "http-max-sessions": { type: "string" },
  "http-max-requests": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

const numericFlags = {
  "max-active-clients": ["maxActiveClients", 1],
  "client-wait-ms": ["clientWaitMs", 0],
  "max-request-bytes": ["maxRequestBytes", 64],
  "max-response-bytes": ["maxResponseBytes", 64],
  "request-timeout-ms": ["requestTimeoutMs", 0],
  "restart-backoff-ms": ["restartBackoffMs", 1],
  "restart-backoff-max-ms": ["restartBackoffMaxMs", 1],
  "max-restarts": ["maxRestarts", 0],
  "heartbeat-timeout-ms": ["heartbeatTimeoutMs", 1],
  "heartbeat-max-failures": ["heartbeatMaxFailures", 1],
  "max-processes": ["maxProcesses", 1],
  "idle-timeout-ms": ["idleTimeoutMs", 0],
} as const;

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

function parseRun(mode: "run" | "demo", args: readonly string[], env: { HOME?: string }): Command {
  const { values, positionals, tail } = parse(normalizeBooleans(args), runFlags);
  if (values.help) return { kind: "help", topic: mode === "demo" ? "demo" : undefined };
  if (values.version) return { kind: "version" };
  if (positionals.length > 0) {
    throw new CliError(
      `unexpected argument "${positionals[0]}"` +
        (mode === "run" ? ' (put server arguments after "--")' : ""),
    );
  }
  const options: Partial<MuxOptions> & Record<string, unknown> = {};
  if (values.socket !== undefined) options.socket = expandHome(values.socket, env.HOME);
  if (values["service-name"] !== undefined) options.serviceName = values["service-name"];
  if (values["status-file"] !== undefined) {
    options.statusFile = expandHome(values["status-file"], env.HOME);
  }
  if (values["lazy-start"]) options.lazyStart = true;
  if (values["no-lazy-start"]) options.lazyStart = false;
  if (values.serialize) options.serialize = true;
  if (values["no-serialize"]) options.serialize = false;
  if (values["heartbeat-enabled"]) options.heartbeatEnabled = true;
  if (values["no-heartbeat-enabled"]) options.heartbeatEnabled = false;
  if (values["heartbeat-restart"]) options.heartbeatRestart = true;
  if (values["no-heartbeat-restart"]) options.heartbeatRestart = false;
  if (values.isolation !== undefined) {
    options.isolation = oneOf("--isolation", values.isolation, ISOLATION_MODES);
  }
  if (values["upstream-era"] !== undefined) {
    options.upstreamEra = oneOf("--upstream-era", values["upstream-era"], UPSTREAM_ERA_SETTINGS);
  }
  for (const [flag, [key, min]] of Object.entries(numericFlags)) {
    const raw = values[flag as keyof typeof numericFlags];
    if (raw !== undefined) options[key] = wholeNumber(`--${flag}`, raw, min);
  }
  const given: Partial<LogSettings> = {};
  if (values["log-level"] !== undefined) {
    given.level = oneOf<LogLevel>("--log-level", values["log-level"], LOG_LEVELS, {
      warning: "warn",
    });
  }
  if (values["log-format"] !== undefined) {
    given.format = oneOf("--log-format", values["log-format"], ["text", "json"] as const);
  }
  if (values["log-file"] !== undefined) given.file = expandHome(values["log-file"], env.HOME);
  const log: LogSettings = {
    level: given.level ?? "info",
    format: given.format ?? "text",
    ...(given.file !== undefined ? { file: given.file } : {}),
  };
  const http = httpFlags(values);
  const daemonFlags = ["config", "service", "only", "except", "control"] as const;
  const usesConfig = daemonFlags.some((f) => values[f] !== undefined);
  if (mode === "run" && (usesConfig || (values.cmd === undefined && values.socket === undefined))) {
    // --socket, --cmd, server arguments and --service-name describe one server:
    // with a file they override that server's entry, so they need --service NAME.
    const oneServer = values.cmd !== undefined || tail.length > 0 ||
      options.socket !== undefined || options.serviceName !== undefined;
    if (oneServer && values.service === undefined) {
      throw new CliError(
        "--socket, --cmd, server arguments and --service-name describe one server: with " +
          "--config, name it with --service NAME (or leave them to the file)",
      );
    }
    if (values.cmd !== undefined) Object.assign(options, commandOf(values.cmd, tail, env));
    else if (tail.length > 0) options.args = tail;
    return {
      kind: "daemon",
      config: values.config === undefined ? undefined : expandHome(values.config, env.HOME),
      filter: {
        ...(values.service !== undefined ? { service: values.service } : {}),
        ...(values.only !== undefined ? { only: list("--only", values.only) } : {}),
        ...(values.except !== undefined ? { except: list("--except", values.except) } : {}),
      },
      control: values.control === undefined ? undefined : expandHome(values.control, env.HOME),
      overrides: options,
      log: given,
      ...(http ? { http } : {}),
    };
  }
  if (mode === "demo") {
    if (values.cmd !== undefined || tail.length > 0) {
      throw new CliError("demo runs the built-in reference server; it takes no --cmd");
    }
    if (http && http.listen === undefined) {
      throw new CliError("the --http-* flags need --http ADDR");
    }
    return { kind: "demo", options, log, ...(http ? { http } : {}) };
  }
  if (values.socket === undefined) throw new CliError("--socket PATH is required");
  if (values.cmd === undefined || values.cmd.trim() === "") {
    throw new CliError("--cmd PROGRAM is required (the MCP server to run)");
  }
  Object.assign(options, commandOf(values.cmd, tail, env));
  if (http && http.listen === undefined) {
    throw new CliError(
      "--http-auth, --http-allow-remote and the other --http-* flags need --http ADDR",
    );
  }
  return { kind: "run", options: options as MuxOptions, log, ...(http ? { http } : {}) };
}

/** The `--http*` flags, or `undefined` when none was given. */
function httpFlags(
  values: Record<string, string | boolean | undefined>,
): Partial<HttpOptions> | undefined {
  const http: Partial<HttpOptions> = {};
  if (values.http !== undefined) http.listen = String(values.http);
  if (values["http-auth"] !== undefined) {
    http.auth = oneOf("--http-auth", String(values["http-auth"]), ["token", "none"] as const);
  }
  if (values["http-allow-remote"]) http.allowRemote = true;
  if (values["http-session-idle-ms"] !== undefined) {
    http.sessionIdleMs = wholeNumber(
      "--http-session-idle-ms",
      String(values["http-session-idle-ms"]),
      1,
    );
  }
  if (values["http-max-sessions"] !== undefined) {
    http.maxSessions = wholeNumber("--http-max-sessions", String(values["http-max-sessions"]), 1);
  }
  if (values["http-max-requests"] !== undefined) {
    http.maxRequests = wholeNumber("--http-max-requests", String(values["http-max-requests"]), 1);
  }
  return Object.keys(http).length > 0 ? http : undefined;
}

function parseHttpCommand(args: readonly string[], env: { HOME?: string }): Command {
  const [sub, ...rest] = args;
  if (sub === "-h" || sub === "--help") return { kind: "help", topic: "http" };
  if (sub !== "token") {
    throw new CliError(`http: unknown subcommand "${sub ?? ""}"; try: rmcp-mux http token`);
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

/** `--cmd` and the arguments after `--`; a `--cmd` with spaces and no `--` is split like a shell would. */
function commandOf(
  raw: string,
  tail: string[],
  env: { HOME?: string },
): { cmd: string; args: string[] } {
  let cmd = raw.trim();
  let args = tail;
  if (tail.length === 0 && /\s/.test(cmd)) {
    // Split like a shell would, but never run one.
    try {
      [cmd, ...args] = splitCommandLine(cmd) as [string, ...string[]];
    } catch (error) {
      throw new CliError(`--cmd: ${(error as Error).message}`);
    }
  }
  return { cmd: expandHome(cmd, env.HOME), args };
}

function list(flag: string, raw: string): string[] {
  const names = raw.split(",").map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) throw new CliError(`${flag}: expected service names, like a,b`);
  return names;
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
    throw new CliError(`${command}: name one service, e.g. rmcp-mux ${command} github`);
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
      `config: unknown subcommand "${sub ?? ""}"; try: rmcp-mux config check FILE`,
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
  if (action !== "install" && action !== "uninstall" && action !== "status") {
    throw new CliError(
      `service: unknown subcommand "${
        action ?? ""
      }"; try: rmcp-mux service install|uninstall|status`,
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
  if (values["dry-run"] && action === "status") {
    throw new CliError("service status: --dry-run is for install and uninstall");
  }
  return {
    kind: "service",
    action,
    ...(values.config !== undefined ? { config: expandHome(values.config, env.HOME) } : {}),
    dryRun: values["dry-run"] ?? false,
  };
}
