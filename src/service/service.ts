/**
 * `rmcp-mux service install|uninstall|status`: the daemon of a config file as
 * a user service (systemd on Linux, launchd on macOS). `installService` is
 * also what the hosts wizard calls. Every outcome is a result with one line
 * to show; nothing here exits or prints.
 *
 * @module
 */

import { defaultConfigPath } from "../config/default_path.ts";
import {
  canonicalConfigPath,
  type DaemonFiles,
  daemonFiles,
  dirsEnv,
  readDaemonRecord,
} from "../daemon/daemon_files.ts";
import { describeFsError, dirOf, ensurePrivateDir } from "../paths/private_dir.ts";
import { delay } from "../async/wait.ts";
import { hintCommand, type SelfCommand, selfCommand, shellWord } from "../paths/self_command.ts";
import {
  holdStartLock,
  type ServiceAnswer,
  stopUnmanaged,
  waitForServiceDaemon,
} from "./handover.ts";
import {
  configFlag,
  firstLine,
  runCommand,
  type Runner,
  type ServiceManager,
  type ServiceUnit,
  serviceUnit,
  startThroughManager,
} from "./manager.ts";
import { configProblem } from "./preflight.ts";
import {
  DEFAULT_PATH,
  launchdLabel,
  renderLaunchdPlist,
  renderSystemdUnit,
  STOP_TIMEOUT_S,
  type UnitSpec,
} from "./unit.ts";

export { configProblem } from "./preflight.ts";
export type { Runner, ServiceManager } from "./manager.ts";

/** Where and how: everything has the running process's value by default. */
export interface ServiceContext {
  /** `linux` → systemd, `darwin` → launchd. */
  os?: string;
  /** Environment (HOME, XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR, PATH). */
  env?: Readonly<Record<string, string | undefined>>;
  /** How to run this rmcp-mux ({@link selfCommand}). */
  self?: SelfCommand;
  /** User id (for `launchctl … gui/UID`). */
  uid?: number;
  /** Runs `systemctl`/`launchctl` (injectable for tests). */
  run?: Runner;
}

/** What `service install` will write and run, for one config file. */
export interface ServicePlan {
  manager: ServiceManager;
  /** Unit name (`rmcp-mux` for the default config file). */
  name: string;
  /** The service as its manager knows it (unit name or label, domain). */
  unit: ServiceUnit;
  /** The unit or agent file. */
  file: string;
  /** Its content. */
  text: string;
  /** The config file the daemon runs (canonical). */
  config: string;
  /** The commands that enable and start it, as a person would type them. */
  enable: string[][];
  /** The commands that stop and disable it. */
  disable: string[][];
  /** Where its logs are. */
  logs: string;
  /** The daemon's files (record, locks). */
  files: DaemonFiles;
  /** Why the command is not a lasting one, if it is not (a package cache). */
  warning?: string;
}

/** The outcome of a service command: `ok`, and one line (or a few) for a person. */
export interface ServiceResult {
  ok: boolean;
  message: string;
  plan: ServicePlan;
}

/** Settings that decide the plan, all optional. */
export interface ServiceOptions extends ServiceContext {
  /** The config file (default: the default config file). */
  config?: string;
}

/**
 * Plan the service of a config file: the unit, its path, the commands. Pure
 * apart from resolving the config path. Throws for an OS without a supported
 * service manager.
 *
 * @example
 * ```ts
 * import { planService } from "./service.ts";
 *
 * const plan = planService({
 *   os: "linux",
 *   env: { HOME: "/home/ada", PATH: "/usr/bin" },
 *   self: { command: "/usr/local/bin/rmcp-mux", args: [] },
 *   config: "/home/ada/.config/rmcp-mux/config.yaml",
 * });
 * console.log(plan.file); // /home/ada/.config/systemd/user/rmcp-mux.service
 * ```
 */
export function planService(options: ServiceOptions = {}): ServicePlan {
  const env = options.env ?? Deno.env.toObject();
  const home = (env.HOME ?? "").replace(/\/+$/, "");
  const os = options.os ?? Deno.build.os;
  const config = canonicalConfigPath(options.config ?? defaultConfigPath(env, home));
  const files = daemonFiles(config, options.env ? pick(env) : dirsEnv());
  const unit = serviceUnit(config, {
    os,
    env,
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
  });
  if (!unit) {
    throw new Error(
      `service: no supported service manager on ${os} (systemd on Linux, launchd on macOS); ` +
        `run "${hintCommand()} --config ${shellWord(config)}" from your own startup instead`,
    );
  }
  const { name, file } = unit;
  const self = options.self ?? selfCommand({ path: env.PATH ?? "" });
  const spec: UnitSpec = {
    name,
    command: [self.command, ...self.args, "--config", config],
    config,
    workingDirectory: home || "/",
    path: env.PATH ?? DEFAULT_PATH,
    logFile: files.log,
  };
  const warning = self.warning ? { warning: self.warning } : {};
  if (unit.manager === "systemd") {
    return {
      manager: "systemd",
      name,
      unit,
      file,
      text: renderSystemdUnit(spec),
      config,
      enable: [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", unit.unit],
        ["systemctl", "--user", "restart", unit.unit],
      ],
      disable: [
        ["systemctl", "--user", "disable", "--now", unit.unit],
        ["systemctl", "--user", "daemon-reload"],
      ],
      logs: `journalctl --user -u ${unit.unit}`,
      files,
      ...warning,
    };
  }
  return {
    manager: "launchd",
    name,
    unit,
    file,
    text: renderLaunchdPlist(spec),
    config,
    enable: [["launchctl", "bootstrap", unit.domain, file]],
    disable: [["launchctl", "bootout", `${unit.domain}/${unit.unit}`]],
    logs: files.log,
    files,
    ...warning,
  };
}

