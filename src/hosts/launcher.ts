/**
 * The command a host runs to reach the mux: the installed `rmcp-mux` on
 * PATH, else this binary, else Deno with this checkout's `main.ts` — always
 * absolute, never inside an npm/npx or Deno cache (those move and vanish).
 * Stricter than `paths/self_command.ts` (which may fall back to `npx` or the
 * running Deno with a warning): a host file must hold a command that lasts,
 * so without one this refuses.
 *
 * @module
 */

import { findInPath, inPackageCache } from "../paths/self_command.ts";

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

/** `name` on PATH, passing over package caches (npx puts its own `.bin` first). */
function which(name: string, ctx: LauncherContext): string | undefined {
  return findInPath(name, ctx.PATH, ctx.isExecutable);
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
 * Rewired entries ask the proxy to start the daemon when it is not running
 * (`proxy --socket S --config F --service N`): a host works after a reboot
 * even without the service installed.
 */
export const PROXY_AUTO_START = true;
