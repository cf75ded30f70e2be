/**
 * From a host's entry to a mux service definition: the host's own way of
 * naming environment variables (`${env:NAME}`, `$NAME`, …) becomes the mux
 * config's `${NAME}`, a literal `$` becomes `$$`, and anything only the host
 * can resolve (VS Code's `${input:…}`) makes the entry not shareable. Pure.
 *
 * @module
 */

import type { StdioLaunch, VarSyntax } from "./types.ts";

/** A server as the mux config writes it (values in the config's syntax). */
export interface ServiceDef {
  cmd: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

/** A value only the host can resolve. */
export class NotShareable extends Error {
  override name = "NotShareable";
}

const NAME = "[A-Za-z_][A-Za-z0-9_]*";

/**
 * `value`, in the host's syntax, rewritten in the mux config's. Throws
 * {@link NotShareable} naming the variable the mux cannot know.
 *
 * @example
 * ```ts
 * import { toMuxSyntax } from "./translate.ts";
 *
 * toMuxSyntax("Bearer ${env:TOKEN} costs $5", "env-colon", {}); // "Bearer ${TOKEN} costs $$5"
 * toMuxSyntax("$HOME/data", "dollar", {}); // "${HOME}/data"
 * ```
 */
export function toMuxSyntax(
  value: string,
  syntax: VarSyntax,
  context: { project?: string },
): string {
  let out = "";
  let i = 0;
  while (i < value.length) {
    const dollar = value.indexOf("$", i);
    if (dollar === -1) return out + value.slice(i);
    out += value.slice(i, dollar);
    const rest = value.slice(dollar);
    const braced = /^\$\{([^}]*)\}/.exec(rest);
    const bare = new RegExp(`^\\$(${NAME})`).exec(rest);
    if (syntax === "claude" && braced && new RegExp(`^${NAME}(:-.*)?$`, "s").test(braced[1]!)) {
      const [name, fallback] = splitDefault(braced[1]!);
      out += fallback === undefined
        ? `\${${name}}`
        : `\${${name}:-${toMuxSyntax(fallback, "none", context)}}`;
      i = dollar + braced[0].length;
    } else if (syntax === "dollar" && (braced || bare)) {
      const name = braced ? braced[1]! : bare![1]!;
      if (!new RegExp(`^${NAME}$`).test(name)) {
        throw new NotShareable(`it uses \${${name}}, which the mux cannot resolve`);
      }
      out += `\${${name}}`;
      i = dollar + (braced ?? bare)![0].length;
    } else if (syntax === "env-colon" && braced) {
      out += editorVariable(braced[1]!, context);
      i = dollar + braced[0].length;
    } else {
      out += "$$";
      i = dollar + 1;
    }
  }
  return out;
}

function splitDefault(inner: string): [string, string | undefined] {
  const at = inner.indexOf(":-");
  return at === -1 ? [inner, undefined] : [inner.slice(0, at), inner.slice(at + 2)];
}

/** VS Code / Cursor / Windsurf variables. */
function editorVariable(inner: string, context: { project?: string }): string {
  const env = new RegExp(`^env:(${NAME})$`).exec(inner);
  if (env) return `\${${env[1]}}`;
  switch (inner) {
    case "userHome":
      return "${HOME}";
    case "pathSeparator":
    case "/":
      return "/";
    case "workspaceFolder":
    case "workspaceRoot":
      if (context.project) return escapeDollars(context.project);
      throw new NotShareable(`it uses \${${inner}}, which differs per project`);
    case "workspaceFolderBasename":
      if (context.project) return escapeDollars(context.project.split("/").pop() ?? "");
      throw new NotShareable(`it uses \${${inner}}, which differs per project`);
  }
  if (inner.startsWith("input:")) {
    throw new NotShareable(`it uses \${${inner}}, which the editor asks you for`);
  }
  throw new NotShareable(`it uses \${${inner}}, which only the editor can resolve`);
}

function escapeDollars(text: string): string {
  return text.replaceAll("$", "$$$$");
}

/**
 * The mux service a host's stdio entry becomes. Project-level entries run in
 * their project directory unless they name another.
 */
export function serviceDefOf(
  launch: StdioLaunch,
  syntax: VarSyntax,
  context: { project?: string },
): ServiceDef {
  const conv = (v: string) => toMuxSyntax(v, syntax, context);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(launch.env)) env[k] = conv(v);
  let cwd = launch.cwd !== undefined ? conv(launch.cwd) : undefined;
  if (cwd !== undefined && !cwd.startsWith("/") && !cwd.startsWith("$") && context.project) {
    cwd = `${escapeDollars(context.project)}/${cwd.replace(/^\.\//, "")}`;
  }
  if (cwd === undefined && context.project) cwd = escapeDollars(context.project);
  return {
    cmd: conv(launch.command),
    args: launch.args.map(conv),
    env,
    ...(cwd !== undefined ? { cwd } : {}),
  };
}

/** A key equal for equal definitions (env order does not matter). */
export function defKey(def: ServiceDef): string {
  const env = Object.keys(def.env).sort().map((k) => [k, def.env[k]]);
  return JSON.stringify([def.cmd, def.args, env, def.cwd ?? null]);
}

/** A service name from an entry name: letters, digits, `.`, `_`, `-`, `@`. */
export function serviceName(entry: string): string {
  const name = entry.replace(/[^\w.@-]+/g, "-").replace(/^-+|-+$/g, "");
  return name === "" ? "server" : name;
}
