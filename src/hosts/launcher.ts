/**
 * The command a host runs to reach the mux: the installed `rmcp-mux` on
 * PATH, else this binary, else Deno with this checkout's `main.ts` — always
 * absolute, never inside an npm/npx or Deno cache (those move and vanish).
 *
 * @module
 */

/** A program and the arguments before `proxy …`. */
export interface Launcher {
  command: string;
  prefix: string[];
}

/** What finding the launcher looks at (injectable for tests). */
export interface LauncherContext {
  PATH: string;
  /** The running executable (`Deno.execPath()`). */
  execPath: string;
  /** `Deno.mainModule`. */
  mainModule: string;
  /** `main.ts` of this checkout, when it is a local file. */
  mainTs?: string;
  isExecutable(path: string): boolean;
}

/**
 * Paths that belong to package caches (npx, npm, Deno, pnpm, bunx): what is
 * there is replaced or removed without notice. A global install is not a cache.
 */
export function inPackageCache(path: string): boolean {
  return /\/(_npx|\.npm|\.cache|deno\/npm|deno\/remote|\.bun\/install\/cache)\//.test(path) ||
    /\/(deno-compile-|bunx-)[^/]*\//.test(path);
}

function which(name: string, ctx: LauncherContext): string | undefined {
  for (const dir of ctx.PATH.split(":")) {
    if (!dir.startsWith("/")) continue;
    const path = `${dir.replace(/\/+$/, "")}/${name}`;
    if (ctx.isExecutable(path) && !inPackageCache(path)) return path;
  }
  return undefined;
}

/** The failure when no launcher can be found; says what to install. */
export class NoLauncher extends Error {
  override name = "NoLauncher";
}

/**
 * Find the launcher. Throws {@link NoLauncher} when every candidate is
 * missing or lives in a package cache.
 */
export function findLauncher(ctx: LauncherContext): Launcher {
  const installed = which("rmcp-mux", ctx);
  if (installed) return { command: installed, prefix: [] };
  const compiled = !ctx.mainModule.startsWith("file:") ||
    /\/deno-compile-[^/]+\//.test(ctx.mainModule);
  const execName = ctx.execPath.split("/").pop() ?? "";
  if (compiled && !/^deno(\.exe)?$/.test(execName) && !inPackageCache(ctx.execPath)) {
    return { command: ctx.execPath, prefix: [] };
  }
  if (ctx.mainTs && !inPackageCache(ctx.mainTs)) {
    const deno = which("deno", ctx) ??
      (/^deno(\.exe)?$/.test(execName) && !inPackageCache(ctx.execPath) ? ctx.execPath : undefined);
    if (deno) return { command: deno, prefix: ["run", "-A", "--quiet", ctx.mainTs] };
  }
  throw new NoLauncher(
    "cannot find rmcp-mux (or Deno and this checkout) outside a package cache: install the " +
      "rmcp-mux binary on your PATH (see Releases), or Deno, then run this again",
  );
}

/** The launcher of this process. */
export function currentLauncher(): Launcher {
  const main = new URL("../../main.ts", import.meta.url);
  return findLauncher({
    PATH: Deno.env.get("PATH") ?? "",
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    ...(main.protocol === "file:" ? { mainTs: decodeURIComponent(main.pathname) } : {}),
    isExecutable(path) {
      try {
        const info = Deno.statSync(path);
        return info.isFile && ((info.mode ?? 0o755) & 0o111) !== 0;
      } catch {
        return false;
      }
    },
  });
}

/**
 * The arguments of a rewired stdio entry. With `autoStart`, the proxy also
 * names the config and service so it can start the daemon when it is not
 * running (needs a proxy that knows `--config`/`--service`).
 */
export function proxyArgs(
  launcher: Launcher,
  socket: string,
  options: { config?: string; service?: string; autoStart?: boolean } = {},
): string[] {
  const args = [...launcher.prefix, "proxy", "--socket", socket];
  if (options.autoStart && options.config && options.service) {
    args.push("--config", options.config, "--service", options.service);
  }
  return args;
}

/**
 * Whether rewired entries ask the proxy to start the daemon. Off until the
 * proxy accepts `--config FILE --service NAME` (built in parallel); flip it
 * then, and rewired entries start a stopped daemon by themselves.
 */
export const PROXY_AUTO_START = false;
