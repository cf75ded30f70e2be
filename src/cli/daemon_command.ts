/**
 * `rmcp-mux --config FILE`: the daemon. Loads the file, starts every selected
 * service, listens on the control socket, reloads on SIGHUP, and stops
 * cleanly on SIGINT/SIGTERM or a `shutdown` command. One daemon per config
 * file: a lock held for the daemon's life decides, and a record in the
 * runtime directory tells every other command where its control socket is.
 *
 * @module
 */

import { defaultConfigPath } from "../config/default_path.ts";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { type CliOverrides, selectServices } from "../config/select.ts";
import type { MuxFileConfig } from "../config/types.ts";
import { ControlServer } from "../control/server.ts";
import { dashboardControl } from "../dashboard/control.ts";
import {
  canonicalConfigPath,
  type DaemonFiles,
  daemonFiles,
  dirsEnv,
  readDaemonRecord,
  removeDaemonRecordSync,
  writeDaemonRecord,
} from "../daemon/daemon_files.ts";
import { Daemon, type DaemonService } from "../daemon/daemon.ts";
import { muxLogger } from "../log/logger.ts";
import { callControl } from "../control/client.ts";
import { delay } from "../async/wait.ts";
import { FileLock } from "../paths/file_lock.ts";
import { configFlag, installedService, restartCommandOf } from "../service/manager.ts";
import { SERVICE_ENV, STOP_TIMEOUT_S } from "../service/unit.ts";
import { dirOf, ensurePrivateDir } from "../paths/private_dir.ts";
import { stableJson } from "../server/live_settings.ts";
import { SocketPathError } from "../server/socket_path.ts";
import { prepareStatusFile, StatusFileWriter } from "../server/status_file.ts";
import { hintCommand, shellWord } from "../paths/self_command.ts";
import { NAME, VERSION } from "../version.ts";
import type { Command, LogSettings } from "./args.ts";
import { reportError, SignalScope } from "./lifecycle.ts";
import { setupLogging, useLogFile, writeStderr } from "./logging.ts";

type DaemonCommand = Extract<Command, { kind: "daemon" }>;

/** Where the config file is: the one given, else the default location. */
export function configPathOf(given: string | undefined): string {
  return given ?? defaultConfigPath(Deno.env.toObject(), Deno.env.get("HOME") ?? "");
}

/**
 * The config's control socket: `--control`, else `daemon.control`, else the
 * default in the runtime directory ({@link daemonFiles}).
 */
export function controlPathOf(config: MuxFileConfig, given?: string): string {
  return given ?? config.daemon.control ??
    daemonFiles(canonicalConfigPath(config.path), dirsEnv()).control;
}

/** Run the daemon until it is told to stop. Returns the exit code. */
export async function runDaemonCommand(command: DaemonCommand): Promise<number> {
  // Installed first: a signal during start-up must not leave sockets behind.
  using signals = new SignalScope("reload");
  if (!useLogFile(command.log.file)) return 1;
  // Set by the user service's unit: this daemon is the service's. Not for its servers.
  const managedBy = Deno.env.get(SERVICE_ENV) || undefined;
  Deno.env.delete(SERVICE_ENV);
  const path = configPathOf(command.config);
  const overrides: CliOverrides = { ...command.overrides };
  if (command.log.level) overrides.logLevel = command.log.level;
  let config: MuxFileConfig;
  let services: DaemonService[];
  let levels: Record<string, LogSettings["level"]>;
  let files: DaemonFiles;
  try {
    files = daemonFiles(canonicalConfigPath(path), dirsEnv());
    config = await loadConfig(path);
    ({ services, levels } = select(config, overrides, command));
    if (config.daemon.statusFile) await prepareStatusFile(config.daemon.statusFile);
  } catch (error) {
    return fail(error, command.config === undefined ? path : undefined);
  }
  let lock: FileLock | undefined;
  try {
    await ensurePrivateDir(dirOf(files.lock), "runtime");
    lock = await FileLock.tryAcquire(files.lock);
  } catch (error) {
    return fail(error);
  }
  if (!lock && managedBy) {
    const taken = await takeOver(path, files, managedBy);
    if (typeof taken === "number") return taken;
    lock = taken;
  }
  if (!lock) return await alreadyRunning(path, files);
  if (!managedBy) await noteInstalledService(path);
  signals.atForcedExit(() => {
    removeDaemonRecordSync(files.record);
    lock.release(true);
  });
  try {
    return await serve(
      command,
      path,
      config,
      services,
      levels,
      files,
      overrides,
      signals,
      managedBy,
    );
  } finally {
    removeDaemonRecordSync(files.record);
    lock.release(true);
  }
}

