/**
 * Where a daemon's runtime files live, keyed by its config file: the control
 * socket (unless the config names one), the record of the running daemon
 * (so every command finds it, whatever `daemon.control` says now), the locks
 * that keep it to one daemon per config, and its log when started detached.
 *
 * Kept free of the config parser and the logger: `rmcp-mux proxy` uses it.
 *
 * @module
 */

import { type DirsEnv, runtimeDir, stateDir } from "../paths/dirs.ts";
import { ensurePrivateDir, PathError } from "../paths/private_dir.ts";

/** A daemon's files, for one config file. */
export interface DaemonFiles {
  /** `<config stem>-<hash of its path>`: unique per config file, readable. */
  key: string;
  /** Default control socket (runtime directory). */
  control: string;
  /** Record of the running daemon (JSON, runtime directory). */
  record: string;
  /** Held by the running daemon for its whole life: one daemon per config. */
  lock: string;
  /** Held by a proxy while it starts a daemon: one start at a time. */
  startLock: string;
  /** The log of a daemon started in the background (state directory). */
  log: string;
}

/** What the running daemon writes about itself. */
export interface DaemonRecord {
  /** Daemon process id. */
  pid: number;
  /** Its config file (canonical path). */
  config: string;
  /** The control socket it listens on. */
  control: string;
  /** When it started (ms since epoch). */
  startedAt: number;
  /** rmcp-mux version of the daemon. */
  version: string;
  /**
   * The user service that runs it (`rmcp-mux.service`, a launchd label), when
   * its service manager started it; absent for a daemon started by hand or by
   * a proxy.
   */
  managedBy?: string;
}

/** 32-bit FNV-1a of `text`, as 8 hex digits: short, stable, enough to tell configs apart. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/**
 * The files of the daemon for `configPath` (give the canonical path: see
 * {@link canonicalConfigPath}). Pure.
 *
 * @example
 * ```ts
 * import { daemonFiles } from "./daemon_files.ts";
 *
 * const files = daemonFiles("/home/ada/.config/rmcp-mux/config.yaml", {
 *   XDG_RUNTIME_DIR: "/run/user/1000",
 *   HOME: "/home/ada",
 * });
 * console.log(files.control); // /run/user/1000/rmcp-mux/config-<8 hex>.control.sock
 * ```
 */
export function daemonFiles(configPath: string, env: DirsEnv): DaemonFiles {
  const key = daemonKey(configPath);
  let run: string;
  let state: string;
  try {
    run = runtimeDir(env);
    state = stateDir(env);
  } catch (error) {
    throw new PathError((error as Error).message);
  }
  return {
    key,
    control: `${run}/${key}.control.sock`,
    record: `${run}/${key}.daemon.json`,
    lock: `${run}/${key}.lock`,
    startLock: `${run}/${key}.start.lock`,
    log: `${state}/${key}.log`,
  };
}

/** `<config stem>-<hash of its path>`: the name of a config's files (and of its user service). */
export function daemonKey(configPath: string): string {
  const file = configPath.slice(configPath.lastIndexOf("/") + 1);
  const stem = (file.includes(".") ? file.slice(0, file.lastIndexOf(".")) : file)
    .replace(/[^\w.@-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 24) || "config";
  return `${stem}-${shortHash(configPath)}`;
}

/** `path` made absolute, with symlinks resolved when it exists: one key per file. */
export function canonicalConfigPath(path: string, cwd: string = Deno.cwd()): string {
  const absolute = path.startsWith("/") ? path : `${cwd.replace(/\/+$/, "")}/${path}`;
  try {
    return Deno.realPathSync(absolute);
  } catch {
    return absolute;
  }
}

/** The environment variables that decide the directories, from this process. */
export function dirsEnv(): DirsEnv {
  const env: { -readonly [K in keyof DirsEnv]: string | undefined } = {
    HOME: Deno.env.get("HOME"),
    XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR"),
    XDG_STATE_HOME: Deno.env.get("XDG_STATE_HOME"),
  };
  return env;
}

/** The record of the running daemon, if one was written (it may be stale after a crash). */
export async function readDaemonRecord(path: string): Promise<DaemonRecord | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    if (typeof value?.control !== "string" || typeof value?.pid !== "number") return undefined;
    return value as DaemonRecord;
  } catch {
    return undefined;
  }
}

/** Write the record atomically (`0600`), creating the runtime directory `0700`. */
export async function writeDaemonRecord(path: string, record: DaemonRecord): Promise<void> {
  await ensurePrivateDir(path.slice(0, path.lastIndexOf("/")), "runtime");
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, path);
}

/** Remove the record if it is still this process's. */
export function removeDaemonRecordSync(path: string, pid: number = Deno.pid): void {
  try {
    const value = JSON.parse(Deno.readTextFileSync(path));
    if (value?.pid === pid) Deno.removeSync(path);
  } catch {
    // Gone or unreadable: nothing of ours to remove.
  }
}
