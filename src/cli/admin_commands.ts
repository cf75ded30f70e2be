/**
 * Commands that talk to a running mux or daemon — `status`, `restart`,
 * `stop`, `start`, `reload`, `shutdown` — and `config check`. Each prints one
 * clear outcome and returns 0 only on success.
 *
 * @module
 */

import { ConfigError } from "../config/errors.ts";
import { contextFrom, expandValue } from "../config/expand.ts";
import { readSource } from "../config/formats.ts";
import { loadConfig } from "../config/load.ts";
import { DEFAULTS, idleTimeoutFor, type ResolvedMuxOptions } from "../config/options.ts";
import { decideBeforeStart, describeSpan, ISOLATION_CAPABILITY } from "../isolation/mode.ts";
import { redact } from "../log/redact.ts";
import { selectServices } from "../config/select.ts";
import { callControl, ControlError } from "../control/client.ts";
import { reportError } from "./lifecycle.ts";
import type { DaemonStatus, ServiceStatus } from "../daemon/daemon.ts";
import { describeReload, type ReloadReport } from "../daemon/reload.ts";
import { STATUS_METHOD } from "../jsonrpc/mux_methods.ts";
import type { MuxStatus } from "../server/mux_status.ts";
import { hintCommand, shellWord } from "../paths/self_command.ts";
import { NAME } from "../version.ts";
import type { Command, ControlTarget } from "./args.ts";
import {
  canonicalConfigPath,
  daemonFiles,
  dirsEnv,
  readDaemonRecord,
} from "../daemon/daemon_files.ts";
import { configFlag, serviceUnit, startCommandOf } from "../service/manager.ts";
import { ConnectError } from "../transport/unix_client.ts";
import { configPathOf, controlPathOf } from "./daemon_command.ts";
import { writeStderr } from "./logging.ts";
import { failingServices, formatStatus, serviceOf } from "./status_view.ts";
import { watchStatus } from "./watch_command.ts";
import { writeStdout } from "./stdout.ts";

type StatusCommand = Extract<Command, { kind: "status" }>;
type ControlCommandLine = Extract<Command, { kind: "control" }>;

/** Where to send a control request: a control socket, or a single mux's socket. */
export async function resolve(
  target: ControlTarget,
): Promise<{ path: string; single: boolean; config?: string }> {
  if (target.socket) return { path: target.socket, single: true };
  if (target.control) return { path: target.control, single: false };
  const file = configPathOf(target.config);
  // The running daemon recorded where it listens: that wins over what the file says now.
  const files = daemonFiles(canonicalConfigPath(file), dirsEnv());
  const record = await readDaemonRecord(files.record);
  if (record) return { path: record.control, single: false, config: file };
  try {
    return { path: controlPathOf(await loadConfig(file)), single: false, config: file };
  } catch (error) {
    if (!(error instanceof ConfigError) || error.cause instanceof Deno.errors.NotFound) throw error;
    // The file may be broken since the daemon started, or use variables only the daemon's
    // environment has: neither must hide the daemon. Read just `daemon.control`.
    const control = await daemonControlOf(file);
    return { path: control ?? files.control, single: false, config: file };
  }
}

/** Call the daemon; "nobody listens" becomes a line that names the config and what to do. */
async function call(
  where: { path: string; config?: string },
  method: string,
  params: Record<string, unknown> | undefined,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  try {
    return await callControl(where.path, method, params, timeoutMs);
  } catch (error) {
    if (where.config && error instanceof ControlError && error.cause instanceof ConnectError) {
      throw new ControlError(
        `no daemon is running for ${where.config} (${error.cause.path}: ${error.cause.reason}); ` +
          `start it with "${hintCommand()} --config ${shellWord(where.config)}" or ` +
          `"${hintCommand()} service install${configFlagOf(where.config)}"`,
      );
    }
    throw error;
  }
}

/** ` --config FILE` for a config other than the default one (which needs no flag). */
function configFlagOf(config: string): string {
  return config === configPathOf(undefined) ? "" : ` --config ${shellWord(config)}`;
}

/** Fetch the status, as a daemon status (a single mux becomes a one-service daemon). */
async function fetchStatus(
  target: ControlTarget,
): Promise<Pick<DaemonStatus, "services"> & Partial<DaemonStatus>> {
  const where = await resolve(target);
  if (where.single) {
    const mux = await call(where, STATUS_METHOD, undefined, 5_000) as unknown as MuxStatus;
    return { services: [serviceOf(mux)] };
  }
  return await call(where, "status", undefined, 5_000) as unknown as DaemonStatus;
}

