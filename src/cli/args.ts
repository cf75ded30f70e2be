/**
 * Command-line parsing: `node:util`'s `parseArgs`, plus the checks and
 * messages a person needs (`--max-restarts: expected a whole number ≥ 0, got "five"`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { MuxOptions } from "../config/options.ts";
import { expandHome, splitCommandLine } from "../upstream/command_line.ts";

/** Log verbosity names accepted on the command line (the Rust tool's). */
export type CliLogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** Log output format. */
export type LogFormat = "text" | "json";

/** Logging settings from the command line. */
export interface LogSettings {
  level: CliLogLevel;
  format: LogFormat;
}

/** What the command line asks for. */
export type Command =
  | { kind: "run"; options: MuxOptions; log: LogSettings }
  | { kind: "demo"; options: Partial<Omit<MuxOptions, "cmd">>; log: LogSettings }
  | { kind: "proxy"; socket: string }
  | { kind: "health"; socket: string; timeoutMs: number; json: boolean }
  | { kind: "help"; topic: string | undefined }
  | { kind: "version" };

/** A command line that cannot be run; the message says what is wrong. */
export class CliError extends Error {
  override name = "CliError";
}

const LEVELS: readonly CliLogLevel[] = ["trace", "debug", "info", "warn", "error"];

const runFlags = {
  socket: { type: "string" },
  cmd: { type: "string" },
  "service-name": { type: "string" },
  "max-active-clients": { type: "string" },
  "client-wait-ms": { type: "string" },
  "lazy-start": { type: "boolean" },
  serialize: { type: "boolean" },
  "max-request-bytes": { type: "string" },
  "max-response-bytes": { type: "string" },
  "request-timeout-ms": { type: "string" },
  "restart-backoff-ms": { type: "string" },
  "restart-backoff-max-ms": { type: "string" },
  "max-restarts": { type: "string" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  "status-file": { type: "string" },
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
      return parseSocketOnly("proxy", rest, env);
    case "health":
      return parseHealth(rest, env);
    case "demo":
      return parseRun("demo", rest, env);
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
  if (values.serialize) options.serialize = true;
  for (const [flag, [key, min]] of Object.entries(numericFlags)) {
    const raw = values[flag as keyof typeof numericFlags];
    if (raw !== undefined) options[key] = wholeNumber(`--${flag}`, raw, min);
  }
  const log: LogSettings = {
    level: oneOf("--log-level", values["log-level"] ?? "info", LEVELS, { warning: "warn" }),
    format: oneOf("--log-format", values["log-format"] ?? "text", ["text", "json"] as const),
  };
  if (mode === "demo") {
    if (values.cmd !== undefined || tail.length > 0) {
      throw new CliError("demo runs the built-in reference server; it takes no --cmd");
    }
    return { kind: "demo", options, log };
  }
  if (values.socket === undefined) throw new CliError("--socket PATH is required");
  if (values.cmd === undefined || values.cmd.trim() === "") {
    throw new CliError("--cmd PROGRAM is required (the MCP server to run)");
  }
  let cmd = values.cmd.trim();
  let cmdArgs = tail;
  if (tail.length === 0 && /\s/.test(cmd)) {
    // `--cmd "npx -y server"`: split like a shell would, but never run one.
    try {
      [cmd, ...cmdArgs] = splitCommandLine(cmd);
    } catch (error) {
      throw new CliError(`--cmd: ${(error as Error).message}`);
    }
  }
  options.cmd = expandHome(cmd!, env.HOME);
  options.args = cmdArgs;
  return { kind: "run", options: options as MuxOptions, log };
}

function parseSocketOnly(name: "proxy", args: readonly string[], env: { HOME?: string }): Command {
  const { values, positionals } = parse(args, {
    socket: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return { kind: "help", topic: name };
  if (positionals.length > 0) {
    throw new CliError(`${name}: unexpected argument "${positionals[0]}"`);
  }
  if (values.socket === undefined) throw new CliError(`${name}: --socket PATH is required`);
  return { kind: name, socket: expandHome(values.socket, env.HOME) };
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

type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

// deno-lint-ignore no-explicit-any
function parse<T extends FlagSpec>(args: readonly string[], options: T): any {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new CliError(cleanParseError((error as Error).message));
  }
  // Positionals after `--` are the server's arguments; before it they are mistakes.
  const terminator = parsed.tokens.find((t) => t.kind === "option-terminator");
  const cut = terminator ? terminator.index : Infinity;
  const positionals: string[] = [];
  const tail: string[] = [];
  for (const token of parsed.tokens) {
    if (token.kind !== "positional") continue;
    (token.index > cut ? tail : positionals).push(token.value);
  }
  return { values: parsed.values, positionals, tail };
}

function cleanParseError(message: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  // `--socket --cmd x` or `--max-restarts -1`: the value is missing or starts with "-".
  const ambiguous = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument is ambiguous/.exec(message);
  if (ambiguous) {
    return `${ambiguous[1]} needs a value (write ${ambiguous[1]}=VALUE for one starting with "-")`;
  }
  return message.split("\n")[0]!.replace(/\. To specify.*$/, "");
}

/** `--lazy-start true|false` (the Rust tool's spelling) → `--lazy-start` or nothing; same for `--serialize`. */
function normalizeBooleans(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const inline = /^--(lazy-start|serialize)=(true|false)$/.exec(arg);
    if (inline) {
      if (inline[2] === "true") out.push(`--${inline[1]}`);
      continue;
    }
    if (
      (arg === "--lazy-start" || arg === "--serialize") &&
      (args[i + 1] === "true" || args[i + 1] === "false")
    ) {
      if (args[++i] === "true") out.push(arg);
      continue;
    }
    out.push(arg);
  }
  return out;
}

function wholeNumber(flag: string, raw: string, min: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new CliError(`${flag}: expected a whole number ≥ ${min}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(
  flag: string,
  raw: string,
  allowed: readonly T[],
  aliases: Record<string, T> = {},
): T {
  const value = (aliases[raw] ?? raw) as T;
  if (!allowed.includes(value)) {
    throw new CliError(`${flag}: expected one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return value;
}