async function serve(
  command: DaemonCommand,
  path: string,
  config: MuxFileConfig,
  services: DaemonService[],
  levels: Record<string, LogSettings["level"]>,
  files: DaemonFiles,
  overrides: CliOverrides,
  signals: SignalScope,
  managedBy: string | undefined,
): Promise<number> {
  const log: LogSettings = {
    level: command.log.level ?? config.daemon.logLevel ?? "info",
    format: command.log.format ?? config.daemon.logFormat ?? "text",
  };
  setupLogging(log, command.log.level ? {} : levels);
  const logger = muxLogger("server");
  for (const warning of config.warnings) logger.warn("{warning}", { warning });
  const httpListen = command.http?.listen ?? config.daemon.http?.listen;
  const http = httpListen === undefined
    ? undefined
    : { ...config.daemon.http, ...command.http, listen: httpListen };
  if (http === undefined && command.http !== undefined) {
    writeStderr(
      `${NAME}: the --http-* flags need --http ADDR or daemon.http.listen in ${path}\n`,
    );
    return 2;
  }
  const controlPath = controlPathOf(config, command.control);
  let daemonSettings = config.daemon;
  let statusFile: StatusFileWriter | undefined;
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({
      services,
      config: path,
      control: controlPath,
      ...(http ? { http } : {}),
      reload: async () => {
        const fresh = await loadConfig(path);
        for (const warning of fresh.warnings) logger.warn("{warning}", { warning });
        const selected = select(fresh, overrides, command);
        const wanted = fresh.daemon;
        if (wanted.statusFile && wanted.statusFile !== daemonSettings.statusFile) {
          await prepareStatusFile(wanted.statusFile);
        }
        // Nothing is changed before this point: a refused reload leaves everything as it was.
        const needsRestart: string[] = [];
        const control = controlPathOf(fresh, command.control);
        if (control !== controlPath) {
          needsRestart.push(
            `daemon.control is now ${control} (the daemon listens on ${controlPath})`,
          );
        }
        if (
          command.http === undefined &&
          stableJson(wanted.http) !== stableJson(daemonSettings.http)
        ) {
          needsRestart.push("daemon.http changed (the HTTP listener keeps its settings)");
        }
        const daemonApplied: string[] = [];
        // A command-line --log-level/--log-format wins over the file: no change then.
        if (!command.log.level && wanted.logLevel !== daemonSettings.logLevel) {
          daemonApplied.push("daemon.log_level");
        }
        if (!command.log.format && wanted.logFormat !== daemonSettings.logFormat) {
          daemonApplied.push("daemon.log_format");
        }
        if (wanted.statusFile !== daemonSettings.statusFile) {
          daemonApplied.push("daemon.status_file");
        }
        setupLogging(
          {
            level: command.log.level ?? wanted.logLevel ?? "info",
            format: command.log.format ?? wanted.logFormat ?? "text",
          },
          command.log.level ? {} : selected.levels,
        );
        if (wanted.statusFile !== daemonSettings.statusFile) {
          await statusFile?.close();
          statusFile = wanted.statusFile
            ? new StatusFileWriter(wanted.statusFile, () => daemon.status(), logger)
            : undefined;
        }
        daemonSettings = { ...wanted, http: daemonSettings.http };
        return {
          services: selected.services,
          needsRestart,
          daemonApplied,
          ...(managedBy ? { restartWith: restartCommandOf(managedBy) } : {}),
        };
      },
    });
  } catch (error) {
    return fail(error);
  }
  signals.atForcedExit(() => daemon.terminateNow());
  if (daemon.status().services.every((s) => s.state === "error")) {
    writeStderr(`${NAME}: no service could start; see the errors above\n`);
    await daemon.close();
    return 1;
  }
  statusFile = config.daemon.statusFile
    ? new StatusFileWriter(config.daemon.statusFile, () => daemon.status(), logger)
    : undefined;
  let control: ControlServer;
  try {
    control = await ControlServer.start(
      controlPath,
      daemon,
      () => void daemon.close(),
      // `rmcp-mux dashboard`: a login link to the dashboard on the HTTP listener.
      dashboardControl(daemon),
    );
    await writeDaemonRecord(files.record, {
      pid: Deno.pid,
      config: canonicalConfigPath(path),
      control: control.path,
      startedAt: Date.now(),
      version: VERSION,
      ...(managedBy ? { managedBy } : {}),
    });
  } catch (error) {
    await daemon.close();
    await statusFile?.close();
    if (!(error instanceof SocketPathError)) return fail(error);
    // Say where the control socket's path was set (--control, daemon.control or its default).
    return fail(
      new SocketPathError(error.from(command.control ? "--control" : `daemon.control in ${path}`)),
    );
  }
  signals.atForcedExit(() => control.terminateNow());
  logger.info("Daemon running {count} services; control socket {path}", {
    count: services.length,
    path: control.path,
  });
  signals.onReload(() => {
    daemon.reload().catch((error) =>
      logger.error("Reload refused, the running configuration stays: {error}", {
        error: error instanceof Error ? error.message : String(error),
      })
    );
  });
  signals.onStop(() => void daemon.close());
  await signals.until(daemon.closed);
  await control.close();
  await statusFile?.close();
  return 0;
}

