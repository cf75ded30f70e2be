/**
 * Validated file data → {@link DaemonSettings} and {@link ServiceEntry}s:
 * expansion, `cmd` splitting, merging over `defaults:`, and the checks that
 * span keys (duplicate sockets, backoff bounds).
 *
 * It reads the raw data defensively (a value of the wrong type is skipped,
 * zod reports it), so it also runs on an invalid file and every problem is
 * reported at once.
 *
 * @module
 */

import { normalize } from "node:path/posix";
import { splitCommandLine } from "./command_line.ts";
import type { ConfigIssue } from "./errors.ts";
import { keyPathOf } from "./errors.ts";
import { type ExpandContext, expandValue, ExpansionError } from "./expand.ts";
import { isRecord } from "./issues.ts";
import type { Locate } from "./locate.ts";
import { DEFAULTS, type MuxOptions, OptionError, resolveOptions } from "./options.ts";
import type { LogFormat, LogLevel } from "./log_settings.ts";
import { OPTION_KEYS, SERVICE_NAME_PATTERN, SERVICE_NAME_RULE } from "./schema.ts";
import type { DaemonSettings, ServiceEntry } from "./types.ts";
import { runtimeDir } from "../paths/dirs.ts";

/** The result of {@link buildConfig}; only meaningful when `issues` is empty. */
export interface Built {
  daemon: DaemonSettings;
  services: ServiceEntry[];
  issues: ConfigIssue[];
}

/** Keys whose values are copied as they are (numbers and booleans zod has checked). */
const PLAIN_KEYS = Object.entries(OPTION_KEYS).filter(([key]) =>
  !["socket", "cmd", "args", "cwd", "env", "service_name", "status_file"].includes(key)
);

/** Why a server without `socket:` has no socket. */
const NO_RUNTIME_DIR = "no socket: set, and no runtime directory for its default " +
  "(HOME and XDG_RUNTIME_DIR are unset or not absolute): set socket: or HOME";

/**
 * A server's socket when the file names none: `<runtime dir>/<key>.sock`, the
 * runtime directory every command agrees on (`paths/dirs.ts`; the control
 * socket's default lives there too). The key is unique and a safe file name.
 */
function defaultSocket(name: string, ctx: ExpandContext, fail: () => void): string {
  try {
    return `${
      runtimeDir({ XDG_RUNTIME_DIR: ctx.lookup("XDG_RUNTIME_DIR"), HOME: ctx.home })
    }/${name}.sock`;
  } catch {
    fail();
    return "";
  }
}

/**
 * Build the daemon settings and services from `raw` (the parsed file).
 * `valid` says zod accepted it; only then are the merged options also run
 * through {@link resolveOptions} as a last check.
 */
