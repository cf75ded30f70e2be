/**
 * The config file's shape, once: a zod schema that validates files and
 * generates the JSON Schema shipped at `docs/config.schema.json`, plus the
 * table mapping the file's snake_case keys (the Rust rmcp-mux's names) to
 * {@link MuxOptions} fields.
 *
 * @module
 */

import { z } from "zod";
import { HTTP_DEFAULTS } from "../http/options.ts";
import type { FileData } from "./file_data.ts";
import { LOG_LEVELS } from "./log_settings.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULTS,
  ISOLATION_MODES,
  type IsolationMode,
  type MuxOptions,
} from "./options.ts";
import { UPSTREAM_ERA_SETTINGS } from "../router/eras.ts";
import { MAX_CANCEL_GRACE_MS } from "../router/cancelled_calls.ts";

export type { DaemonData, FileData, HttpData, ServerData, SharedData } from "./file_data.ts";

/** What a service name (a key under `servers:`, or `service_name`) may hold. */
export const SERVICE_NAME_PATTERN: RegExp = /^[\w.@-]+$/;

/** Message for a service name that does not match {@link SERVICE_NAME_PATTERN}. */
export const SERVICE_NAME_RULE = 'a service name: letters, digits, ".", "_", "-", "@"';

/**
 * Keys the Rust rmcp-mux reads that this mux has no use for, with the reason
 * each is ignored. They load (with a warning) so Rust configs keep working.
 */
export const IGNORED_RUST_KEYS: Readonly<Record<string, string>> = {
  tray: "the Rust rmcp-mux's tray icon is not supported",
  heartbeat_interval_ms: "the liveness probe pings only a server that has requests in flight " +
    "and has been silent for heartbeat_timeout_ms, not on a timer",
};

/** Server-entry keys that belong to one server and so may not appear under `defaults:`. */
export const PER_SERVER_KEYS: readonly string[] = [
  "socket",
  "cmd",
  "args",
  "service_name",
  "status_file",
];

/** Server-entry keys that map one-to-one onto a {@link MuxOptions} field. */
export const OPTION_KEYS: Readonly<Record<string, keyof MuxOptions>> = {
  socket: "socket",
  cmd: "cmd",
  args: "args",
  cwd: "cwd",
  env: "env",
  service_name: "serviceName",
  max_active_clients: "maxActiveClients",
  client_wait_ms: "clientWaitMs",
  lazy_start: "lazyStart",
  serialize: "serialize",
  upstream_era: "upstreamEra",
  max_request_bytes: "maxRequestBytes",
  max_response_bytes: "maxResponseBytes",
  request_timeout_ms: "requestTimeoutMs",
  cancel_grace_ms: "cancelGraceMs",
  restart_backoff_ms: "restartBackoffMs",
  restart_backoff_max_ms: "restartBackoffMaxMs",
  max_restarts: "maxRestarts",
  status_file: "statusFile",
  heartbeat_enabled: "heartbeatEnabled",
  heartbeat_timeout_ms: "heartbeatTimeoutMs",
  heartbeat_max_failures: "heartbeatMaxFailures",
  heartbeat_restart: "heartbeatRestart",
  isolation: "isolation",
  max_processes: "maxProcesses",
  idle_timeout_ms: "idleTimeoutMs",
};

function wholeNumber(min: number, what: string, fallback: number): z.ZodType<number> {
  const expected = `expected a whole number ≥ ${min}`;
  return z.int({ error: expected }).min(min, { error: expected })
    .meta({ description: what, default: fallback });
}

function flag(what: string, fallback: boolean): z.ZodType<boolean> {
  return z.boolean({ error: "expected true or false" }).meta({
    description: what,
    default: fallback,
  });
}

function path(what: string): z.ZodType<string> {
  return z.string({ error: "expected a path (a string)" })
    .min(1, { error: "expected a path, not an empty string" })
    .meta({ description: `${what} A leading ~ and \${VAR} / \${VAR:-default} are expanded.` });
}

