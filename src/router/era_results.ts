/**
 * Results across eras: a modern server's results made fit for legacy
 * clients (no `resultType`, cache hints or `serverInfo` in `_meta`; object
 * roots for structured output), a legacy server's made fit for modern
 * clients (`resultType`, cache hints, `serverInfo`), and the two handshakes
 * converted into each other (`server/discover` ↔ `initialize`). Pure: every
 * function returns new objects and leaves its input alone.
 *
 * @module
 */

import type { JsonRpcErrorObject } from "../jsonrpc/message.ts";
import { CACHEABLE_METHODS, META, MODERN_PROTOCOL_VERSIONS, TASKS_EXTENSION } from "./eras.ts";
import { LATEST_PROTOCOL_VERSION } from "./negotiate.ts";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** MCP 2025-11-25's "resource not found", replaced by -32602 in 2026-07-28. */
export const LEGACY_RESOURCE_NOT_FOUND = -32002;

/** A modern server's result for a legacy client's `method`. */
export function toLegacyResult(method: string, result: Json): Json {
  const out: Json = { ...result };
  delete out.resultType;
  delete out.ttlMs;
  delete out.cacheScope;
  if (isObject(out._meta) && META.serverInfo in out._meta) {
    const meta = { ...out._meta };
    delete meta[META.serverInfo];
    if (Object.keys(meta).length === 0) delete out._meta;
    else out._meta = meta;
  }
  if (method === "tools/call" && "structuredContent" in out && !isObject(out.structuredContent)) {
    // Legacy structured output is an object: wrap other roots, as the TS SDK's codec does.
    out.structuredContent = { result: out.structuredContent };
  }
  if (method === "tools/list" && Array.isArray(out.tools)) {
    out.tools = out.tools.map((tool) => legacyTool(tool));
  }
  return out;
}

function legacyTool(tool: unknown): unknown {
  if (!isObject(tool) || !isObject(tool.outputSchema) || tool.outputSchema.type === "object") {
    return tool;
  }
  return {
    ...tool,
    outputSchema: {
      type: "object",
      properties: { result: tool.outputSchema },
      required: ["result"],
    },
  };
}

/** A legacy server's result for a modern client's `method`. */
export function toModernResult(method: string, result: Json, serverInfo: unknown): Json {
  const out: Json = { ...result };
  out.resultType ??= "complete";
  if (isObject(serverInfo)) {
    const meta = isObject(out._meta) ? out._meta : {};
    if (!(META.serverInfo in meta)) out._meta = { ...meta, [META.serverInfo]: serverInfo };
  }
  if (CACHEABLE_METHODS.has(method)) {
    out.ttlMs ??= 0;
    out.cacheScope ??= "private";
  }
  return out;
}

/** A legacy server's error for a modern client: "resource not found" is -32602 now. */
export function toModernError(error: JsonRpcErrorObject): JsonRpcErrorObject {
  return error.code === LEGACY_RESOURCE_NOT_FOUND ? { ...error, code: -32602 } : error;
}

/**
 * What legacy clients are told in `initialize` when the server is modern:
 * its capabilities (minus extensions, which the initialize era lacks),
 * identity and instructions. `logging` and `resources.subscribe` are kept:
 * the mux emulates both.
 */
export function initializeFromDiscover(discover: Json): Json {
  const capabilities = isObject(discover.capabilities) ? { ...discover.capabilities } : {};
  delete capabilities.extensions;
  const meta = isObject(discover._meta) ? discover._meta : {};
  const serverInfo = isObject(meta[META.serverInfo])
    ? meta[META.serverInfo]
    : { name: "unknown", version: "0" };
  return {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities,
    serverInfo,
    ...(typeof discover.instructions === "string" ? { instructions: discover.instructions } : {}),
  };
}

/**
 * What modern clients are told in `server/discover` when the server is
 * legacy, synthesized from its `initialize` answer: 2026-07-28 only (legacy
 * versions are negotiated through `initialize`), its capabilities minus
 * `tasks` (2025-11-25 tasks are not bridged), nothing cacheable.
 */
export function discoverFromInitialize(init: Json): Json {
  const capabilities = isObject(init.capabilities) ? { ...init.capabilities } : {};
  delete capabilities.tasks;
  return {
    resultType: "complete",
    supportedVersions: [...MODERN_PROTOCOL_VERSIONS],
    capabilities,
    ...(typeof init.instructions === "string" ? { instructions: init.instructions } : {}),
    ttlMs: 0,
    cacheScope: "private",
    ...(isObject(init.serverInfo) ? { _meta: { [META.serverInfo]: init.serverInfo } } : {}),
  };
}

/**
 * A modern server's `server/discover` answer as the mux passes it on to
 * modern clients: only the versions both speak, and without the tasks
 * extension (not bridged).
 */
export function discoverForClients(discover: Json): Json {
  const offered = Array.isArray(discover.supportedVersions) ? discover.supportedVersions : [];
  const supportedVersions = MODERN_PROTOCOL_VERSIONS.filter((v) => offered.includes(v));
  const capabilities = isObject(discover.capabilities) ? { ...discover.capabilities } : {};
  if (isObject(capabilities.extensions) && TASKS_EXTENSION in capabilities.extensions) {
    const extensions = { ...capabilities.extensions };
    delete extensions[TASKS_EXTENSION];
    if (Object.keys(extensions).length === 0) delete capabilities.extensions;
    else capabilities.extensions = extensions;
  }
  return { ...discover, supportedVersions, capabilities };
}

/** The modern revision a `server/discover` answer shares with the mux, if any. */
export function sharedModernVersion(discover: Json): string | undefined {
  const offered = Array.isArray(discover.supportedVersions) ? discover.supportedVersions : [];
  return [...MODERN_PROTOCOL_VERSIONS].reverse().find((v) => offered.includes(v));
}
