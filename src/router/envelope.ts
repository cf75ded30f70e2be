/**
 * The modern per-request `_meta` envelope: read and checked on a modern
 * client's request, added to a legacy client's request bound for a modern
 * server, stripped from a modern client's request bound for a legacy server.
 * Only the four envelope keys are touched; everything else in `_meta`
 * (`progressToken`, `traceparent`, a task's related-task key) is kept. Pure.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import { META, MODERN_PROTOCOL_VERSIONS, TASKS_EXTENSION } from "./eras.ts";
import { isMcpLogLevel, MCP_LOG_LEVELS, type McpLogLevel } from "./log_levels.ts";
import { SUPPORTED_PROTOCOL_VERSIONS } from "./negotiate.ts";

/** What one modern request says about its client. */
export interface RequestEnvelope {
  readonly protocolVersion: string;
  readonly clientCapabilities: Record<string, unknown>;
  readonly clientInfo?: Record<string, unknown>;
  readonly logLevel?: McpLogLevel;
}

/** A valid envelope, or the error the request gets. */
export type EnvelopeCheck =
  | { ok: true; envelope: RequestEnvelope }
  | { ok: false; code: number; message: string; data?: unknown };

const ENVELOPE_KEYS: readonly string[] = [
  META.protocolVersion,
  META.clientCapabilities,
  META.clientInfo,
  META.logLevel,
];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Every version the mux serves, both eras (for -32022's `data.supported`). */
export function servedVersions(): string[] {
  return [...SUPPORTED_PROTOCOL_VERSIONS, ...MODERN_PROTOCOL_VERSIONS];
}

/**
 * Read and check a modern request's envelope: a missing required key gives
 * -32602, an unsupported version -32022 naming the versions served.
 */
export function readEnvelope(params: Record<string, unknown> | undefined): EnvelopeCheck {
  const meta = params?._meta;
  const version = isObject(meta) ? meta[META.protocolVersion] : undefined;
  if (typeof version !== "string") {
    return invalid(`_meta["${META.protocolVersion}"] is required on MCP 2026-07-28 requests`);
  }
  if (!MODERN_PROTOCOL_VERSIONS.includes(version)) {
    const supported = servedVersions();
    return {
      ok: false,
      code: ErrorCode.UnsupportedProtocolVersion,
      message: `Unsupported protocol version ${version}: this server (through rmcp-mux) serves ` +
        `MCP ${supported.join(", ")}`,
      data: { supported, requested: version },
    };
  }
  const m = meta as Record<string, unknown>;
  const capabilities = m[META.clientCapabilities];
  if (!isObject(capabilities)) {
    return invalid(
      `_meta["${META.clientCapabilities}"] is required on MCP 2026-07-28 requests ({} for none)`,
    );
  }
  const level = m[META.logLevel];
  if (level !== undefined && !isMcpLogLevel(level)) {
    return invalid(
      `_meta["${META.logLevel}"] must be one of ${MCP_LOG_LEVELS.join(", ")}`,
    );
  }
  const info = m[META.clientInfo];
  return {
    ok: true,
    envelope: {
      protocolVersion: version,
      clientCapabilities: capabilities,
      ...(isObject(info) ? { clientInfo: info } : {}),
      ...(level !== undefined ? { logLevel: level } : {}),
    },
  };
}

function invalid(why: string): EnvelopeCheck {
  return { ok: false, code: ErrorCode.InvalidParams, message: `Invalid params: ${why}` };
}

/** `params` (a new object) carrying `envelope`; the envelope's keys win over the caller's. */
export function withEnvelope(
  params: Record<string, unknown> | undefined,
  envelope: RequestEnvelope,
): Record<string, unknown> {
  const meta = isObject(params?._meta) ? params._meta : {};
  const keys: Record<string, unknown> = {
    [META.protocolVersion]: envelope.protocolVersion,
    [META.clientCapabilities]: envelope.clientCapabilities,
  };
  if (envelope.clientInfo !== undefined) keys[META.clientInfo] = envelope.clientInfo;
  if (envelope.logLevel !== undefined) keys[META.logLevel] = envelope.logLevel;
  const kept = { ...meta };
  for (const key of ENVELOPE_KEYS) delete kept[key];
  return { ...params, _meta: { ...kept, ...keys } };
}

/** `params` (a new object when it changes) without the envelope keys; an emptied `_meta` goes. */
export function withoutEnvelope(
  params: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (!params || !isObject(params._meta)) return params;
  const meta = { ...params._meta };
  let removed = false;
  for (const key of ENVELOPE_KEYS) {
    if (key in meta) {
      delete meta[key];
      removed = true;
    }
  }
  if (!removed) return params;
  const out = { ...params };
  if (Object.keys(meta).length === 0) delete out._meta;
  else out._meta = meta;
  return out;
}

/**
 * The capabilities a client declares to the server across eras: without
 * 2025-11-25 `tasks` and the modern tasks extension (tasks are not bridged
 * between eras). The same object when there is nothing to remove.
 */
export function bridgedCapabilities(caps: Record<string, unknown>): Record<string, unknown> {
  const extensions = isObject(caps.extensions) ? caps.extensions : undefined;
  const hasExtension = extensions !== undefined && TASKS_EXTENSION in extensions;
  if (!("tasks" in caps) && !hasExtension) return caps;
  const out = { ...caps };
  delete out.tasks;
  if (hasExtension) {
    const rest = { ...extensions };
    delete rest[TASKS_EXTENSION];
    if (Object.keys(rest).length === 0) delete out.extensions;
    else out.extensions = rest;
  }
  return out;
}

/**
 * The envelope a legacy client's request carries to a modern server: that
 * client's own `initialize` capabilities (minus tasks) and identity, and its
 * `logging/setLevel` level if it set one.
 */
export function legacyClientEnvelope(
  version: string,
  hello: { capabilities: Record<string, unknown>; clientInfo: Record<string, unknown> } | undefined,
  logLevel: McpLogLevel | undefined,
): RequestEnvelope {
  return {
    protocolVersion: version,
    clientCapabilities: bridgedCapabilities(hello?.capabilities ?? {}),
    ...(hello ? { clientInfo: hello.clientInfo } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
  };
}
