/**
 * Unified diffs for `--dry-run`, with secret values masked: a diff must show
 * what changes, never what a token is.
 *
 * @module
 */

import { createTwoFilesPatch } from "diff";

/**
 * The unified diff of `before` → `after` for `file`, every occurrence of a
 * value in `secrets` (as written in JSON or TOML) shown as `***`.
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
): string {
  const patch = createTwoFilesPatch(file, file, before, after, "before", "after", { context: 3 });
  return mask(patch.replace(/^=+\n/, ""), secrets);
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