const logLevel = z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` });

function ignored(key: string): z.ZodType<unknown> {
  const description = `Rust rmcp-mux only; accepted and ignored with a warning: ` +
    `${IGNORED_RUST_KEYS[key]}.`;
  return z.unknown().optional().meta({ deprecated: true, description });
}

const CANCEL_GRACE_RANGE = `expected a whole number from 0 to ${MAX_CANCEL_GRACE_MS}`;

/** Keys allowed both in a server entry and under `defaults:`. */
const sharedKeys = {
  cwd: path("Working directory of the server process.").optional(),
  env: z.record(
    z.string().regex(/^[^=\0]+$/, { error: 'expected a variable name (without "=")' }),
    z.string({ error: "expected a string (quote numbers and booleans)" }),
    { error: "expected a mapping of variable names to strings" },
  ).meta({
    description: "Extra environment for the server, merged over the daemon's. Values are never " +
      "logged; ${VAR} / ${VAR:-default} are expanded. Under defaults: merged per variable.",
  }).optional(),
  max_active_clients: wholeNumber(
    1,
    "Clients served at once; one more waits up to client_wait_ms. CLI: --max-active-clients.",
    DEFAULTS.maxActiveClients,
  ).optional(),
  client_wait_ms: wholeNumber(
    0,
    "How long a client over max_active_clients waits for a slot before it gets an error. " +
      "CLI: --client-wait-ms.",
    DEFAULTS.clientWaitMs,
  ).optional(),
  lazy_start: flag(
    "Start the server when a client first needs it, not at startup. CLI: --lazy-start.",
    DEFAULTS.lazyStart,
  ).optional(),
  serialize: flag(
    "One client's requests upstream at a time, so server-to-client requests reach the right " +
      "client. CLI: --serialize.",
    DEFAULTS.serialize,
  ).optional(),
  upstream_era: z.enum(UPSTREAM_ERA_SETTINGS, {
    error: `expected one of ${UPSTREAM_ERA_SETTINGS.join(", ")}`,
  }).meta({
    description: "MCP protocol era spoken to the server: legacy (initialize), modern " +
      "(2026-07-28, server/discover) or auto (initialize, then 2026-07-28 on the same process " +
      "if the server refuses as modern-only). Clients of either era are served either way. " +
      "CLI: --upstream-era.",
    default: DEFAULTS.upstreamEra,
  }).optional(),
  max_request_bytes: wholeNumber(
    64,
    "Largest message a client may send, in bytes. CLI: --max-request-bytes.",
    DEFAULTS.maxRequestBytes,
  ).optional(),
  max_response_bytes: wholeNumber(
    64,
    "Largest message the server may send, in bytes. CLI: --max-response-bytes.",
    DEFAULTS.maxResponseBytes,
  ).optional(),
  request_timeout_ms: wholeNumber(
    0,
    "Fail and cancel a request with no answer and no progress for this long; 0 = never. " +
      "CLI: --request-timeout-ms.",
    DEFAULTS.requestTimeoutMs,
  ).optional(),
  cancel_grace_ms: z.int({ error: CANCEL_GRACE_RANGE })
    .min(0, { error: CANCEL_GRACE_RANGE })
    .max(MAX_CANCEL_GRACE_MS, { error: CANCEL_GRACE_RANGE })
    .meta({
      description: "How long a request nobody waits for any more (cancelled, timed out, or its " +
        "client left) still counts as at the server when the server does not answer it: " +
        "meanwhile a sampling or elicitation request that may be its own reaches no client, " +
        "and with serialize the next client's turn waits. 0 = no grace: such a question may " +
        `reach another client. At most ${MAX_CANCEL_GRACE_MS}. CLI: --cancel-grace-ms.`,
      default: DEFAULTS.cancelGraceMs,
    }).optional(),
  restart_backoff_ms: wholeNumber(
    1,
    "First restart delay; doubles per consecutive crash. CLI: --restart-backoff-ms.",
    DEFAULTS.restartBackoffMs,
  ).optional(),
  restart_backoff_max_ms: wholeNumber(
    1,
    "Largest restart delay (≥ restart_backoff_ms). CLI: --restart-backoff-max-ms.",
    DEFAULTS.restartBackoffMaxMs,
  ).optional(),
  max_restarts: wholeNumber(
    0,
    "Restarts allowed within 10 minutes before the service is failed; 0 = unlimited. " +
      "CLI: --max-restarts.",
    DEFAULTS.maxRestarts,
  ).optional(),
  log_level: logLevel.meta({
    description: "Log verbosity of this service. CLI: --log-level.",
    default: "info",
  }).optional(),
  heartbeat_enabled: flag(
    "The liveness probe: a server with requests in flight that writes nothing for " +
      "heartbeat_timeout_ms is pinged, and reported unresponsive after heartbeat_max_failures " +
      "unanswered pings. CLI: --heartbeat-enabled.",
    DEFAULTS.heartbeatEnabled,
  ).optional(),
  heartbeat_timeout_ms: wholeNumber(
    1,
    "Silence (with requests in flight) before the liveness probe pings, and how long each ping " +
      "may take. CLI: --heartbeat-timeout-ms.",
    DEFAULTS.heartbeatTimeoutMs,
  ).optional(),
  heartbeat_max_failures: wholeNumber(
    1,
    "Unanswered pings in a row before the server is reported unresponsive (status, health, " +
      "log). CLI: --heartbeat-max-failures.",
    DEFAULTS.heartbeatMaxFailures,
  ).optional(),
  heartbeat_restart: flag(
    "Restart an unresponsive server (its requests in flight fail); off: only report it. " +
      "CLI: --heartbeat-restart.",
    DEFAULTS.heartbeatRestart,
  ).optional(),
  isolation: z.enum(ISOLATION_MODES as [IsolationMode, ...IsolationMode[]], {
    error: `expected one of ${ISOLATION_MODES.join(", ")}`,
  }).meta({
    description: "How the server is split between clients: shared (one process for all), " +
      "roots (one per distinct set of client roots), client (one per client). Default: the " +
      "built-in table of well-known servers, else the server's own preference, else shared. " +
      "CLI: --isolation.",
  }).optional(),
  max_processes: wholeNumber(
    1,
    "Most processes this service runs at once in roots or client isolation; a client beyond " +
      "gets an error naming the limit. CLI: --max-processes.",
    DEFAULTS.maxProcesses,
  ).optional(),
  idle_timeout_ms: z.int({ error: "expected a whole number ≥ 0" }).min(0, {
    error: "expected a whole number ≥ 0",
  }).meta({
    description: "Stop a process that has had no client for this long (it starts again when " +
      `needed); 0 = never. Default: ${DEFAULT_IDLE_TIMEOUT_MS} (10 min) for roots and client ` +
      "processes, 0 for shared. CLI: --idle-timeout-ms.",
  }).optional(),
  tray: ignored("tray"),
  heartbeat_interval_ms: ignored("heartbeat_interval_ms"),
};

const serverSchema = z.strictObject({
  socket: path(
    "Unix socket the mux listens on (its directory is created 0700). Default: " +
      "$XDG_RUNTIME_DIR/rmcp-mux/NAME.sock (else ~/.rmcp-mux/run/NAME.sock), NAME being " +
      "the key under servers:. CLI: --socket.",
  ).optional(),
  cmd: z.string({ error: "expected the server command (a string)" })
    .regex(/\S/, { error: "expected the server command, not an empty string" })
    .meta({
      description: "The MCP server: a program in PATH or a path. Without args, a cmd with " +
        "spaces is split like a shell would (quotes honoured; no shell is run). CLI: --cmd.",
    }),
  args: z.array(z.string({ error: "expected a string (quote numbers and booleans)" }), {
    error: "expected a list of strings",
  }).meta({ description: "Arguments for cmd, taken as-is (after expansion)." }).optional(),
  service_name: z.string({ error: `expected ${SERVICE_NAME_RULE}` })
    .regex(SERVICE_NAME_PATTERN, { error: `expected ${SERVICE_NAME_RULE}` })
    .meta({
      description: "Name in logs, errors and health. Default: the key under servers:. " +
        "CLI: --service-name.",
    }).optional(),
  status_file: path("JSON status snapshot of this service.").optional(),
  ...sharedKeys,
}, { error: "expected a mapping of server settings" }).meta({
  description: "One MCP server shared behind one Unix socket.",
});

const defaultsSchema = z.strictObject(sharedKeys, {
  error: "expected a mapping of server settings",
}).meta({
  description: "Settings applied to every server; a server's own value wins, a CLI flag wins " +
    "over both.",
});

const httpSchema = z.strictObject({
  listen: z.string({ error: "expected HOST:PORT, e.g. 127.0.0.1:7300" })
    .regex(/^(\d+|\[[0-9a-fA-F:.]+\]:\d+|[\w.-]+:\d+)$/, {
      error: "expected HOST:PORT (e.g. 127.0.0.1:7300, [::1]:7300 or 7300)",
    })
    .meta({
      description: "Serve every service over Streamable HTTP at http://HOST:PORT/mcp/NAME. " +
        "Port 0 picks a free one. A non-loopback address needs allow_remote. CLI: --http.",
    }),
  auth: z.enum(["token", "none"], { error: "expected one of token, none" }).meta({
    description: "token: every request needs Authorization: Bearer <token> (the token file is " +
      "made on first start; print it with rmcp-mux http token). none: no token (loopback " +
      "only). CLI: --http-auth.",
    default: HTTP_DEFAULTS.auth,
  }).optional(),
  allow_remote: flag(
    "Allow a non-loopback listen address (then the Host header is not checked; put TLS in " +
      "front). CLI: --http-allow-remote.",
    HTTP_DEFAULTS.allowRemote,
  ).optional(),
  session_idle_ms: wholeNumber(
    1,
    "End an HTTP session with no request and no open stream for this long. " +
      "CLI: --http-session-idle-ms.",
    HTTP_DEFAULTS.sessionIdleMs,
  ).optional(),
  max_sessions: wholeNumber(
    1,
    "HTTP sessions held at once, over every service; one more gets 503. " +
      "CLI: --http-max-sessions.",
    HTTP_DEFAULTS.maxSessions,
  ).optional(),
  max_requests: wholeNumber(
    1,
    "MCP 2026-07-28 requests (POSTs without a session) held open at once, over every " +
      "service: calls in flight, listens and calls waiting for their retry; one more gets " +
      "503. CLI: --http-max-requests.",
    HTTP_DEFAULTS.maxRequests,
  ).optional(),
  token_file: path(
    "The bearer token file (0600). Default: $XDG_STATE_HOME/rmcp-mux/http.token, else " +
      "~/.local/state/rmcp-mux/http.token.",
  ).optional(),
}, { error: "expected a mapping of HTTP settings" }).meta({
  description: "The Streamable HTTP listener: one for every service of the daemon.",
});

const daemonSchema = z.strictObject({
  control: path("Control socket of the daemon (status and commands).").optional(),
  http: httpSchema.optional(),
  log_format: z.enum(["text", "json"], { error: "expected one of text, json" })
    .meta({ description: "Log output format (logs go to stderr). CLI: --log-format." })
    .optional(),
  log_level: logLevel.meta({ description: "Log verbosity of the daemon. CLI: --log-level." })
    .optional(),
  status_file: path("JSON status snapshot of every service.").optional(),
}, { error: "expected a mapping of daemon settings" }).meta({
  description: "Settings of the daemon process itself.",
});

const fileObject = z.strictObject({
  $schema: z.string({ error: "expected a string" })
    .meta({ description: "JSON Schema reference for editors; ignored." }).optional(),
  version: z.unknown().meta({ description: "Reserved for future format versions; ignored." })
    .optional(),
  daemon: daemonSchema.optional(),
  defaults: defaultsSchema.optional(),
  servers: z.record(z.string(), serverSchema, {
    error: "expected a mapping of service names to server settings",
  }).meta({
    description: "The services, by name (letters, digits, . _ - @).",
    propertyNames: { pattern: SERVICE_NAME_PATTERN.source },
    minProperties: 1,
  }),
}, { error: "expected a mapping with a servers: key" }).meta({
  title: "rmcp-mux configuration",
  description: "Services the rmcp-mux daemon runs: one shared MCP server per Unix socket.",
});

/**
 * The whole file. TypeScript checks that it yields {@link FileData}, so the
 * interfaces in `file_data.ts` cannot drift from the schema.
 */
export const fileSchema: z.ZodType<FileData> = fileObject;

/** Allowed keys of each kind of mapping, for "did you mean" suggestions. */
export const KNOWN_KEYS: Readonly<Record<"file" | "server" | "defaults" | "daemon", string[]>> = {
  file: Object.keys(fileObject.shape),
  server: Object.keys(serverSchema.shape),
  defaults: Object.keys(defaultsSchema.shape),
  daemon: Object.keys(daemonSchema.shape),
};

/**
 * The JSON Schema (draft-07) of the config file, generated from the same zod
 * schema that validates files; `deno task schema` writes it to
 * `docs/config.schema.json`.
 *
 * @example
 * ```ts
 * import { configJsonSchema } from "./schema.ts";
 *
 * const schema = configJsonSchema();
 * console.log(schema.title); // "rmcp-mux configuration"
 * ```
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(fileObject, { target: "draft-7" }) as Record<string, unknown>;
}

/**
 * The text of `docs/config.schema.json`: {@link configJsonSchema} as
 * 2-space-indented JSON with a final newline.
 *
 * @example
 * ```ts
 * import { configSchemaText } from "./schema.ts";
 *
 * console.log(configSchemaText().startsWith("{")); // true
 * ```
 */
export function configSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + "\n";
}