export function buildConfig(
  raw: Record<string, unknown>,
  ctx: ExpandContext,
  file: string,
  locate: Locate,
  valid: boolean,
): Built {
  const issues: ConfigIssue[] = [];
  const issue = (path: readonly PropertyKey[], message: string, at: "key" | "value" = "value") =>
    issues.push({ file, ...locate(path, at), keyPath: keyPathOf(path), message });
  const expanderFor =
    (context: ExpandContext) =>
    (value: unknown, path: readonly PropertyKey[]): string | undefined => {
      if (typeof value !== "string") return undefined;
      try {
        return expandValue(value, context);
      } catch (error) {
        if (!(error instanceof ExpansionError)) throw error;
        issue(path, error.message);
        return undefined;
      }
    };
  const expand = expanderFor(ctx);
  const expandEnv = (value: unknown, path: readonly PropertyKey[]) => {
    if (!isRecord(value)) return undefined;
    const out: Record<string, string> = {};
    for (const [name, v] of Object.entries(value)) {
      const expanded = expand(v, [...path, name]);
      if (expanded !== undefined) out[name] = expanded;
    }
    return out;
  };

  const daemonRaw = isRecord(raw.daemon) ? raw.daemon : {};
  const httpRaw = isRecord(daemonRaw.http) ? daemonRaw.http : undefined;
  const http = httpRaw && typeof httpRaw.listen === "string"
    ? withoutUndefined({
      listen: httpRaw.listen,
      auth: httpRaw.auth as "token" | "none" | undefined,
      allowRemote: httpRaw.allow_remote as boolean | undefined,
      sessionIdleMs: httpRaw.session_idle_ms as number | undefined,
      maxSessions: httpRaw.max_sessions as number | undefined,
      maxRequests: httpRaw.max_requests as number | undefined,
      tokenFile: expand(httpRaw.token_file, ["daemon", "http", "token_file"]),
    })
    : undefined;
  const daemon: DaemonSettings = withoutUndefined({
    control: expand(daemonRaw.control, ["daemon", "control"]),
    http,
    logFormat: daemonRaw.log_format as LogFormat | undefined,
    logLevel: daemonRaw.log_level as LogLevel | undefined,
    statusFile: expand(daemonRaw.status_file, ["daemon", "status_file"]),
  });

  const defaults = isRecord(raw.defaults) ? raw.defaults : {};
  const defaultCwd = expand(defaults.cwd, ["defaults", "cwd"]);
  const defaultEnv = expandEnv(defaults.env, ["defaults", "env"]);

  const servers = isRecord(raw.servers) ? raw.servers : {};
  if (isRecord(raw.servers) && Object.keys(servers).length === 0) {
    issue(["servers"], "expected at least one server", "key");
  }
  const services: ServiceEntry[] = [];
  for (const name of Object.keys(servers).sort(byCodeUnits)) {
    const entry = servers[name];
    const at = ["servers", name];
    const nameOk = SERVICE_NAME_PATTERN.test(name);
    if (!nameOk) issue(at, `"${name}" is not ${SERVICE_NAME_RULE}`, "key");
    if (!isRecord(entry)) continue;

    // Values of variables used in the command line may be secrets (tokens passed as
    // arguments): remember them so every display of the command masks them.
    const secrets = new Set<string>();
    const recording: ExpandContext = {
      home: ctx.home,
      lookup: (variable) => {
        const value = ctx.lookup(variable);
        if (value !== undefined && value.length >= 3 && !NOT_SECRET.has(variable)) {
          secrets.add(value);
        }
        return value;
      },
    };
    const command = commandOf(entry, at, expanderFor(recording), issue);
    const env = expandEnv(entry.env, [...at, "env"]);
    const options: MuxOptions = {
      socket: entry.socket === undefined
        ? defaultSocket(name, ctx, () => issue(at, NO_RUNTIME_DIR, "key"))
        : expand(entry.socket, [...at, "socket"]) ?? "",
      cmd: command?.cmd ?? "",
      args: command?.args ?? [],
      serviceName: typeof entry.service_name === "string" ? entry.service_name : name,
    };
    if (secrets.size > 0) options.redact = [...secrets];
    const cwd = expand(entry.cwd, [...at, "cwd"]) ?? defaultCwd;
    if (cwd !== undefined) options.cwd = cwd;
    if (env !== undefined || defaultEnv !== undefined) options.env = { ...defaultEnv, ...env };
    for (const [key, field] of PLAIN_KEYS) {
      const value = entry[key] ?? defaults[key];
      if (value !== undefined) (options as unknown as Record<string, unknown>)[field] = value;
    }
    const service: ServiceEntry = { name, options };
    const logLevel = entry.log_level ?? defaults.log_level;
    if (logLevel !== undefined) service.logLevel = logLevel as LogLevel;
    const statusFile = expand(entry.status_file, [...at, "status_file"]);
    if (statusFile !== undefined) options.statusFile = service.statusFile = statusFile;
    services.push(service);

    // Checks across keys, once every value is valid on its own (zod reports the rest).
    const complete = nameOk && command !== undefined && options.socket !== "";
    if (valid) checkSettings(options, entry, defaults, at, complete, issue);
  }
  duplicates(services, servers, "socket", issue);
  duplicates(services, servers, "status_file", issue);
  return { daemon, services, issues };
}

/**
 * The first restart delay may not exceed the largest (pointing at whichever
 * key set the offending value); then {@link resolveOptions} as a last check.
 */
