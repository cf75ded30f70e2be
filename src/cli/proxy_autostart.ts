/**
 * `rmcp-mux proxy --service NAME [--config FILE]` (and `--socket S --config
 * FILE`): find the config's daemon, or start it — through its user service
 * when one is installed for that config (`systemctl --user start`,
 * `launchctl kickstart`), else detached, in its own session, logging to a
 * file in the state directory — and connect to the service's socket. Ten
 * proxies starting at once start exactly one daemon: a `flock` on the
 * config's start lock picks the one that starts it, and the daemon's own
 * lock refuses any second one (daemon_starter.ts).
 *
 * Lean like the proxy: no config parser (the daemon reads the file), no
 * logger, no option library.
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
import { connectUnix } from "../transport/unix_client.ts";
import { hintCommand, shellWord } from "../paths/self_command.ts";
import {
  controlRequest,
  DAEMON_START_TIMEOUT_MS,
  DaemonStarter,
  DaemonStartError,
  sleep,
} from "./daemon_starter.ts";
import type { ProxyCommand } from "./proxy_args.ts";

export { DAEMON_START_TIMEOUT_MS, DaemonStartError } from "./daemon_starter.ts";

/** What the proxy connects to: a label for messages and a connector (used again to reconnect). */
export interface DaemonTarget {
  label: string;
  connect: () => Promise<Deno.Conn>;
}

/**
 * Find or start the daemon of `command.config` (default: the default config
 * file), then wait until the service's socket accepts a connection. The
 * connector it returns finds the socket again on every reconnect (a reload
 * may have moved it) and starts the daemon again if it is gone.
 */
export async function findOrStartDaemon(
  command: ProxyCommand,
  notice: (line: string) => void,
): Promise<DaemonTarget> {
  const home = Deno.env.get("HOME") ?? "";
  const config = canonicalConfigPath(
    command.config ?? defaultConfigPath(Deno.env.toObject(), home),
  );
  let files: DaemonFiles;
  try {
    files = daemonFiles(config, dirsEnv());
  } catch (error) {
    throw new DaemonStartError((error as Error).message);
  }
  const starter = new DaemonStarter(config, files, notice);
  // With --service the daemon says where the socket is now (a reload may have moved it).
  const socketOf = command.service !== undefined
    ? (control: string) => serviceSocket(control, command.service!, config)
    : () => Promise.resolve(command.socket!);
  let found: { control: string; socket: string } | undefined;
  const open = async (deadline: number): Promise<Deno.Conn> => {
    if (command.socket !== undefined) {
      // The socket is named: only if nobody answers there is the daemon needed.
      try {
        return await connectUnix(command.socket);
      } catch {
        // Not there (yet): find or start the daemon.
      }
    }
    const control = await starter.ensure(deadline);
    const socket = await socketOf(control);
    let conn: Deno.Conn;
    try {
      conn = await connectUnix(socket);
    } catch (error) {
      // A socket no service of the daemon has will never answer: say so now, not in 30 s.
      if (command.service === undefined) await refuseUnknownSocket(control, socket, config);
      throw error;
    }
    found = { control, socket };
    return conn;
  };
  // The first connection waits for the daemon and its socket; later ones are
  // single attempts (the proxy's reconnect loop retries them).
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
  let first: Deno.Conn | undefined;
  let lastError = "";
  for (let wait = 25; first === undefined; wait = Math.min(wait * 2, 500)) {
    try {
      first = await open(deadline);
    } catch (error) {
      if (error instanceof DaemonStartError) throw error;
      lastError = (error as Error).message;
      if (Date.now() >= deadline) {
        throw new DaemonStartError(
          `the daemon for ${config} runs, but ${lastError}; see ` +
            `${hintCommand()} status --config ${shellWord(config)}`,
        );
      }
      await sleep(wait);
    }
  }
  // A daemon just found through its control socket (most often just started):
  // its server may still be starting, and a probe then gets -32601 at once,
  // which a client pinned to 2026-07-28 cannot fall back from. Bridge once it
  // is past "starting" (bounded; lazy, failed and running servers pass at once).
  if (found) await untilStarted(found.control, command.service, found.socket, deadline);
  const label = command.socket ?? `service "${command.service}" of ${config}`;
  return {
    label,
    connect: () => {
      const conn = first;
      first = undefined;
      return conn ? Promise.resolve(conn) : open(Date.now() + DAEMON_START_TIMEOUT_MS);
    },
  };
}

