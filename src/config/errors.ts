/**
 * Config problems: each names the file, line and column (when known), the
 * key path and what was expected; {@link ConfigError} carries all of them.
 *
 * @module
 */

/** One problem in a config file (or in how it was asked to be used). */
export interface ConfigIssue {
  /** The config file, as given; absent for problems with the command line. */
  readonly file?: string;
  /** 1-based line of the offending key or value, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly column?: number;
  /** Where in the file: `servers.github.max_restarts`; absent for whole-file problems. */
  readonly keyPath?: string;
  /** What is wrong and what was expected. Never holds an environment variable's value. */
  readonly message: string;
}

/**
 * A config file that cannot be used. `issues` holds every problem found;
 * the message lists them one per line, as `file:line:col key.path: what`.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./errors.ts";
 * import { parseConfig } from "./parse.ts";
 *
 * try {
 *   parseConfig("servers:\n  x:\n    socket: /tmp/x.sock\n    cmd: x\n    max_restarts: five\n", "config.yaml");
 * } catch (error) {
 *   if (error instanceof ConfigError) console.log(error.issues[0]?.line); // 5
 * }
 * ```
 */
export class ConfigError extends Error {
  /** Always `"ConfigError"`. */
  override name = "ConfigError";
  /** Every problem found, in file order. */
  readonly issues: readonly ConfigIssue[];

  /** Build from one or more issues; `options.cause` keeps the underlying error (e.g. `Deno.errors.NotFound`). */
  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    super(formatIssues(issues), options);
    this.issues = issues;
  }
}

/**
 * One issue as a line: `config.yaml:12:5 servers.github.max_restarts: expected …`.
 *
 * @example
 * ```ts
 * import { formatIssue } from "./errors.ts";
 *
 * formatIssue({ file: "c.yaml", line: 3, column: 5, keyPath: "servers.a.cmd", message: "expected a string" });
 * // "c.yaml:3:5 servers.a.cmd: expected a string"
 * ```
 */
export function formatIssue(issue: ConfigIssue): string {
  let where = issue.file ?? "";
  if (issue.file !== undefined && issue.line !== undefined) {
    where += `:${issue.line}:${issue.column ?? 1}`;
  }
  if (issue.keyPath !== undefined && issue.keyPath !== "") {
    where = where === "" ? issue.keyPath : `${where} ${issue.keyPath}`;
  }
  return where === "" ? issue.message : `${where}: ${issue.message}`;
}

function formatIssues(issues: readonly ConfigIssue[]): string {
  if (issues.length === 1) return formatIssue(issues[0]!);
  const file = issues.find((i) => i.file !== undefined)?.file;
  const head = `${issues.length} problems${file === undefined ? "" : ` in ${file}`}:`;
  return [head, ...issues.map(formatIssue)].join("\n");
}

/** Sort issues by position; issues without one keep their order, after the positioned ones. */
export function sortIssues<T extends ConfigIssue>(issues: readonly T[]): T[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) =>
      (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) ||
      (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
      a.index - b.index
    )
    .map(({ issue }) => issue);
}

/**
 * A key path for messages: `["servers", "github", "args", 2]` →
 * `servers.github.args[2]`; names that are not plain words are quoted:
 * `servers["my.svc"].socket`.
 */
export function keyPathOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (typeof part === "string" && /^[\w$@-]+$/.test(part)) {
      out += out === "" ? part : `.${part}`;
    } else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

/**
 * The known key `key` was most likely meant as: same letters ignoring case,
 * `-` and `_` (`maxRestarts` → `max_restarts`), else the closest within an
 * edit distance of 2.
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const same = known.find((k) => squash(k) === squash(key));
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Describe a value for "got …": short, and without the value itself when it may be secret. */
export function describeValue(value: unknown, secret = false): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null (an empty value)";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date"; // TOML dates

  if (typeof value === "object") return "a mapping";
  if (secret) return `a ${typeof value}`;
  if (typeof value === "string") {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  return String(value);
}
