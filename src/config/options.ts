/**
 * Every setting of one mux, its default, and validation. The CLI, the
 * library and (later) the config file all end up here.
 *
 * @module
 */

import type { IsolationMode } from "../isolation/known_servers.ts";
import { UPSTREAM_ERA_SETTINGS, type UpstreamEraSetting } from "../router/eras.ts";
import { CANCEL_GRACE_MS, MAX_CANCEL_GRACE_MS } from "../router/cancelled_calls.ts";

export type { IsolationMode };

/** The isolation modes, in the order they are documented. */
export const ISOLATION_MODES: readonly IsolationMode[] = ["shared", "roots", "client"];

/** Settings of one mux: one server, one socket. */
export interface MuxOptions {
  /** Unix socket path the mux listens on. */
  socket: string;
  /** Server program (looked up in PATH) or path. */
  cmd: string;
  /** Server arguments. */
  args?: readonly string[];
  /** Server working directory. */
  cwd?: string;
  /** Extra environment for the server, merged over the mux's. Values are never logged. */
  env?: Readonly<Record<string, string>>;
  /** Name in logs, errors and status. Default: the socket file name up to its first dot. */
  serviceName?: string;
  /** Clients served at once; more wait up to `clientWaitMs`. Default 64. */
  maxActiveClients?: number;
  /** How long a client over the limit waits for a slot before it gets an error. Default 10 s. */
  clientWaitMs?: number;
  /**
   * Only one client's requests upstream at a time, so a server that calls
   * back (sampling, elicitation) is always calling back for that client.
   * Others wait their turn. Default false.
   */
  serialize?: boolean;
  /**
   * How long a request nobody waits for any more (its client cancelled it,
   * it timed out, or its client left) still counts as at the server when
   * the server does not answer it: meanwhile a sampling or elicitation
   * request that may be its own reaches no client, and with `serialize` the
   * next client's turn waits. 0 = no grace: such a question may reach
   * another client, and the next turn starts at once. At most
   * `MAX_CANCEL_GRACE_MS` (60 s). Default `CANCEL_GRACE_MS` (5 s).
   */
  cancelGraceMs?: number;
  /**
   * Which MCP protocol era to speak to the server: `legacy` (`initialize`,
   * up to 2025-11-25), `modern` (2026-07-28, `server/discover`) or `auto`:
   * `initialize` first, and the same process switched to 2026-07-28 when it
   * refuses as modern-only. Clients of either era are served either way.
   * Default `auto`.
   */
  upstreamEra?: UpstreamEraSetting;
  /** Start the server when the first client needs it (pings and health checks do not count) instead of at once. Default false. */
  lazyStart?: boolean;
  /** Largest message a client may send, bytes. Default 1 MiB. */
  maxRequestBytes?: number;
  /** Largest message the server may send, bytes. Default 64 MiB. */
  maxResponseBytes?: number;
  /** Bytes queued toward one client before it counts as not reading and is disconnected. Default 32 MiB. */
  maxClientBacklogBytes?: number;
  /** Fail a request the server has not answered (nor reported progress on) for this long; 0 = never. Default 300 s. */
  requestTimeoutMs?: number;
  /** First restart delay. Default 1 s. */
  restartBackoffMs?: number;
  /** Largest restart delay. Default 30 s. */
  restartBackoffMaxMs?: number;
  /** Restarts allowed within `restartWindowMs` before the service is failed; 0 = unlimited. Default 5. */
  maxRestarts?: number;
  /** Sliding window for `maxRestarts`. Default 10 min. */
  restartWindowMs?: number;
  /** Uptime after which a server counts as healthy and the backoff resets. Default 30 s. */
  healthyUptimeMs?: number;
  /** How long the server may take to answer the mux's `initialize`. Default 60 s. */
  initTimeoutMs?: number;
  /** Stop sequence: wait after closing stdin, then after SIGTERM. Default 2 s, 3 s. */
  stopGraceMs?: number;
  /** See `stopGraceMs`. */
  stopTermMs?: number;
  /** On shutdown, how long in-flight requests may finish. Default 2 s. */
  shutdownGraceMs?: number;
  /**
   * The liveness probe: when the server has requests in flight and has
   * written nothing for `heartbeatTimeoutMs`, the mux pings it. Default true.
   */
  heartbeatEnabled?: boolean;
  /** Silence before a ping, and how long each ping may take. Default 30 s. */
  heartbeatTimeoutMs?: number;
  /** Unanswered pings in a row before the server is reported unresponsive. Default 3. */
  heartbeatMaxFailures?: number;
  /** Restart an unresponsive server (its requests in flight fail). Default false: only report it. */
  heartbeatRestart?: boolean;
  /**
   * `shared`: one process for every client. `roots`: one process per distinct
   * set of client roots (clients with the same roots share it; clients
   * without roots share one). `client`: one process per client. Default: the
   * built-in table of well-known servers, else the server's own preference
   * (declared in `initialize`), else `shared`.
   */
  isolation?: IsolationMode;
  /** Most processes one service runs at once (`roots`/`client`); a client beyond gets an error. Default 16. */
  maxProcesses?: number;
  /**
   * Stop a process that has had no client for this long; it starts again when
   * needed. 0 = never. Default: 10 min for `roots`/`client` processes, never for `shared`.
   */
  idleTimeoutMs?: number;
  /** Write the status snapshot to this JSON file (atomically, only on change). */
  statusFile?: string;
  /**
   * Strings never to show where the command line is displayed (logs, `config check`):
   * secrets passed as arguments. The config loader fills it with the values of the
   * variables a command line used; they appear as `***`.
   */
  redact?: readonly string[];
}