/**
 * The control socket of the daemon running `config` (canonical path), starting
 * it — exactly as a proxy would — when none answers. `started` tells which.
 * Throws {@link DaemonStartError} with one line.
 */
export async function ensureDaemon(
  config: string,
  notice: (line: string) => void = () => {},
): Promise<{ control: string; started: boolean }> {
  let files: DaemonFiles;
  try {
    files = daemonFiles(config, dirsEnv());
  } catch (error) {
    throw new DaemonStartError((error as Error).message);
  }
  let started = false;
  const starter = new DaemonStarter(config, files, (line) => {
    started = true;
    notice(line);
  });
  const control = await starter.ensure(Date.now() + DAEMON_START_TIMEOUT_MS);
  return { control, started };
}

/** The control socket of the daemon running `config`, if one answers. */
export async function runningDaemon(config: string): Promise<string | undefined> {
  const record = await readDaemonRecord(daemonFiles(config, dirsEnv()).record);
  if (!record) return undefined;
  const answer = await controlRequest(record.control, "status").catch(() => undefined);
  return answer?.result ? record.control : undefined;
}

/** The socket of `service`, from the daemon's status. */
async function serviceSocket(control: string, service: string, config: string): Promise<string> {
  const answer = await controlRequest(control, "status");
  const services = (answer?.result as { services?: ServiceInfo[] } | undefined)?.services ?? [];
  const found = services.find((s) => s.name === service);
  if (!found) {
    throw new DaemonStartError(
      `no service "${service}" in ${config}; it runs: ${
        services.map((s) => s.name).join(", ") || "none"
      }`,
    );
  }
  if (found.state === "stopped") {
    throw new DaemonStartError(
      `service "${service}" is stopped; start it with ` +
        `"${hintCommand()} start ${shellWord(service)} --config ${shellWord(config)}"`,
    );
  }
  if (found.state === "error") {
    throw new DaemonStartError(`service "${service}" could not start: ${found.error}`);
  }
  return found.socket;
}

/**
 * Throw {@link DaemonStartError} if no service of the daemon at `control`
 * listens on `socket` (compared with symlinks in the directories resolved).
 * Returns quietly when the status cannot be had: the caller waits as before.
 */
async function refuseUnknownSocket(control: string, socket: string, config: string) {
  const answer = await controlRequest(control, "status");
  const services = (answer?.result as { services?: ServiceInfo[] } | undefined)?.services;
  if (!services) return;
  const wanted = await resolvedSocket(socket);
  for (const service of services) {
    if (service.socket === socket || await resolvedSocket(service.socket) === wanted) return;
  }
  throw new DaemonStartError(
    `no service of ${config} listens on ${socket}; its services: ${
      services.map((s) => `${s.name} (${s.socket})`).join(", ") || "none"
    }; fix the host's --socket or the config, or name the service (--service NAME)`,
  );
}

/** `path` with its directory's symlinks resolved (as it is when that fails). */
async function resolvedSocket(path: string): Promise<string> {
  const slash = path.lastIndexOf("/");
  try {
    return `${await Deno.realPath(path.slice(0, slash) || "/")}${path.slice(slash)}`;
  } catch {
    return path;
  }
}

/** Until the service (by name, else by socket) is past "starting", or `deadline`. */
async function untilStarted(
  control: string,
  service: string | undefined,
  socket: string,
  deadline: number,
): Promise<void> {
  for (let wait = 25; Date.now() < deadline; wait = Math.min(wait * 2, 250)) {
    const answer = await controlRequest(control, "status");
    const services = (answer?.result as { services?: ServiceInfo[] } | undefined)?.services;
    const info = services?.find((s) =>
      service !== undefined ? s.name === service : s.socket === socket
    );
    if (info?.state !== "starting") return;
    await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
  }
}

interface ServiceInfo {
  name: string;
  socket: string;
  state: string;
  error?: string;
}
