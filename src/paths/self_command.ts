/**
 * How to run this rmcp-mux again from somewhere else (a host's config, a
 * service unit, a detached daemon): the installed `rmcp-mux` when it is on
 * PATH, else the running binary, else Deno with this `main.ts` — and never a
 * path inside a package manager's cache, which disappears when it is cleaned.
 *
 * @module
 */

/** A program and the arguments that come before rmcp-mux's own. */
export interface SelfCommand {
  /** Absolute path of the program (hosts start servers without a shell or `~`). */
  command: string;
  /** Arguments before rmcp-mux's own (e.g. `run -A /path/main.ts`). */
  args: string[];
  /** Why this is not a lasting command, when it is not (printed as a hint). */
  warning?: string;
}

/** What {@link selfCommand} looks at; every field has the running process's value by default. */
export interface SelfContext {
  /** `PATH` to search. */
  path?: string;
  /** The running executable (`Deno.execPath()`). */
  execPath?: string;
  /** URL of `main.ts` (file: from a clone, https: from JSR). */
  mainUrl?: string;
  /** True if `file` is an executable regular file (injectable for tests). */
  isExecutable?: (file: string) => boolean;
}

/** The Deno version rmcp-mux pins (its CI and README use `npx -y deno@…`). */
export const PINNED_DENO = "2.9.6";

/**
 * Package caches (npx, npm, Deno's, pnpm's, bunx's, macOS `Caches`, a compiled
 * binary's unpack directory): what is there is replaced or removed without
 * notice. A global install (`/usr/lib/node_modules/…`) is not a cache.
 */
const PACKAGE_CACHE =
  /\/(_npx|\.npm|\.cache|Caches|deno\/npm|deno\/remote|\.bun\/install\/cache)\/|\/(deno-compile-|bunx-)[^/]*\//;

/** True if `path` lies in a package manager's cache (npx, npm, a download cache). */
export function inPackageCache(path: string): boolean {
  return PACKAGE_CACHE.test(path);
}

/**
 * The first executable `name` in `path` (a `PATH` value), as an absolute
 * path. Entries inside a package cache are passed over: `npx` puts its
 * cache's `.bin` first in `PATH`, and the `deno` there must not hide the one
 * installed after it.
 */
export function findInPath(
  name: string,
  path: string,
  isExecutable: (file: string) => boolean = executableFile,
): string | undefined {
  for (const dir of path.split(":")) {
    if (!dir.startsWith("/")) continue; // a relative PATH entry depends on the cwd
    const file = `${dir.replace(/\/+$/, "")}/${name}`;
    if (!inPackageCache(file) && isExecutable(file)) return file;
  }
  return undefined;
}

/**
 * The command that runs this rmcp-mux, preferring (1) `rmcp-mux` on PATH,
 * (2) the running binary if this is a compiled rmcp-mux outside any cache,
 * (3) `deno` on PATH with `run -A <main.ts>`, (4) `npx -y deno@…` with the
 * same, and only then the running Deno (with a warning).
 *
 * @example
 * ```ts
 * import { selfCommand } from "./self_command.ts";
 *
 * const self = selfCommand({
 *   path: "/usr/bin",
 *   execPath: "/home/me/.npm/_npx/1a2b/node_modules/deno/deno",
 *   mainUrl: "file:///src/rmcp-mux/main.ts",
 *   isExecutable: (file) => file === "/usr/bin/deno",
 * });
 * console.log(self.command, self.args.join(" ")); // /usr/bin/deno run -A /src/rmcp-mux/main.ts
 * ```
 */
export function selfCommand(context: SelfContext = {}): SelfCommand {
  const path = context.path ?? Deno.env.get("PATH") ?? "";
  const exec = context.execPath ?? Deno.execPath();
  const mainUrl = context.mainUrl ?? new URL("../../main.ts", import.meta.url).href;
  const isExecutable = context.isExecutable ?? executableFile;
  const installed = findInPath("rmcp-mux", path, isExecutable);
  if (installed) return { command: installed, args: [] };
  const compiled = !/^deno(\.exe)?$/.test(exec.split("/").pop() ?? "");
  if (compiled && !inPackageCache(exec)) return { command: exec, args: [] };
  const main = mainUrl.startsWith("file:")
    ? decodeURIComponent(new URL(mainUrl).pathname)
    : mainUrl;
  const run = ["run", "-A", main];
  const deno = findInPath("deno", path, isExecutable);
  if (deno) return { command: deno, args: run };
  const npx = findInPath("npx", path, isExecutable);
  if (npx) return { command: npx, args: ["-y", `deno@${PINNED_DENO}`, ...run] };
  return {
    command: exec,
    args: compiled ? [] : run,
    ...(inPackageCache(exec)
      ? {
        warning: `${exec} is inside a package cache and disappears when it is cleaned; ` +
          "install rmcp-mux (see the README) and use that path instead",
      }
      : {}),
  };
}

/**
 * How a person types this rmcp-mux in a shell, for hints such as "Next:
 * rmcp-mux rewire …": `rmcp-mux` when the installed one on PATH is what
 * runs, else the whole {@link selfCommand}, quoted for a shell — a bare
 * `rmcp-mux` that is not installed would be "command not found".
 *
 * @example
 * ```ts
 * import { typedCommand } from "./self_command.ts";
 *
 * const typed = typedCommand({
 *   path: "/usr/bin",
 *   execPath: "/usr/bin/deno",
 *   mainUrl: "file:///src/rmcp-mux/main.ts",
 *   isExecutable: (file) => file === "/usr/bin/deno",
 * });
 * console.log(typed); // /usr/bin/deno run -A /src/rmcp-mux/main.ts
 * ```
 */
export function typedCommand(context: SelfContext = {}): string {
  const self = selfCommand(context);
  const path = context.path ?? Deno.env.get("PATH") ?? "";
  const installed = findInPath("rmcp-mux", path, context.isExecutable ?? executableFile);
  if (self.args.length === 0 && self.command === installed) return "rmcp-mux";
  return [self.command, ...self.args].map(shellWord).join(" ");
}

let hint: string | undefined;

/**
 * {@link typedCommand} of this process, found once (PATH does not change
 * under a running program): what every hint and error line says to type,
 * e.g. "start it with `rmcp-mux start memory`". Plain `rmcp-mux` when this
 * process may not look (a library embedding the mux without `--allow-env`
 * or `--allow-read`): a hint must never fail, nor make Deno prompt.
 *
 * @example
 * ```ts
 * import { hintCommand } from "./self_command.ts";
 *
 * console.log(`see ${hintCommand()} status`); // e.g. "see rmcp-mux status"
 * ```
 */
export function hintCommand(): string {
  hint ??= mayLook() ? typedCommand() : "rmcp-mux";
  return hint;
}

function mayLook(): boolean {
  try {
    return Deno.permissions.querySync({ name: "env", variable: "PATH" }).state === "granted" &&
      Deno.permissions.querySync({ name: "read" }).state === "granted";
  } catch {
    return false;
  }
}

/** One word for a POSIX shell: as it is when plain, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function executableFile(file: string): boolean {
  try {
    const info = Deno.statSync(file);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}
