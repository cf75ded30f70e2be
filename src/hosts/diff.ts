/**
 * Unified diffs for `--dry-run`, with secret values masked: a diff must show
 * what changes, never what a token is.
 *
 * @module
 */

import { createTwoFilesPatch } from "diff";
import { fileValue } from "./entry.ts";
import { secretArgs } from "./secret_args.ts";
import type { FileFormat } from "./types.ts";

/** Keys whose values are secrets in any host's server entry (a map of them, or one string). */
const SECRET_MAPS = ["env", "headers", "http_headers"];
const SECRET_STRINGS = ["bearer_token"];

/**
 * Every secret-looking value anywhere in a host file: the values of each
 * `env`/`headers`/`http_headers` map, inline bearer tokens and secret-looking
 * command-line arguments (see {@link secretArgs}), of every entry (a diff's
 * context lines show neighbours too). A file that does not parse gives none.
 */
export function secretsIn(text: string, format: FileFormat): string[] {
  try {
    return secretsOf(fileValue(text, format));
  } catch {
    // Not parseable: nothing is rewired in it either.
    return [];
  }
}

/**
 * Every secret-looking value in a parsed host file or daemon config: see
 * {@link secretsIn}; a command line given as one string (`cmd: "npx … --token
 * X"` in the daemon's config) is read word by word.
 */
export function secretsOf(value: unknown): string[] {
  const out: string[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (node === null || typeof node !== "object" || depth > 64) return;
    for (const [key, child] of Object.entries(node)) {
      if (SECRET_MAPS.includes(key) && child !== null && typeof child === "object") {
        for (const v of Object.values(child)) if (typeof v === "string") out.push(v);
      } else if (SECRET_STRINGS.includes(key) && typeof child === "string") out.push(child);
      else if (key === "args" && Array.isArray(child)) {
        out.push(...secretArgs(child.filter((a): a is string => typeof a === "string")));
      } else if ((key === "cmd" || key === "command") && typeof child === "string") {
        out.push(...secretArgs(child.split(/\s+/)));
      } else visit(child, depth + 1);
    }
  };
  visit(value, 0);
  return out;
}

/**
 * The unified diff of `before` → `after` for `file`, every occurrence of a
 * value in `secrets` (as written in JSON or TOML) shown as `***`; with
 * `format`, every secret of either text too (see {@link secretsIn}).
 *
 * @example
 * ```ts
 * import { unifiedDiff } from "./diff.ts";
 *
 * const d = unifiedDiff("a.json", '{"env":{"T":"s3cret"}}\n', "{}\n", ["s3cret"]);
 * console.log(d.includes("s3cret")); // false
 * ```
 */
export function unifiedDiff(
  file: string,
  before: string,
  after: string,
  secrets: readonly string[],
  format?: FileFormat,
): string {
  const patch = createTwoFilesPatch(file, file, before, after, "before", "after", { context: 3 });
  const all = format === undefined
    ? secrets
    : [...secrets, ...secretsIn(before, format), ...secretsIn(after, format)];
  return mask(patch.replace(/^=+\n/, ""), all);
}

/** `text` with every secret (raw, JSON-escaped or TOML-escaped) replaced by `***`. */
export function mask(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < 4) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    out = out.replaceAll(form, "***");
  }
  return out;
}
