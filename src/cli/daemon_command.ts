/**
 * `rmcp-mux --config FILE`: the daemon. Loads the file, starts every selected
 * service, listens on the control socket, reloads on SIGHUP, and stops
 * cleanly on SIGINT/SIGTERM or a `shutdown` command.
 *
 * @module
 */

import { defaultConfigPath } from "../config/default_path.ts";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { type CliOverrides, selectServices } from "../config/select.ts";
import type { MuxFileConfig } from "../config/types.ts";
import { ControlServer } from "../control/server.ts";
import { controlSocketFor } from "../daemon/control_path.ts";
import { Daemon, type DaemonService } from "../daemon/daemon.ts";
import { muxLogger } from "../log/logger.ts";
import { prepareStatusFile, StatusFileWriter } from "../server/status_file.ts";
import { NAME } from "../version.ts";
import type { Command, LogSettings } from "./args.ts";
import { reportError, SignalScope } from "./lifecycle.ts";
import { setupLogging, writeStderr } from "./logging.ts";

type DaemonCommand = Extract<Command, { kind: "daemon" }>;

/** Where the config file is: the one given, else the default location. */
export function configPathOf(given: string | undefined): string {
  return given ?? defaultConfigPath(Deno.env.toObject(), Deno.env.get("HOME") ?? "");
}

/** The config's control socket: `--control`, else `daemon.control`, else beside the file. */
export function controlPathOf(config: MuxFileConfig, given?: string): string {
  return given ?? config.daemon.control ?? controlSocketFor(config.path);
}

/** Run the daemon until it is told to stop. Returns the exit code. */
export async function runDaemonCommand(command: DaemonCommand): Promise<number> {
  // Installed first: a signal during start-up must not leave sockets behind.
  using signals = new SignalScope("reload");
  const path = configPathOf(command.config);
  const overrides: CliOverrides = { ...command.overrides };
  if (command.log.level) overrides.logLevel = command.log.level;
  let config: MuxFileConfig;
  let services: DaemonService[];
  let levels: Record<string, LogSettings["level"]>;
  try {
    config = await loadConfig(path);
    ({ services, levels } = select(config, overrides, command));
    if (config.daemon.statusFile) await prepareStatusFile(config.daemon.statusFile);
  } catch (error) {
    return fail(error, command.config === undefined ? path : undefined);
  }
  const log: LogSettings = {
    level: command.log.level ?? config.daemon.logLevel ?? "info",
    format: command.log.format ?? config.daemon.logFormat ?? "text",
  };
  setupLogging(log, command.log.level ? {} : levels);
  const logger = muxLogger("server");
  for (const warning of config.warnings) logger.warn("{warning}", { warning });
  const daemon = await Daemon.start({
    services,
    config: path,
    control: controlPathOf(config, command.control),
    reload: async () => {
      const fresh = await loadConfig(path);
      for (const warning of fresh.warnings) logger.warn("{warning}", { warning });
      return select(fresh, overrides, command).services;
    },
  });
  if (daemon.status().services.every((s) => s.state === "error")) {
    writeStderr(`${NAME}: no service could start; see the errors above\n`);
    await daemon.close();
    return 1;
  }
  let control: ControlServer;
  try {
    control = await ControlServer.start(
      controlPathOf(config, command.control),
      daemon,
      () => void daemon.close(),
    );
  } catch (error) {
    await daemon.close();
    return fail(error);
  }
  logger.info("Daemon running {count} services; control socket {path}", {
    count: services.length,
    path: control.path,
  });
  const statusFile = config.daemon.statusFile
    ? new StatusFileWriter(config.daemon.statusFile, () => daemon.status(), logger)
    : undefined;
  const reload = () => {
    daemon.reload().catch((error) =>
      logger.error("Reload refused, the running configuration stays: {error}", {
        error: error instanceof Error ? error.message : String(error),
      })
    );
  };
  signals.atForcedExit(() => {
    daemon.terminateNow();
    control.terminateNow();
  });
  signals.onReload(reload);
  signals.onStop(() => void daemon.close());
  await signals.until(daemon.closed);
  await control.close();
  await statusFile?.close();
  return 0;
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
    })),
    levels: Object.fromEntries(selected.map((s) => [s.name, s.logLevel])),
  };
}

function fail(error: unknown, defaultPath?: string): number {
  const missing = error instanceof ConfigError && error.cause instanceof Deno.errors.NotFound;
  if (missing && defaultPath) {
    writeStderr(
      `${NAME}: nothing to run: give --socket PATH --cmd PROGRAM for one server, or --config FILE ` +
        `(the default ${defaultPath} does not exist). Run "${NAME} --help" for usage.\n`,
    );
    return 2;
  }
  return reportError(error);
}
