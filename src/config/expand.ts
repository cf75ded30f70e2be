/**
 * Expansion of config values: a leading `~`, `${VAR}`, `${VAR:-default}`
 * and `$$` for a literal `$`. Pure: the environment is passed in. Error
 * messages name variables, never their values.
 *
 * @module
 */

/** Where expansion looks things up. */
export interface ExpandContext {
  /** A variable's value, or `undefined` when it is not set. */
  lookup(name: string): string | undefined;
  /** The home directory for `~`, or `undefined` when unknown. */
  home: string | undefined;
}

/** A value that cannot be expanded; the message names the variable, never a value. */
export class ExpansionError extends Error {
  override name = "ExpansionError";
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Expand one value:
 *
 * - `~` or `~/…` at the start → the home directory;
 * - `${VAR}` → the variable (an error when it is not set; set but empty is `""`);
 * - `${VAR:-default}` → the variable when set and not empty, else `default`
 *   (itself expanded, so `${XDG_RUNTIME_DIR:-~/.run}` works);
 * - `$$` → `$`;
 * - `$NAME` without braces is refused (write `${NAME}`, or `$$NAME` for the
 *   literal text); any other `$` is literal.
 *
 * Throws {@link ExpansionError}.
 *
 * @example
 * ```ts
 * import { expandValue } from "./expand.ts";
 *
 * const ctx = { lookup: (n: string) => ({ USER: "ada" })[n], home: "/home/ada" };
 * expandValue("~/${USER}/${SHELL:-sh}-$$1", ctx); // "/home/ada/ada/sh-$1"
 * ```
 */
export function expandValue(text: string, ctx: ExpandContext): string {
  if (text === "~" || text.startsWith("~/")) {
    if (ctx.home === undefined || ctx.home === "") {
      throw new ExpansionError('"~" needs the home directory, but HOME is not set');
    }
    return ctx.home.replace(/\/$/, "") + expandVariables(text.slice(1), ctx);
  }
  return expandVariables(text, ctx);
}

function expandVariables(text: string, ctx: ExpandContext): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar === -1) return out + text.slice(i);
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
    } else if (next === "{") {
      const { value, end } = substitute(text, dollar, ctx);
      out += value;
      i = end;
    } else if (next !== undefined && /[A-Za-z_]/.test(next)) {
      const name = NAME.exec(text.slice(dollar + 1))![0];
      throw new ExpansionError(
        `"$${name}" is not expanded: write \${${name}} for the variable, or $$${name} for the text`,
      );
    } else {
      out += "$";
      i = dollar + 1;
    }
  }
  return out;
}

/** `${…}` starting at `start` (the `$`): its value and the index after its `}`. */
function substitute(
  text: string,
  start: number,
  ctx: ExpandContext,
): { value: string; end: number } {
  const name = NAME.exec(text.slice(start + 2))?.[0];
  if (name === undefined) {
    const close = text.indexOf("}", start);
    const shown = close === -1 ? text.slice(start) : text.slice(start, close + 1);
    throw new ExpansionError(
      `"${shown}" is not a variable name (letters, digits and _, not starting with a digit)`,
    );
  }
  const after = start + 2 + name.length;
  if (text[after] === "}") {
    const value = ctx.lookup(name);
    if (value === undefined) {
      throw new ExpansionError(
        `environment variable ${name} is not set (write \${${name}:-default} for a fallback)`,
      );
    }
    return { value, end: after + 1 };
  }
  if (text.startsWith(":-", after)) {
    const close = matchingBrace(text, after + 2);
    if (close === -1) throw unterminated(name);
    const value = ctx.lookup(name);
    if (value !== undefined && value !== "") return { value, end: close + 1 };
    return { value: expandValue(text.slice(after + 2, close), ctx), end: close + 1 };
  }
  if (after >= text.length) throw unterminated(name);
  throw new ExpansionError(
    `"\${${name}${text[after]}…": expected \${${name}} or \${${name}:-default}`,
  );
}

/** Index of the `}` closing a `${` whose body starts at `from`, skipping nested `${…}` and `$$`. */
function matchingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "$") i++;
    else if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function unterminated(name: string): ExpansionError {
  return new ExpansionError(`"\${${name}" is not closed: expected "}" (write $$ for a literal $)`);
}

/** An {@link ExpandContext} over a plain record of variables (tests, or a snapshot of the environment). */
export function contextFrom(
  env: Readonly<Record<string, string | undefined>>,
  home: string | undefined = env.HOME,
): ExpandContext {
  return { lookup: (name) => Object.hasOwn(env, name) ? env[name] : undefined, home };
}