/** Keep only the services named (all when none is); throws for a name that is not there. */
function selected<T extends Pick<DaemonStatus, "services">>(status: T, names: string[]): T {
  if (names.length === 0) return status;
  const known = new Set(status.services.map((s) => s.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new ControlError(
      `unknown service ${unknown.map((n) => `"${n}"`).join(", ")}; this daemon runs: ${
        [...known].join(", ") || "none"
      }`,
    );
  }
  return { ...status, services: status.services.filter((s) => names.includes(s.name)) };
}

/**
 * `rmcp-mux status [NAME...]`: a table (or JSON); `--watch` redraws it every
 * second until Ctrl+C. Exits 1 when a selected service is failed,
 * unresponsive or could not start, so scripts can rely on it. `--watch` is a
 * live view with keys (see watch_command.ts).
 */
export async function runStatusCommand(command: StatusCommand): Promise<number> {
  if (!command.watch) {
    try {
      const status = selected(await fetchStatus(command.target), command.services);
      if (command.json) console.log(JSON.stringify(status, null, 2));
      else writeStdout(formatStatus(status, Date.now(), command.verbose));
      return failingServices(status.services).length > 0 ? 1 : 0;
    } catch (error) {
      return reportError(error);
    }
  }
  const target = command.target;
  return await watchStatus({
    fetch: async () => selected(await fetchStatus(target), command.services),
    act: (action) => act({ kind: "control", ...action, service: action.service, target }),
    controls: target.socket
      ? "keys act on a daemon: give --config FILE or --control PATH (--socket is one mux)"
      : true,
    verbose: command.verbose,
  });
}

/** Run a control command for `status --watch`: its outcome in words, never a throw. */
async function act(command: ControlCommandLine): Promise<{ text: string; ok: boolean }> {
  try {
    const { path } = await resolve(command.target);
    const params = command.service ? { service: command.service } : undefined;
    const result = await callControl(path, command.command, params, 60_000);
    return { text: describeOutcome(command, result), ok: !failedOutcome(command, result) };
  } catch (error) {
    return { text: error instanceof Error ? error.message : String(error), ok: false };
  }
}

/** `rmcp-mux restart|stop|start NAME`, `reload`, `shutdown`. */
export async function runControlCommand(command: ControlCommandLine): Promise<number> {
  try {
    const where = await resolve(command.target);
    if (where.single) {
      throw new ControlError(
        `${command.command} needs a daemon: give --config FILE or --control PATH`,
      );
    }
    const params = command.service ? { service: command.service } : undefined;
    // Before it stops: once gone, its record is too.
    const note = command.command === "shutdown" ? await serviceNote(where) : undefined;
    const result = await call(where, command.command, params, 60_000);
    const outcome = describeOutcome(command, result) + (note ? `\n${note}` : "");
    // Exit 0 only when the command achieved what it was for.
    if (failedOutcome(command, result)) {
      writeStderr(`${NAME}: ${outcome}\n`);
      return 1;
    }
    console.log(outcome);
    return 0;
  } catch (error) {
    return reportError(error);
  }
}

/**
 * For the daemon of a user service: it stays stopped until a proxy needs it
 * (the service manager restarts only a failed daemon), and how to restart it
 * instead — a daemon started beside the service would make the service's own
 * fail. `undefined` for a daemon started by hand or by a proxy.
 */
async function serviceNote(where: { path: string; config?: string }): Promise<string | undefined> {
  let config = where.config === undefined ? undefined : canonicalConfigPath(where.config);
  if (config === undefined) {
    const status = await callControl(where.path, "status", undefined, 5_000).catch(() => undefined);
    config = typeof status?.config === "string" ? canonicalConfigPath(status.config) : undefined;
  }
  if (config === undefined) return undefined;
  const record = await readDaemonRecord(daemonFiles(config, dirsEnv()).record);
  if (!record?.managedBy || record.control !== where.path) return undefined;
  const unit = serviceUnit(config);
  const flag = unit ? configFlag(unit) : ` --config ${shellWord(config)}`;
  return `it is the daemon of the user service ${record.managedBy}: it stays stopped until a ` +
    `proxy needs it or "${startCommandOf(record.managedBy)}"; to restart it (an upgrade, say), ` +
    `use "${hintCommand()} service restart${flag}" instead`;
}

function failedOutcome(command: ControlCommandLine, result: Record<string, unknown>): boolean {
  if (command.command === "reload") {
    return Object.keys((result as { errors?: Record<string, string> }).errors ?? {}).length > 0;
  }
  if (command.command === "restart" || command.command === "start") {
    // Success is a server that runs (or, with lazy start, will run when needed).
    const phase = (result as unknown as ServiceStatus).mux?.server.phase;
    return phase !== "running" && phase !== "idle";
  }
  return false;
}

function describeOutcome(command: ControlCommandLine, result: Record<string, unknown>): string {
  switch (command.command) {
    case "reload": {
      const { config, control } = command.target;
      const flags = control !== undefined
        ? ` --control ${shellWord(control)}`
        : config !== undefined
        ? ` --config ${shellWord(config)}`
        : "";
      return describeReload(result as unknown as ReloadReport, `${hintCommand()} shutdown${flags}`);
    }
    case "shutdown":
      return "daemon shutting down";
    default: {
      const s = result as unknown as ServiceStatus;
      const pid = s.mux?.server.pid ? ` (pid ${s.mux.server.pid})` : "";
      const verb = { restart: "restarted", stop: "stopped", start: "started" }[command.command];
      return `${verb} ${s.name}: ${s.state}${pid}`;
    }
  }
}

/** `rmcp-mux config check [FILE]`: validate and print the resolved services. */
export async function runConfigCheck(file: string | undefined): Promise<number> {
  const path = configPathOf(file);
  try {
    const config = await loadConfig(path);
    const services = selectServices(config, {}, {});
    const lines = [`${path}: OK, ${services.length} service${services.length === 1 ? "" : "s"}`];
    for (const warning of config.warnings) lines.push(`warning: ${warning}`);
    for (const s of services) {
      const o = s.options;
      lines.push(
        "",
        `${s.name}`,
        `  socket:  ${o.socket}`,
        `  command: ${[o.cmd, ...o.args].map((w) => quote(redact(w, o.redact))).join(" ")}`,
        ...(o.cwd ? [`  cwd:     ${o.cwd}`] : []),
        // Values may be secrets: only names are printed.
        ...(Object.keys(o.env).length
          ? [`  env:     ${Object.keys(o.env).map((k) => `${k}=***`).join(" ")}`]
          : []),
        `  limits:  ${o.maxActiveClients} clients, ${o.maxRequestBytes} request bytes, ` +
          `timeout ${o.requestTimeoutMs} ms, ${o.maxRestarts} restarts (backoff ` +
          `${o.restartBackoffMs}–${o.restartBackoffMaxMs} ms)` +
          (o.lazyStart ? ", lazy start" : "") + (o.serialize ? ", serialize" : "") +
          (o.cancelGraceMs !== DEFAULTS.cancelGraceMs
            ? `, cancel grace ${o.cancelGraceMs} ms`
            : "") +
          (o.upstreamEra !== "auto" ? `, upstream era ${o.upstreamEra}` : ""),
        `  log:     ${s.logLevel}` + (s.statusFile ? `, status file ${s.statusFile}` : ""),
        `  isolation: ${describeIsolation(o)}`,
      );
    }
    console.log(lines.join("\n"));
    console.log(`control socket: ${controlPathOf(config)}`);
    return 0;
  } catch (error) {
    return reportError(error);
  }
}

/** `roots (known server: …), idle stop after 10 min, 16 processes at most`. */
function describeIsolation(o: ResolvedMuxOptions): string {
  const decision = decideBeforeStart(o.isolation, o.cmd, o.args);
  if (!decision) {
    return "shared unless the server asks for roots or client isolation when it starts " +
      `(capabilities.experimental["${ISOLATION_CAPABILITY}"])`;
  }
  const idle = idleTimeoutFor(decision.mode, o.idleTimeoutMs);
  const extra = decision.mode === "shared"
    ? (idle > 0 ? `, stopped after ${describeSpan(idle)} without clients` : "")
    : `, at most ${o.maxProcesses} processes` +
      (idle > 0 ? `, each stopped after ${describeSpan(idle)} without clients` : "");
  return `${decision.mode} (${decision.reason})${extra}`;
}

/** `daemon.control` of a config file that does not load as a whole, if it can be read. */
async function daemonControlOf(file: string): Promise<string | undefined> {
  try {
    const { value } = readSource(await Deno.readTextFile(file), file);
    const control = (value as { daemon?: { control?: unknown } })?.daemon?.control;
    if (typeof control !== "string") return undefined;
    return expandValue(control, contextFrom(Deno.env.toObject(), Deno.env.get("HOME")));
  } catch {
    return undefined;
  }
}

function quote(word: string): string {
  return /^[\w@%+=:,./~*-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