/** Another daemon holds this config's lock: say which, and how to reach it. */
async function alreadyRunning(path: string, files: DaemonFiles): Promise<number> {
  const record = await readDaemonRecord(files.record);
  if (record?.managedBy) {
    writeStderr(
      `${NAME}: a daemon for ${path} is already running as the user service ` +
        `${record.managedBy} (pid ${record.pid}, control socket ${record.control}); see it with ` +
        `"${hintCommand()} status --config ${
          shellWord(path)
        }", restart it with "${hintCommand()} service restart --config ${shellWord(path)}"\n`,
    );
    return 1;
  }
  const which = record ? ` (pid ${record.pid}, control socket ${record.control})` : "";
  const self = hintCommand();
  const config = shellWord(path);
  writeStderr(
    `${NAME}: a daemon for ${path} is already running${which}; see it with ` +
      `"${self} status --config ${config}" or stop it with "${self} shutdown --config ${config}"\n`,
  );
  return 1;
}

/**
 * The service's daemon, started while a daemon of its config runs outside the
 * service (by hand, or by a proxy that could not reach the service manager):
 * the service owns the config, so that one is asked to shut down (its clients
 * reconnect) and this one takes its place — holding the start lock, so no
 * proxy starts another in between. Returns the daemon lock, `undefined` when
 * the holder is a service's daemon itself, or an exit code after one line.
 */
async function takeOver(
  path: string,
  files: DaemonFiles,
  managedBy: string,
): Promise<FileLock | number | undefined> {
  const record = await readDaemonRecord(files.record);
  if (!record || record.managedBy !== undefined) return undefined;
  writeStderr(
    `${NAME}: the daemon for ${path} started outside the service ${managedBy} (pid ` +
      `${record.pid}) is asked to stop: the service runs it from now on; its clients reconnect\n`,
  );
  let startLock: FileLock | undefined;
  for (let i = 0; i < 100 && !startLock; i++) {
    startLock = await FileLock.tryAcquire(files.startLock).catch(() => undefined);
    if (!startLock) await delay(50);
  }
  try {
    await callControl(record.control, "shutdown", undefined, 5_000).catch(() => undefined);
    for (let i = 0; i < STOP_TIMEOUT_S * 10; i++) {
      const lock = await FileLock.tryAcquire(files.lock);
      if (lock) return lock;
      await delay(100);
    }
  } finally {
    startLock?.release();
  }
  writeStderr(
    `${NAME}: the daemon for ${path} started outside the service ${managedBy} (pid ` +
      `${record.pid}) did not stop when asked; stop it ("kill ${record.pid}"), then run ` +
      `"${restartCommandOf(managedBy)}"\n`,
  );
  return 1;
}

/** A daemon started by hand (or a proxy) while a user service is installed for its config: say so. */
async function noteInstalledService(path: string): Promise<void> {
  const unit = await installedService(canonicalConfigPath(path)).catch(() => undefined);
  if (!unit) return;
  writeStderr(
    `${NAME}: note: ${path} is installed as the user service ${unit.unit}, and this daemon runs ` +
      `outside it; "${hintCommand()} service restart${configFlag(unit)}" hands it to the service\n`,
  );
}

function select(
  config: MuxFileConfig,
  overrides: CliOverrides,
  command: DaemonCommand,
): { services: DaemonService[]; levels: Record<string, LogSettings["level"]> } {
  const selected = selectServices(config, overrides, command.filter);
  return {
    services: selected.map((s) => ({
      name: s.name,
      options: { ...s.options, ...(s.statusFile ? { statusFile: s.statusFile } : {}) },
      // An error about the socket names where to change it: --socket overrides the file's.
      ...(overrides.socket === undefined
        ? { socketFrom: `socket: in ${config.path} (service ${s.name})` }
        : {}),
    })),
    levels: Object.fromEntries(selected.map((s) => [s.name, s.logLevel])),
  };
}

function fail(error: unknown, defaultPath?: string): number {
  const missing = error instanceof ConfigError && error.cause instanceof Deno.errors.NotFound;
  if (missing && defaultPath) {
    writeStderr(
      `${NAME}: nothing to run: give --socket PATH --cmd PROGRAM for one server, or --config FILE ` +
        `(the default ${defaultPath} does not exist). Run "${hintCommand()} --help" for usage.\n`,
    );
    return 2;
  }
  return reportError(error);
}
