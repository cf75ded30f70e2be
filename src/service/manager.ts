/**
 * The user service of a config file as its service manager knows it: where
 * the unit is, whether it is installed for that very file, and how to start
 * or restart it (`systemctl --user …`, `launchctl …`: argument arrays, never
 * a shell). Lean — no config parser, no logger — as `rmcp-mux proxy` uses it
 * to start the daemon through the service instead of beside it.
 *
 * @module
 */

import { defaultConfigPath } from "../config/default_path.ts";
import { canonicalConfigPath, daemonKey } from "../daemon/daemon_files.ts";
import { describeFsError } from "../paths/private_dir.ts";
import { NAME } from "../version.ts";
import { launchdLabel, systemdWord, xml } from "./unit.ts";

/** The service managers rmcp-mux installs into. */
export type ServiceManager = "systemd" | "launchd";

/** Runs `systemctl`/`launchctl`/`journalctl` (injectable for tests). */
export type Runner = (
  command: string,
  args: readonly string[],
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Where to look: everything has the running process's value by default. */
export interface ServiceWhere {
  /** `linux` → systemd, `darwin` → launchd. */
  os?: string;
  /** Environment (HOME, XDG_CONFIG_HOME). */
  env?: Readonly<Record<string, string | undefined>>;
  /** User id (for `launchctl … gui/UID`). */
  uid?: number;
}

/** The service of one config file, whether installed or not. */
export interface ServiceUnit {
  manager: ServiceManager;
  /** `rmcp-mux` for the default config file, `rmcp-mux-<config key>` for another. */
  name: string;
  /** What its manager calls it: `rmcp-mux.service`, `dev.rmcp-mux.daemon`. */
  unit: string;
  /** The unit or agent file. */
  file: string;
  /** The config file its daemon runs (canonical). */
  config: string;
  /** True for the default config file: commands about it need no `--config`. */
  isDefault: boolean;
  /** launchd's domain (`gui/UID`); empty for systemd. */
  domain: string;
}

/** How long one `systemctl`/`launchctl` call may take before it counts as failed. */
export const MANAGER_TIMEOUT_MS = 20_000;

/**
 * The service of `config` (canonical path): its manager, name and unit file.
 * `undefined` on an OS without a supported service manager. Pure but for
 * resolving the default config file's path.
 *
 * @example
 * ```ts
 * import { serviceUnit } from "./manager.ts";
 *
 * const unit = serviceUnit("/home/ada/.config/rmcp-mux/config.yaml", {
 *   os: "linux",
 *   env: { HOME: "/home/ada" },
 * });
 * console.log(unit?.unit, unit?.file);
 * // rmcp-mux.service /home/ada/.config/systemd/user/rmcp-mux.service
 * ```
 */
export function serviceUnit(config: string, where: ServiceWhere = {}): ServiceUnit | undefined {
  const env = where.env ?? Deno.env.toObject();
  const home = (env.HOME ?? "").replace(/\/+$/, "");
  const os = where.os ?? Deno.build.os;
  const isDefault = config === canonicalConfigPath(defaultConfigPath(env, home));
  const name = isDefault ? "rmcp-mux" : `rmcp-mux-${daemonKey(config)}`;
  if (os === "linux") {
    const base = env.XDG_CONFIG_HOME?.startsWith("/") ? env.XDG_CONFIG_HOME : `${home}/.config`;
    const unit = `${name}.service`;
    const file = `${base.replace(/\/+$/, "")}/systemd/user/${unit}`;
    return { manager: "systemd", name, unit, file, config, isDefault, domain: "" };
  }
  if (os === "darwin") {
    const unit = launchdLabel(name);
    const file = `${home}/Library/LaunchAgents/${unit}.plist`;
    const domain = `gui/${where.uid ?? Deno.uid() ?? 0}`;
    return { manager: "launchd", name, unit, file, config, isDefault, domain };
  }
  return undefined;
}

/**
 * The service of `config` if it is installed: its unit file exists and runs
 * that very config file (what `service install` wrote for it).
 */
export async function installedService(
  config: string,
  where: ServiceWhere = {},
): Promise<ServiceUnit | undefined> {
  const unit = serviceUnit(config, where);
  if (!unit) return undefined;
  let text: string;
  try {
    text = await Deno.readTextFile(unit.file);
  } catch {
    return undefined;
  }
  return runsConfig(text, unit) ? unit : undefined;
}

/** Does the unit's command end with `--config CONFIG`, as `service install` writes it? */
function runsConfig(text: string, unit: ServiceUnit): boolean {
  if (unit.manager === "systemd") {
    const exec = text.split("\n").find((line) => line.startsWith("ExecStart="));
    return exec?.trimEnd().endsWith(` --config ${systemdWord(unit.config)}`) ?? false;
  }
  return new RegExp(
    `<string>--config</string>\\s*<string>${escapeRegExp(xml(unit.config))}</string>\\s*</array>`,
  ).test(text);
}

/** `systemctl --user start U` / `launchctl kickstart gui/UID/LABEL`. */
export function startCommand(unit: ServiceUnit): string[] {
  return unit.manager === "systemd"
    ? ["systemctl", "--user", "start", unit.unit]
    : ["launchctl", "kickstart", `${unit.domain}/${unit.unit}`];
}

/** `systemctl --user restart U` / `launchctl kickstart -k gui/UID/LABEL`. */
export function restartCommand(unit: ServiceUnit): string[] {
  return unit.manager === "systemd"
    ? ["systemctl", "--user", "restart", unit.unit]
    : ["launchctl", "kickstart", "-k", `${unit.domain}/${unit.unit}`];
}

/**
 * The command that restarts the service called `managedBy` (what its unit
 * sets in `RMCP_MUX_SERVICE`), as a person types it:
 * `systemctl --user restart rmcp-mux.service`, or
 * `launchctl kickstart -k gui/UID/LABEL` for a launchd label.
 */
export function restartCommandOf(managedBy: string, uid?: number): string {
  return managedBy.endsWith(".service")
    ? `systemctl --user restart ${managedBy}`
    : `launchctl kickstart -k gui/${uid ?? Deno.uid() ?? 0}/${managedBy}`;
}

/** The command that starts the service called `managedBy`, as a person types it. */
export function startCommandOf(managedBy: string, uid?: number): string {
  return managedBy.endsWith(".service")
    ? `systemctl --user start ${managedBy}`
    : `launchctl kickstart gui/${uid ?? Deno.uid() ?? 0}/${managedBy}`;
}

/** Where the service's daemon logs: the journal, or (launchd) `logFile`. */
export function serviceLogs(unit: ServiceUnit, logFile: string): string {
  return unit.manager === "systemd" ? `journalctl --user -u ${unit.unit}` : logFile;
}

/** ` --config FILE` for a config file other than the default one, else nothing. */
export function configFlag(unit: ServiceUnit): string {
  return unit.isDefault ? "" : ` --config ${unit.config}`;
}

/**
 * Start the service's daemon through its manager (`restart` stops it first).
 * A launchd agent that is not loaded (after a `bootout`) is loaded, which
 * starts it. Resolves `undefined` when the manager took the request, else
 * one line: which command failed and what it said.
 */
export async function startThroughManager(
  unit: ServiceUnit,
  run: Runner = runCommand,
  restart = false,
): Promise<string | undefined> {
  const command = restart ? restartCommand(unit) : startCommand(unit);
  const out = await run(command[0]!, command.slice(1));
  if (out.code === 0) return undefined;
  if (unit.manager === "launchd") {
    const load = await run("launchctl", ["bootstrap", unit.domain, unit.file]);
    if (load.code === 0) return undefined;
  }
  return `"${command.join(" ")}" failed: ${firstLine(out) || `exit code ${out.code}`}`;
}

/**
 * Whether the service's daemon process runs, by its manager's account:
 * `stopped` once it has exited cleanly (a `shutdown`: starting it again is
 * right), `failed` once it has failed (or waits to be restarted after a
 * failure), `unknown` when the manager does not say.
 */
export async function managerState(
  unit: ServiceUnit,
  run: Runner = runCommand,
): Promise<"running" | "stopped" | "failed" | "unknown"> {
  if (unit.manager === "systemd") {
    const state = (await run("systemctl", ["--user", "is-active", unit.unit])).stdout.trim();
    if (state === "active" || state === "reloading") return "running";
    if (state === "inactive") return "stopped";
    // A simple service is "activating" only while it waits to be restarted after a failure.
    if (state === "failed" || state === "activating") return "failed";
    return "unknown";
  }
  const out = await run("launchctl", ["print", `${unit.domain}/${unit.unit}`]);
  if (out.code !== 0) return "stopped"; // not loaded: starting it loads it
  if (/state = running/.test(out.stdout)) return "running";
  const code = /last exit code = (\d+)/.exec(out.stdout)?.[1];
  return code === undefined ? "unknown" : code === "0" ? "stopped" : "failed";
}

/**
 * Why the service's daemon exited, in its own words: its last `rmcp-mux: …`
 * line in the journal (systemd) or in `logFile` (launchd). Empty when none.
 */
export async function exitReason(
  unit: ServiceUnit,
  logFile: string,
  run: Runner = runCommand,
): Promise<string> {
  let text: string;
  if (unit.manager === "systemd") {
    const out = await run("journalctl", [
      "--user",
      "-u",
      unit.unit,
      "-n",
      "50",
      "-o",
      "cat",
      "--no-pager",
    ]);
    text = out.code === 0 ? out.stdout : "";
  } else {
    text = await Deno.readTextFile(logFile).catch(() => "");
  }
  const lines = text.trimEnd().split("\n");
  const own = lines.findLast((line) => line.startsWith(`${NAME}: `));
  return (own ?? "").slice(NAME.length + 2);
}

/** Run a program (no shell), bounded by {@link MANAGER_TIMEOUT_MS}; a missing program is code 127. */
export async function runCommand(
  command: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    return { code: 127, stdout: "", stderr: `${command}: ${describeFsError(error)}` };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }, MANAGER_TIMEOUT_MS);
  try {
    const out = await child.output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    if (timedOut) {
      return {
        code: 124,
        stdout: "",
        stderr: `${command} did not finish within ${MANAGER_TIMEOUT_MS / 1000} s`,
      };
    }
    return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** The first line a command said (stderr first). */
export function firstLine(out: { stdout: string; stderr: string }): string {
  return (out.stderr.trim() || out.stdout.trim()).split("\n")[0] ?? "";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