/** {@link MuxOptions} with every default filled in. */
export type ResolvedMuxOptions =
  & Required<
    Omit<MuxOptions, "cwd" | "env" | "statusFile" | "redact" | "isolation" | "idleTimeoutMs">
  >
  & {
    cwd: string | undefined;
    env: Readonly<Record<string, string>>;
    statusFile: string | undefined;
    redact: readonly string[];
    /** `undefined`: not set; decided from the known-servers table or the server itself. */
    isolation: IsolationMode | undefined;
    /** `undefined`: not set; the mode's default applies ({@link idleTimeoutFor}). */
    idleTimeoutMs: number | undefined;
  };

/** How long a process may go without clients before it is stopped, when not set: per mode. */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;

/** The idle timeout in effect for a mode (0 = never). */
export function idleTimeoutFor(mode: IsolationMode, configured: number | undefined): number {
  return configured ?? (mode === "shared" ? 0 : DEFAULT_IDLE_TIMEOUT_MS);
}

/** Defaults of every optional setting. */
export const DEFAULTS = {
  maxActiveClients: 64,
  clientWaitMs: 10_000,
  lazyStart: false,
  serialize: false,
  cancelGraceMs: CANCEL_GRACE_MS,
  upstreamEra: "auto" as UpstreamEraSetting,
  maxRequestBytes: 1024 * 1024,
  maxResponseBytes: 64 * 1024 * 1024,
  maxClientBacklogBytes: 32 * 1024 * 1024,
  requestTimeoutMs: 300_000,
  restartBackoffMs: 1_000,
  restartBackoffMaxMs: 30_000,
  maxRestarts: 5,
  restartWindowMs: 600_000,
  healthyUptimeMs: 30_000,
  initTimeoutMs: 60_000,
  stopGraceMs: 2_000,
  stopTermMs: 3_000,
  shutdownGraceMs: 2_000,
  heartbeatEnabled: true,
  heartbeatTimeoutMs: 30_000,
  heartbeatMaxFailures: 3,
  heartbeatRestart: false,
  maxProcesses: 16,
} as const;

/** The settings that are true or false. */
const BOOLEAN_KEYS: ReadonlySet<string> = new Set([
  "lazyStart",
  "serialize",
  "heartbeatEnabled",
  "heartbeatRestart",
]);

/** A setting with an invalid value. */
export class OptionError extends Error {
  /** Always `"OptionError"`. */
  override name = "OptionError";
}

/**
 * The service name a socket path implies: `~/x/github.sock` → `github`.
 *
 * @example
 * ```ts
 * import { serviceNameFromSocket } from "@rmcp-mux/mux";
 * console.log(serviceNameFromSocket("/run/mcp/github.sock")); // github
 * ```
 */
