/**
 * Secrets written into a server's command line (`--api-key sk-…`,
 * `--token=…`, `GITHUB_TOKEN=…` before a command, `--header "Authorization:
 * Bearer …"`) rather than its `env`:
 * `scan`, the dry-run diffs and the wizard show command lines, and must not
 * show these. A heuristic: a value after a flag (or in a `NAME=value` word)
 * whose name says it is secret, and any word with a well-known token prefix.
 * Pure.
 *
 * @module
 */

/** Names that mark the value that follows (or is assigned) as a secret. */
const SECRET_NAME =
  /(token|secret|passw(or)?d|api[-_]?key|auth|credential|bearer|private[-_]?key)/i;
/** An HTTP header as one word: `Name: value`. */
const HEADER = /^([A-Za-z][\w-]*):\s*(\S.*)$/;
/** Prefixes of well-known token formats (OpenAI/Anthropic, GitHub, GitLab, Slack, AWS, Stripe…). */
const TOKEN_PREFIX =
  /^(sk-[A-Za-z0-9_-]{8,}|gh[pousr]_[A-Za-z0-9]{16,}|github_pat_\w{16,}|glpat-[\w-]{16,}|xox[abprs]-[\w-]{8,}|AKIA[0-9A-Z]{16}|[rs]k_(live|test)_\w{8,})$/;

/**
 * The words of `args` that look secret (values only, never the flags).
 *
 * @example
 * ```ts
 * import { secretArgs } from "./secret_args.ts";
 *
 * secretArgs(["--api-key", "abc123", "--port=8080", "--token=xyz789", "ghp_abcdefghijklmnop1234"]);
 * // ["abc123", "xyz789", "ghp_abcdefghijklmnop1234"]
 * ```
 */
export function secretArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const header = HEADER.exec(word);
    if (header && SECRET_NAME.test(header[1]!)) {
      // `--header "Authorization: Bearer …"` (mcp-remote and the like).
      out.push(header[2]!);
      continue;
    }
    const eq = word.indexOf("=");
    if (eq > 0) {
      const name = word.slice(0, eq);
      const value = word.slice(eq + 1);
      if (SECRET_NAME.test(name) && value) out.push(value);
      else if (TOKEN_PREFIX.test(value)) out.push(value);
      continue;
    }
    if (TOKEN_PREFIX.test(word)) {
      out.push(word);
      continue;
    }
    const next = args[i + 1];
    if (
      word.startsWith("-") && SECRET_NAME.test(word) && next !== undefined && !next.startsWith("-")
    ) {
      out.push(next);
      i++;
    }
  }
  return out;
}

/** `args` with every secret-looking value shown as `***`. */
export function maskArgs(args: readonly string[]): string[] {
  const secrets = new Set(secretArgs(args));
  return args.map((word) => {
    if (secrets.has(word)) return "***";
    const header = HEADER.exec(word);
    if (header && secrets.has(header[2]!)) return `${header[1]}: ***`;
    const eq = word.indexOf("=");
    return eq > 0 && secrets.has(word.slice(eq + 1)) ? `${word.slice(0, eq + 1)}***` : word;
  });
}
