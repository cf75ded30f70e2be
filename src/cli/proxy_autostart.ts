/**
 * `rmcp-mux proxy --service NAME [--config FILE]` (and `--socket S --config
 * FILE`): find the config's daemon, or start it — detached, in its own
 * session, logging to a file in the state directory — and connect to the
 * service's socket. Ten proxies starting at once start exactly one daemon:
 * a `flock` on the config's start lock picks the one that spawns it, and the
 * daemon's own lock refuses any second one.
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
import { FileLock } from "../paths/file_lock.ts";
import { dirOf, ensurePrivateDir } from "../paths/private_dir.ts";
import { connectUnix } from "../transport/unix_client.ts";
import { hintCommand, shellWord } from "../paths/self_command.ts";
import type { ProxyCommand } from "./proxy_args.ts";

/** How long a proxy waits for a daemon (its own start, or another proxy's) to answer. */
export const DAEMON_START_TIMEOUT_MS = 30_000;
/** How long one control request may take before the daemon counts as not answering. */
const CONTROL_TIMEOUT_MS = 2_000;

/** The daemon could not be found or started, or the service is not there; one line says why. */
export class DaemonStartError extends Error {
  override name = "DaemonStartError";
}

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

/** Starts the config's daemon when none answers, one proxy at a time. */
class DaemonStarter {
  readonly #config: string;
  readonly #files: DaemonFiles;
  readonly #notice: (line: string) => void;

  constructor(config: string, files: DaemonFiles, notice: (line: string) => void) {
    this.#config = config;
    this.#files = files;
    this.#notice = notice;
  }

  /** The control socket of a daemon that answers, starting one if needed. */
  async ensure(deadline: number): Promise<string> {
    for (let wait = 25;; wait = Math.min(wait * 2, 500)) {
      const control = await this.#answering();
      if (control) return control;
      const lock = await this.#tryLock();
      if (lock) {
        try {
          // Another proxy may have started it while we took the lock.
          return await this.#answering() ?? await this.#spawn(deadline);
        } finally {
          lock.release(true);
        }
      }
      if (Date.now() >= deadline) {
        throw new DaemonStartError(
          `no daemon for ${this.#config} answered within ${DAEMON_START_TIMEOUT_MS / 1000} s; ` +
            `see ${this.#files.log}`,
        );
      }
      await sleep(wait); // another proxy is starting it
    }
  }

  /** The control socket of the recorded daemon, if it answers. */
  async #answering(): Promise<string | undefined> {
    const record = await readDaemonRecord(this.#files.record);
    if (!record) return undefined;
    const answer = await controlRequest(record.control, "status").catch(() => undefined);
    return answer?.result ? record.control : undefined;
  }

  async #tryLock(): Promise<FileLock | undefined> {
    try {
      await ensurePrivateDir(dirOf(this.#files.startLock), "runtime");
      return await FileLock.tryAcquire(this.#files.startLock);
    } catch (error) {
      throw new DaemonStartError((error as Error).message);
    }
  }

  async #spawn(deadline: number): Promise<string> {
    try {
      await Deno.stat(this.#config);
    } catch {
      throw new DaemonStartError(
        `no daemon for ${this.#config} is running and the file does not exist; ` +
          `create it (\`${hintCommand()} scan --write-config ${shellWord(this.#config)}\` ` +
          "writes one from your MCP hosts' servers; see config.example.yaml) or give --config FILE",
      );
    }
    try {
      await ensurePrivateDir(dirOf(this.#files.log), "state");
    } catch (error) {
      throw new DaemonStartError((error as Error).message);
    }
    const child = new Deno.Command(Deno.execPath(), {
      args: [...selfArgs(), "--config", this.#config, "--log-file", this.#files.log],
      cwd: Deno.env.get("HOME") || "/",
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true, // its own session: it outlives this proxy and its host
    }).spawn();
    child.unref();
    let exited: Deno.CommandStatus | undefined;
    child.status.then((status) => exited = status, () => {});
    this.#notice(
      `started the daemon for ${this.#config} (pid ${child.pid}; log ${this.#files.log})`,
    );
    for (let wait = 25;; wait = Math.min(wait * 2, 250)) {
      const control = await this.#answering();
      if (control) return control;
      if (exited) {
        // Lost a race with a daemon started by someone else? Then it answers soon.
        const tail = await lastLogLine(this.#files.log);
        if (/already running/.test(tail)) return await this.ensure(deadline);
        throw new DaemonStartError(
          `the daemon for ${this.#config} exited at start (exit code ${exited.code}): ${tail}`,
        );
      }
      if (Date.now() >= deadline) {
        throw new DaemonStartError(
          `the daemon for ${this.#config} (pid ${child.pid}) did not answer within ` +
            `${DAEMON_START_TIMEOUT_MS / 1000} s; see ${this.#files.log}`,
        );
      }
      await sleep(wait);
    }
  }
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

/** The command that runs this rmcp-mux: the compiled binary, or Deno with this `main.ts`. */
function selfArgs(): string[] {
  const exec = Deno.execPath();
  if (!/^deno(\.exe)?$/.test(exec.slice(exec.lastIndexOf("/") + 1))) return [];
  const main = new URL("../../main.ts", import.meta.url);
  return ["run", "-A", main.protocol === "file:" ? decodeURIComponent(main.pathname) : main.href];
}

/** One JSON-RPC request on a control socket; `undefined` if no answer in time. */
async function controlRequest(
  path: string,
  method: string,
): Promise<Record<string, unknown> | undefined> {
  const conn = await connectUnix(path);
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }, CONTROL_TIMEOUT_MS);
  try {
    await conn.write(new TextEncoder().encode(`{"jsonrpc":"2.0","id":1,"method":"${method}"}\n`));
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    let text = "";
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) return undefined;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
      const nl = text.indexOf("\n");
      if (nl !== -1) return JSON.parse(text.slice(0, nl));
    }
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer.
    }
  }
}

async function lastLogLine(path: string): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").pop()?.replace(/^rmcp-mux: /, "") ?? "";
  } catch {
    return `(no log at ${path})`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
