/**
 * `rmcp-mux service install|uninstall|status`: the daemon of a config file as
 * a user service (systemd on Linux, launchd on macOS). `installService` is
 * also what the hosts wizard calls. Every outcome is a result with one line
 * to show; nothing here exits or prints.
 *
 * @module
 */

import { defaultConfigPath } from "../config/default_path.ts";
import { ConfigError, formatIssue } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import {
  canonicalConfigPath,
  type DaemonFiles,
  daemonFiles,
  dirsEnv,
  readDaemonRecord,
} from "../daemon/daemon_files.ts";
import { FileLock } from "../paths/file_lock.ts";
import { describeFsError, dirOf, ensurePrivateDir } from "../paths/private_dir.ts";
import { callControl } from "../control/client.ts";
import { delay } from "../async/wait.ts";
import { hintCommand, type SelfCommand, selfCommand, shellWord } from "../paths/self_command.ts";
import {
  launchdLabel,
  renderLaunchdPlist,
  renderSystemdUnit,
  STOP_TIMEOUT_S,
  type UnitSpec,
} from "./unit.ts";

/** The service managers rmcp-mux installs into. */
export type ServiceManager = "systemd" | "launchd";

/** A command the install runs (`systemctl --user …`, `launchctl …`). */
export type Runner = (
  command: string,
  args: readonly string[],
) => Promise<{ code: number; stdout: string; stderr: string }>;

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

/** The unit's PATH when the installing process has none. */
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

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
  const defaultConfig = defaultConfigPath(env, home);
  const config = canonicalConfigPath(options.config ?? defaultConfig);
  const files = daemonFiles(config, options.env ? pick(env) : dirsEnv());
  const name = config === canonicalConfigPath(defaultConfig) ? "rmcp-mux" : `rmcp-mux-${files.key}`;
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
  if (os === "linux") {
    const base = env.XDG_CONFIG_HOME?.startsWith("/") ? env.XDG_CONFIG_HOME : `${home}/.config`;
    const unit = `${name}.service`;
    return {
      manager: "systemd",
      name,
      file: `${base.replace(/\/+$/, "")}/systemd/user/${unit}`,
      text: renderSystemdUnit(spec),
      config,
      enable: [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", unit],
        ["systemctl", "--user", "restart", unit],
      ],
      disable: [
        ["systemctl", "--user", "disable", "--now", unit],
        ["systemctl", "--user", "daemon-reload"],
      ],
      logs: `journalctl --user -u ${unit}`,
      files,
      ...warning,
    };
  }
  if (os === "darwin") {
    const label = launchdLabel(name);
    const file = `${home}/Library/LaunchAgents/${label}.plist`;
    const domain = `gui/${options.uid ?? Deno.uid() ?? 0}`;
    return {
      manager: "launchd",
      name,
      file,
      text: renderLaunchdPlist(spec),
      config,
      enable: [["launchctl", "bootstrap", domain, file]],
      disable: [["launchctl", "bootout", `${domain}/${label}`]],
      logs: files.log,
      files,
      ...warning,
    };
  }
  throw new Error(
    `service: no supported service manager on ${os} (systemd on Linux, launchd on macOS); ` +
      `run "${hintCommand()} --config ${shellWord(config)}" from your own startup instead`,
  );
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
  let lock: FileLock | undefined;
  for (let i = 0; i < 100 && !lock; i++) {
    lock = await FileLock.tryAcquire(plan.files.startLock);
    if (!lock) await delay(50);
  }
  try {
    const previous = await stopUnmanaged(plan, run);
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
    const pid = await waitForDaemon(plan.files, previous);
    const how = plan.manager === "systemd" ? "systemd user unit" : "launchd agent";
    return {
      ok: pid !== undefined,
      message: pid !== undefined
        ? `installed ${plan.file} (${how}); the daemon runs (pid ${pid}); logs: ${plan.logs}`
        : `installed ${plan.file} (${how}), but its daemon did not answer within 30 s; ` +
          `see ${plan.logs}`,
      plan,
    };
  } finally {
    lock?.release();
  }
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
  try {
    await Deno.lstat(plan.file);
  } catch {
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
  try {
    await Deno.lstat(plan.file);
  } catch {
    return {
      ok: false,
      message: `not installed (no ${plan.file}); install it with "${hintCommand()} service ` +
        `install${options.config ? ` --config ${shellWord(plan.config)}` : ""}"`,
      plan,
    };
  }
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
  const daemon = record ? `; daemon pid ${record.pid}, control socket ${record.control}` : "";
  return {
    ok: running,
    message: `${plan.file}: ${state}${daemon}; logs: ${plan.logs}`,
    plan,
  };
}