/**
 * Install and start the service: write the unit, enable it, (re)start it.
 * A daemon of the same config already running outside the service is
 * stopped first, while holding the start lock proxies use, so no proxy
 * starts another one in between. Resolves when the service's daemon answers.
 */
export async function installService(options: ServiceOptions = {}): Promise<ServiceResult> {
  const plan = planService(options);
  const run = options.run ?? runCommand;
  if (plan.warning) return { ok: false, message: `not installed: ${plan.warning}`, plan };
  const problem = await configProblem(plan, options);
  if (problem) return { ok: false, message: `not installed: ${problem}`, plan };
  try {
    await ensurePrivateDir(dirOf(plan.files.startLock), "runtime");
    await ensurePrivateDir(dirOf(plan.files.log), "state");
    await ensurePrivateDir(dirOf(plan.file), "service");
    await Deno.writeTextFile(plan.file, plan.text, { mode: 0o644 });
  } catch (error) {
    const why = error instanceof Error && error.name === "PathError"
      ? error.message
      : `cannot write ${plan.file}: ${describeFsError(error)}`;
    return { ok: false, message: why, plan };
  }
  // Proxies start a daemon only while holding this lock: hold it across the switch.
  const lock = await holdStartLock(plan.files).catch(() => undefined);
  try {
    const previous = await stopUnmanaged(plan.files, plan.unit, run);
    if (plan.manager === "launchd") await unloadAgent(plan, options.uid, run);
    for (const command of plan.enable) {
      const out = await run(command[0]!, command.slice(1));
      if (out.code !== 0) {
        return {
          ok: false,
          message: `wrote ${plan.file}, but "${command.join(" ")}" failed: ${firstLine(out)}; ` +
            `fix that, then run: ${plan.enable.map((c) => c.join(" ")).join(" && ")}`,
          plan,
        };
      }
    }
    const answer = await waitForServiceDaemon(plan.files, plan.unit, previous, run);
    const how = plan.manager === "systemd" ? "systemd user unit" : "launchd agent";
    return {
      ok: "pid" in answer,
      message: "pid" in answer
        ? `installed ${plan.file} (${how}); the daemon runs (pid ${answer.pid}); logs: ${plan.logs}`
        : `installed ${plan.file} (${how}), but ${notAnswering(answer, plan)}`,
      plan,
    };
  } finally {
    lock?.release();
  }
}

/**
 * Restart the service's daemon through its manager — after an upgrade, or
 * for a daemon setting a reload cannot apply. The config file is checked
 * first (a broken one leaves the running daemon alone); a daemon of the same
 * config running outside the service is replaced; proxies reconnect.
 * Resolves when the new daemon answers, or with the reason it did not.
 */
export async function restartService(options: ServiceOptions = {}): Promise<ServiceResult> {
  const plan = planService(options);
  const run = options.run ?? runCommand;
  if (!await installed(plan)) return { ok: false, message: notInstalled(plan), plan };
  const problem = await configProblem(plan, options);
  if (problem) {
    return { ok: false, message: `not restarted (the running daemon stays): ${problem}`, plan };
  }
  const lock = await holdStartLock(plan.files).catch(() => undefined);
  try {
    const before = (await readDaemonRecord(plan.files.record))?.pid;
    await stopUnmanaged(plan.files, plan.unit, run);
    const failed = await startThroughManager(plan.unit, run, true);
    if (failed) return { ok: false, message: failed, plan };
    const answer = await waitForServiceDaemon(plan.files, plan.unit, before, run);
    return {
      ok: "pid" in answer,
      message: "pid" in answer
        ? `restarted ${plan.unit.unit}; the daemon runs (pid ${answer.pid}` +
          (before !== undefined ? `, was ${before}` : "") + `); logs: ${plan.logs}`
        : `restarted ${plan.unit.unit}, but ${notAnswering(answer, plan)}`,
      plan,
    };
  } finally {
    lock?.release();
  }
}

