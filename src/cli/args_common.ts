/**
 * Shared pieces of command-line parsing: `node:util` `parseArgs` with the
 * `--` split, and value checks with messages a person can act on.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** A command line that cannot be run; the message says what is wrong. */
export class CliError extends Error {
  override name = "CliError";
}

export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

// deno-lint-ignore no-explicit-any
export function parse<T extends FlagSpec>(args: readonly string[], options: T): any {
  let parsed;
  try {
    parsed = parseArgs({
      args: negativesAsValues(args, options),
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

/**
 * `--max-restarts -1` → `--max-restarts=-1`: a negative number after an
 * option that takes a value is that (wrong) value, which the option's check
 * then names ("expected a whole number ≥ 0"), not a missing one. No option is
 * spelled with a digit, so nothing else changes; nothing after `--` either.
 */
function negativesAsValues(args: readonly string[], options: FlagSpec): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== "string") continue;
    takesValue.add(`--${name}`);
    if (spec.short) takesValue.add(`-${spec.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (takesValue.has(arg) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
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

/**
 * `--lazy-start true|false` (the Rust tool's spelling) → `--lazy-start` or
 * `--no-lazy-start` (an explicit "off" that overrides a config file); same
 * for `--serialize`.
 */
const BOOLEAN_FLAGS = new Set([
  "--lazy-start",
  "--serialize",
  "--heartbeat-enabled",
  "--heartbeat-restart",
]);

export function normalizeBooleans(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const inline = /^--(lazy-start|serialize|heartbeat-enabled|heartbeat-restart)=(true|false)$/
      .exec(arg);
    if (inline) {
      out.push(inline[2] === "true" ? `--${inline[1]}` : `--no-${inline[1]}`);
      continue;
    }
    if (
      BOOLEAN_FLAGS.has(arg) &&
      (args[i + 1] === "true" || args[i + 1] === "false")
    ) {
      out.push(args[++i] === "true" ? arg : `--no-${arg.slice(2)}`);
      continue;
    }
    out.push(arg);
  }
  return out;
}

export function wholeNumber(flag: string, raw: string, min: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new CliError(`${flag}: expected a whole number ≥ ${min}, got "${raw}"`);
  }
  return value;
}

export function oneOf<T extends string>(
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