/**
 * Why the service's daemon would not start, if it would not: the config file
 * is missing or invalid, or names a `${VAR}` the service's environment lacks
 * (a service does not see the variables of the shell that installed it).
 * Checked before anything is written, so a failure is one line now rather
 * than a crash loop in the service manager's log.
 */
export async function configProblem(
  plan: ServicePlan,
  context: ServiceContext = {},
): Promise<string | undefined> {
  const env = await serviceEnvironment(
    plan,
    context.env ?? Deno.env.toObject(),
    context.run ?? runCommand,
  );
  try {
    await loadConfig(plan.config, { env });
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.cause instanceof Deno.errors.NotFound) {
      return `${plan.config} does not exist; write it first ` +
        `("${hintCommand()} scan --write-config ${shellWord(plan.config)}", or see ` +
        "config.example.yaml)";
    }
    const [first, ...more] = error.issues;
    let line = first ? formatIssue(first) : error.message;
    if (more.length > 0) {
      line += ` (and ${more.length} more: ${hintCommand()} config check ${shellWord(plan.config)})`;
    }
    const unset = error.issues.map((i) => /environment variable (\S+) is not set/.exec(i.message))
      .find((m) => m !== null)?.[1];
    if (unset !== undefined) {
      line += `; the service does not see your shell's variables: write the value into ` +
        `${plan.config} (keep it private: chmod 600)` +
        (plan.manager === "systemd"
          ? `, or put ${unset}=… in ~/.config/environment.d/rmcp-mux.conf ` +
            "(read when your systemd user manager starts)"
          : "");
    }
    return line;
  }
}

/**
 * The environment the service's daemon will have: the user manager's
 * (`systemctl --user show-environment`; launchd gives agents little), the
 * account's HOME, USER, LOGNAME and SHELL, and the unit's PATH. When the
 * manager cannot be asked, the installing process's own.
 */
async function serviceEnvironment(
  plan: ServicePlan,
  env: Readonly<Record<string, string | undefined>>,
  run: Runner,
): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  if (plan.manager === "systemd") {
    const shown = await run("systemctl", ["--user", "show-environment"]);
    if (shown.code !== 0) return { ...env };
    for (const line of shown.stdout.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  } else if (env.TMPDIR !== undefined) {
    out.TMPDIR = env.TMPDIR;
  }
  for (const key of ["HOME", "USER", "LOGNAME", "SHELL"]) {
    if (env[key] !== undefined) out[key] = env[key];
  }
  out.PATH = env.PATH ?? DEFAULT_PATH;
  return out;
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

/** A daemon of this config not started by the service: shut it down. Returns its pid. */
async function stopUnmanaged(plan: ServicePlan, run: Runner): Promise<number | undefined> {
  const record = await readDaemonRecord(plan.files.record);
  if (!record) return undefined;
  if (plan.manager === "systemd") {
    const out = await run("systemctl", [
      "--user",
      "show",
      "-p",
      "MainPID",
      "--value",
      `${plan.name}.service`,
    ]);
    if (out.code === 0 && Number(out.stdout.trim()) === record.pid) return record.pid; // its own
  }
  await callControl(record.control, "shutdown", undefined, 5_000).catch(() => undefined);
  // Wait for it to be gone (its lock released) before the service starts its own.
  for (let i = 0; i < STOP_TIMEOUT_S * 10; i++) {
    const still = await FileLock.tryAcquire(plan.files.lock);
    if (still) {
      still.release();
      break;
    }
    await delay(100);
  }
  return record.pid;
}

/** The pid of the daemon that answers on the recorded control socket (not `previous`). */
async function waitForDaemon(
  files: DaemonFiles,
  previous: number | undefined,
): Promise<number | undefined> {
  for (let i = 0; i < 300; i++) {
    const record = await readDaemonRecord(files.record);
    if (record && record.pid !== previous) {
      const status = await callControl(record.control, "status", undefined, 2_000).catch(() =>
        undefined
      );
      if (status) return record.pid;
    }
    await delay(100);
  }
  return undefined;
}

async function runCommand(
  command: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(command, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
  } catch (error) {
    return { code: 127, stdout: "", stderr: `${command}: ${describeFsError(error)}` };
  }
}

function firstLine(out: { stdout: string; stderr: string }): string {
  return (out.stderr.trim() || out.stdout.trim()).split("\n")[0] ?? "";
}

function pick(env: Readonly<Record<string, string | undefined>>) {
  const out: Record<string, string> = {};
  for (const key of ["HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME"]) {
    if (env[key] !== undefined) out[key] = env[key]!;
  }
  return out;
}
