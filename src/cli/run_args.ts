/**
 * The mux's own command line: `rmcp-mux [run] --socket … --cmd …`, its
 * daemon form (`--config`, `--service`, `--only`, `--except`), `demo`, and
 * the flags they share — every mux setting, logging and the `--http*`
 * listener — turned into `MuxOptions`, `LogSettings` and `HttpOptions`.
 *
 * @module
 */

import { ISOLATION_MODES, type MuxOptions } from "../config/options.ts";
import type { HttpOptions } from "../http/options.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "../config/log_settings.ts";
import type { ServiceFilter } from "../config/select.ts";
import { expandHome, splitCommandLine } from "../config/command_line.ts";
import { UPSTREAM_ERA_SETTINGS } from "../router/eras.ts";
import { MAX_CANCEL_GRACE_MS } from "../router/cancelled_calls.ts";
import { CliError, normalizeBooleans, oneOf, parse, wholeNumber } from "./args_common.ts";

/** Logging settings from the command line. */
export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
  /** `--log-file`: append logs (and errors) to this file instead of stderr. */
  file?: string;
}

/** What the mux's own command line asks for: one mux, a daemon, or the demo. */
export type RunCommand =
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
    kind: "demo";
    options: Partial<Omit<MuxOptions, "cmd">>;
    log: LogSettings;
    http?: Partial<HttpOptions>;
  };

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
  "cancel-grace-ms": { type: "string" },
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

/** Parse the flags of `run` (also the default command) or `demo`. */
export function parseRun(
  mode: "run" | "demo",
  args: readonly string[],
  env: { HOME?: string },
): RunCommand | { kind: "help"; topic: string | undefined } | { kind: "version" } {
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
  if (values["cancel-grace-ms"] !== undefined) {
    options.cancelGraceMs = wholeNumberUpTo(
      "--cancel-grace-ms",
      values["cancel-grace-ms"],
      0,
      MAX_CANCEL_GRACE_MS,
    );
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

/** A whole number from `min` to `max`, else a one-line error naming the flag and the range. */
function wholeNumberUpTo(flag: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliError(`${flag}: expected a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function list(flag: string, raw: string): string[] {
  const names = raw.split(",").map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) throw new CliError(`${flag}: expected service names, like a,b`);
  return names;
}