/** Why the service's daemon did not answer, in one clause. */
function notAnswering(answer: Exclude<ServiceAnswer, { pid: number }>, plan: ServicePlan): string {
  if ("exited" in answer) {
    return `its daemon exited at start${answer.exited ? `: ${answer.exited}` : ""}; ` +
      `see ${plan.logs}`;
  }
  return `its daemon did not answer within 30 s; see ${plan.logs}`;
}

/** True if the plan's unit (or agent) file exists. */
async function installed(plan: ServicePlan): Promise<boolean> {
  try {
    await Deno.lstat(plan.file);
    return true;
  } catch {
    return false;
  }
}

function notInstalled(plan: ServicePlan): string {
  return `not installed (no ${plan.file}); install it with "${hintCommand()} service install` +
    `${configFlag(plan.unit)}"`;
}

/**
 * True when this machine has a user service manager that answers (a systemd
 * user session, or launchd): only then is `installService` worth offering.
 */
export async function serviceManagerAvailable(options: ServiceContext = {}): Promise<boolean> {
  const os = options.os ?? Deno.build.os;
  const run = options.run ?? runCommand;
  try {
    if (os === "linux") {
      return (await run("systemctl", ["--user", "show-environment"])).code === 0;
    }
    if (os === "darwin") {
      return (await run("launchctl", ["print", `gui/${options.uid ?? Deno.uid() ?? 0}`])).code ===
        0;
    }
  } catch {
    // No such program.
  }
  return false;
}

/** Stop and disable the service, and remove its unit. The daemon stops with it. */
export async function uninstallService(options: ServiceOptions = {}): Promise<ServiceResult> {
  const plan = planService(options);
  const run = options.run ?? runCommand;
  if (!await installed(plan)) {
    return { ok: true, message: `not installed (no ${plan.file}); nothing to do`, plan };
  }
  const problems: string[] = [];
  for (const command of plan.disable) {
    const out = await run(command[0]!, command.slice(1));
    if (out.code !== 0) problems.push(`"${command.join(" ")}": ${firstLine(out)}`);
  }
  try {
    await Deno.remove(plan.file);
  } catch (error) {
    return { ok: false, message: `cannot remove ${plan.file}: ${describeFsError(error)}`, plan };
  }
  if (plan.manager === "systemd") await run("systemctl", ["--user", "daemon-reload"]);
  return {
    ok: true,
    message: `removed ${plan.file}` +
      (problems.length ? ` (${problems.join("; ")})` : "; the service is stopped and disabled"),
    plan,
  };
}

/** Is the service installed, enabled and running? `ok` only when it runs. */
export async function serviceStatus(options: ServiceOptions = {}): Promise<ServiceResult> {
  const plan = planService(options);
  const run = options.run ?? runCommand;
  if (!await installed(plan)) return { ok: false, message: notInstalled(plan), plan };
  let state: string;
  let running: boolean;
  if (plan.manager === "systemd") {
    const unit = `${plan.name}.service`;
    const enabled = firstLine(await run("systemctl", ["--user", "is-enabled", unit]));
    const active = firstLine(await run("systemctl", ["--user", "is-active", unit]));
    running = active === "active";
    state = `${enabled}, ${active}`;
  } else {
    const label = launchdLabel(plan.name);
    const out = await run("launchctl", ["print", `gui/${options.uid ?? Deno.uid() ?? 0}/${label}`]);
    running = out.code === 0 && /state = running/.test(out.stdout);
    state = out.code !== 0 ? "not loaded" : running ? "running" : "loaded, not running";
  }
  const record = await readDaemonRecord(plan.files.record);
  const outside = record && record.managedBy === undefined
    ? ` (started outside the service: "${hintCommand()} service restart${configFlag(plan.unit)}" ` +
      "hands it to the service)"
    : "";
  const daemon = record
    ? `; daemon pid ${record.pid}${outside}, control socket ${record.control}`
    : "";
  return {
    ok: running,
    message: `${plan.file}: ${state}${daemon}; logs: ${plan.logs}`,
    plan,
  };
}

/**
 * A launchd agent already loaded (an earlier install): unload it first, as
 * `launchctl bootstrap` refuses a loaded label ("5: Input/output error").
 * `bootout` returns before launchd is done, so wait (bounded) until the label
 * is gone.
 */
async function unloadAgent(plan: ServicePlan, uid: number | undefined, run: Runner) {
  const target = `gui/${uid ?? Deno.uid() ?? 0}/${launchdLabel(plan.name)}`;
  if ((await run("launchctl", ["print", target])).code !== 0) return;
  await run("launchctl", ["bootout", target]);
  for (let i = 0; i < STOP_TIMEOUT_S * 10; i++) {
    if ((await run("launchctl", ["print", target])).code !== 0) return;
    await delay(100);
  }
}

function pick(env: Readonly<Record<string, string | undefined>>) {
  const out: Record<string, string> = {};
  for (const key of ["HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME"]) {
    if (env[key] !== undefined) out[key] = env[key]!;
  }
  return out;
}