export function serviceNameFromSocket(socket: string): string {
  const file = socket.split("/").pop() ?? "";
  // Characters a service name may not hold (see resolveOptions) become "-".
  const stem = (file.split(".")[0] ?? "").replace(/[^\w@-]+/g, "-");
  return stem === "" ? "rmcp-mux" : stem;
}

const minimums: Partial<Record<keyof typeof DEFAULTS, number>> = {
  maxActiveClients: 1,
  maxRequestBytes: 64,
  maxResponseBytes: 64,
  maxClientBacklogBytes: 1024,
  restartBackoffMs: 1,
  restartBackoffMaxMs: 1,
  initTimeoutMs: 1,
  heartbeatTimeoutMs: 1,
  heartbeatMaxFailures: 1,
  maxProcesses: 1,
};

/** Settings with a largest value too, and the constant that names it (said when exceeded). */
const maximums: Partial<Record<keyof typeof DEFAULTS, [max: number, name: string]>> = {
  cancelGraceMs: [MAX_CANCEL_GRACE_MS, "MAX_CANCEL_GRACE_MS"],
};

/**
 * Fill in defaults and check every value; throws {@link OptionError} naming the setting.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "@rmcp-mux/mux";
 * const options = resolveOptions({ socket: "/tmp/x/github.sock", cmd: "github-mcp" });
 * console.log(options.serviceName, options.maxActiveClients); // github 64
 * ```
 */
export function resolveOptions(options: MuxOptions): ResolvedMuxOptions {
  if (typeof options.socket !== "string" || options.socket === "") {
    throw new OptionError("socket: a Unix socket path is required");
  }
  if (typeof options.cmd !== "string" || options.cmd.trim() === "") {
    throw new OptionError("cmd: the server command is required");
  }
  const resolved = {
    ...DEFAULTS,
    ...withoutUndefined(options),
    args: [...(options.args ?? [])],
    cwd: options.cwd,
    env: { ...(options.env ?? {}) },
    statusFile: options.statusFile,
    redact: [...(options.redact ?? [])],
    serviceName: options.serviceName ?? serviceNameFromSocket(options.socket),
    isolation: options.isolation,
    idleTimeoutMs: options.idleTimeoutMs,
  } as ResolvedMuxOptions;
  if (resolved.isolation !== undefined && !ISOLATION_MODES.includes(resolved.isolation)) {
    throw new OptionError(
      `isolation: expected one of ${ISOLATION_MODES.join(", ")}, got ${
        JSON.stringify(resolved.isolation)
      }`,
    );
  }
  const idle = resolved.idleTimeoutMs;
  if (idle !== undefined && (typeof idle !== "number" || !Number.isSafeInteger(idle) || idle < 0)) {
    throw new OptionError(
      `idleTimeoutMs: expected a whole number ≥ 0, got ${JSON.stringify(idle)}`,
    );
  }
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const value = resolved[key];
    if (key === "upstreamEra") {
      if (!UPSTREAM_ERA_SETTINGS.includes(value as UpstreamEraSetting)) {
        throw new OptionError(
          `upstreamEra: expected one of ${UPSTREAM_ERA_SETTINGS.join(", ")}, got ${
            JSON.stringify(value)
          }`,
        );
      }
      continue;
    }
    if (BOOLEAN_KEYS.has(key)) {
      if (typeof value !== "boolean") throw new OptionError(`${key}: expected true or false`);
      continue;
    }
    const min = minimums[key] ?? 0;
    const [max, maxName] = maximums[key] ?? [Number.MAX_SAFE_INTEGER, ""];
    if (
      typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max
    ) {
      const range = maxName ? `from ${min} to ${max} (${maxName})` : `≥ ${min}`;
      throw new OptionError(
        `${key}: expected a whole number ${range}, got ${
          typeof value === "number" ? String(value) : JSON.stringify(value)
        }`,
      );
    }
  }
  if (resolved.restartBackoffMaxMs < resolved.restartBackoffMs) {
    throw new OptionError(
      `restartBackoffMaxMs (${resolved.restartBackoffMaxMs}) must be ≥ restartBackoffMs ` +
        `(${resolved.restartBackoffMs})`,
    );
  }
  if (!/^[\w.@-]+$/.test(resolved.serviceName)) {
    throw new OptionError(
      `serviceName: "${resolved.serviceName}" may only contain letters, digits, ".", "_", "-", "@"`,
    );
  }
  return resolved;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
