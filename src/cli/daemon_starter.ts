/**
 * Starting a config's daemon when none answers, one starter at a time (a
 * `flock` on the config's start lock): through its user service when one is
 * installed for that config — the service owns the daemon, and one started
 * beside it would make the service's own fail — else, or when the service
 * manager cannot be reached, detached in its own session, logging to a file
 * in the state directory.
 *
 * Lean like the proxy: no config parser (the daemon reads the file), no
 * logger, no option library.
 *
 * @module
 */

import { type DaemonFiles, readDaemonRecord } from "../daemon/daemon_files.ts";
import { FileLock } from "../paths/file_lock.ts";
import { dirOf, ensurePrivateDir } from "../paths/private_dir.ts";
import {
  exitReason,
  installedService,
  managerState,
  serviceLogs,
  type ServiceUnit,
  startCommand,
  startThroughManager,
} from "../service/manager.ts";
import { connectUnix } from "../transport/unix_client.ts";
import { hintCommand, shellWord } from "../paths/self_command.ts";

/** How long a proxy waits for a daemon (its own start, or another proxy's) to answer. */
export const DAEMON_START_TIMEOUT_MS = 30_000;
/** How long one control request may take before the daemon counts as not answering. */
const CONTROL_TIMEOUT_MS = 2_000;

/** The daemon could not be found or started, or the service is not there; one line says why. */
export class DaemonStartError extends Error {
  override name = "DaemonStartError";
}

/** Starts the config's daemon when none answers, one proxy at a time. */
export class DaemonStarter {
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
          return await this.#answering() ?? await this.#start(deadline);
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

  /**
   * Start the daemon: through its user service when one is installed for this
   * config (the service owns it: a daemon beside it would make the service's
   * own fail), else — or when the service manager cannot be reached — detached.
   */
  async #start(deadline: number): Promise<string> {
    const unit = await installedService(this.#config);
    if (!unit) return await this.#spawn(deadline, "");
    const failed = await startThroughManager(unit);
    if (failed) return await this.#spawn(deadline, ` outside its service ${unit.unit}: ${failed}`);
    const logs = serviceLogs(unit, this.#files.log);
    this.#notice(
      `started the daemon for ${this.#config} through its service ` +
        `(${startCommand(unit).join(" ")}; logs: ${logs})`,
    );
    return await this.#waitForService(unit, logs, deadline);
  }

  /**
   * Until the service's daemon answers. Its manager is asked every second
   * whether it still runs: failed is one line with the daemon's own reason;
   * stopped cleanly (the start met a daemon that was shutting down, and did
   * nothing) is started again.
   */
  async #waitForService(unit: ServiceUnit, logs: string, deadline: number): Promise<string> {
    let asked = Date.now();
    for (let wait = 25;; wait = Math.min(wait * 2, 250)) {
      const control = await this.#answering();
      if (control) return control;
      if (Date.now() - asked >= 1_000) {
        const state = await managerState(unit);
        asked = Date.now();
        if (state === "stopped") {
          const failed = await startThroughManager(unit);
          if (failed) {
            throw new DaemonStartError(`cannot start the daemon for ${this.#config}: ${failed}`);
          }
        } else if (state === "failed") {
          const why = await exitReason(unit, this.#files.log);
          // Lost a race with a daemon started by someone else? Then it answers soon.
          if (/already running/.test(why)) return await this.ensure(deadline);
          throw new DaemonStartError(
            `the daemon for ${this.#config} (service ${unit.unit}) exited at start` +
              `${why ? `: ${why}` : ""}; see ${logs}`,
          );
        }
      }
      if (Date.now() >= deadline) {
        throw new DaemonStartError(
          `the service ${unit.unit} started, but its daemon for ${this.#config} did not answer ` +
            `within ${DAEMON_START_TIMEOUT_MS / 1000} s; see ${logs}`,
        );
      }
      await sleep(wait);
    }
  }

  /** Start the daemon detached; `why` (may be empty) ends the notice line. */
  async #spawn(deadline: number, why: string): Promise<string> {
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
      `started the daemon for ${this.#config} (pid ${child.pid}; log ${this.#files.log})${why}`,
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

/** The command that runs this rmcp-mux: the compiled binary, or Deno with this `main.ts`. */
function selfArgs(): string[] {
  const exec = Deno.execPath();
  if (!/^deno(\.exe)?$/.test(exec.slice(exec.lastIndexOf("/") + 1))) return [];
  const main = new URL("../../main.ts", import.meta.url);
  return ["run", "-A", main.protocol === "file:" ? decodeURIComponent(main.pathname) : main.href];
}

/** One JSON-RPC request on a control socket; `undefined` if no answer in time. */
export async function controlRequest(
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