function checkSettings(
  options: MuxOptions,
  entry: Record<string, unknown>,
  defaults: Record<string, unknown>,
  at: readonly PropertyKey[],
  complete: boolean,
  issue: Report,
): void {
  const min = options.restartBackoffMs ?? DEFAULTS.restartBackoffMs;
  const max = options.restartBackoffMaxMs ?? DEFAULTS.restartBackoffMaxMs;
  if (max < min) {
    const culprit: readonly PropertyKey[] = entry.restart_backoff_max_ms !== undefined
      ? [...at, "restart_backoff_max_ms"]
      : entry.restart_backoff_ms !== undefined
      ? [...at, "restart_backoff_ms"]
      : defaults.restart_backoff_max_ms !== undefined
      ? ["defaults", "restart_backoff_max_ms"]
      : ["defaults", "restart_backoff_ms"];
    issue(culprit, `restart_backoff_max_ms (${max}) must be ≥ restart_backoff_ms (${min})`);
    return;
  }
  if (!complete) return;
  try {
    resolveOptions(options);
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    issue(at, error.message, "key");
  }
}

type Expand = (value: unknown, path: readonly PropertyKey[]) => string | undefined;
type Report = (path: readonly PropertyKey[], message: string, at?: "key" | "value") => void;

/**
 * `cmd` and `args`, expanded. A `cmd` with spaces and no `args` is split
 * like the CLI's `--cmd` (quotes honoured, no shell), then each word is
 * expanded, so a variable's value is never split.
 */
/** Variables whose values are locations, not secrets: shown as they are. */
const NOT_SECRET = new Set(["HOME", "USER", "LOGNAME", "PWD", "TMPDIR", "PATH", "SHELL"]);

function commandOf(
  entry: Record<string, unknown>,
  at: readonly PropertyKey[],
  expand: Expand,
  issue: Report,
): { cmd: string; args: string[] } | undefined {
  // A non-string or blank cmd is zod's to report.
  if (typeof entry.cmd !== "string" || entry.cmd.trim() === "") return undefined;
  const cmdPath = [...at, "cmd"];
  const raw = entry.cmd.trim();
  let words: string[];
  let argPaths: (i: number) => readonly PropertyKey[];
  if (entry.args === undefined && /\s/.test(raw)) {
    try {
      words = splitCommandLine(raw);
    } catch (error) {
      issue(cmdPath, `cannot split into program and arguments: ${(error as Error).message}`);
      return undefined;
    }
    argPaths = () => cmdPath;
  } else {
    const args = Array.isArray(entry.args) ? entry.args : [];
    words = [raw, ...args.map((a) => (typeof a === "string" ? a : ""))];
    argPaths = (i) => [...at, "args", i];
  }
  const expanded = words.map((word, i) => expand(word, i === 0 ? cmdPath : argPaths(i - 1)));
  if (expanded.some((word) => word === undefined)) return undefined;
  const [cmd, ...args] = expanded as string[];
  if (cmd === undefined || cmd.trim() === "") {
    issue(cmdPath, "expected the server command, but it expands to an empty string");
    return undefined;
  }
  return { cmd, args };
}

/**
 * Two services on one socket (or status file), compared after expansion.
 * The message quotes the values as written, so no variable's value is shown.
 */
function duplicates(
  services: readonly ServiceEntry[],
  servers: Record<string, unknown>,
  key: "socket" | "status_file",
  issue: Report,
): void {
  const seen = new Map<string, string>();
  const written = (name: string) => String((servers[name] as Record<string, unknown>)[key]);
  for (const service of services) {
    const value = key === "socket" ? service.options.socket : service.statusFile;
    if (value === undefined || value === "") continue;
    const normalized = normalize(value);
    const first = seen.get(normalized);
    if (first === undefined) {
      seen.set(normalized, service.name);
      continue;
    }
    const [a, b] = [written(first), written(service.name)];
    issue(
      ["servers", service.name, key],
      `${keyPathOf(["servers", first])} and ${keyPathOf(["servers", service.name])} use the ` +
        `same ${key} (${a === b ? a : `${a} and ${b}`}): each service needs its own`,
    );
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
