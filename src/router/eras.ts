/**
 * The two protocol eras. MCP 2026-07-28 ("modern") has no `initialize`:
 * clients probe with `server/discover` and put their version, capabilities
 * and identity in every request's `_meta` envelope; servers ask for input
 * inside results (`input_required`) and deliver change notifications only on
 * `subscriptions/listen` streams. Revisions up to 2025-11-25 are "legacy".
 * This module holds the names both eras share and the verdicts the mux draws
 * from a server's refusal; the translations live in `envelope.ts`,
 * `era_results.ts` and the era features.
 *
 * @module
 */

import type { JsonRpcErrorObject } from "../jsonrpc/message.ts";

/** A protocol era: `initialize` and revisions up to 2025-11-25, or 2026-07-28 on. */
export type Era = "legacy" | "modern";

/**
 * Which era the mux speaks to a service's server: `legacy` (initialize
 * only), `modern` (`server/discover` only) or `auto` (initialize first, and
 * the same process switched to 2026-07-28 when it refuses as modern-only).
 */
export type UpstreamEraSetting = "legacy" | "auto" | "modern";

/** Every value of {@link UpstreamEraSetting}. */
export const UPSTREAM_ERA_SETTINGS: readonly UpstreamEraSetting[] = ["legacy", "auto", "modern"];

/** The modern revision. */
export const MODERN_PROTOCOL_VERSION = "2026-07-28";
/** Modern revisions the mux speaks, oldest first. */
export const MODERN_PROTOCOL_VERSIONS: readonly string[] = [MODERN_PROTOCOL_VERSION];
/** The method a dual-era client probes with before `initialize`. */
export const DISCOVER_METHOD = "server/discover";
/** The long-lived request that carries a modern client's change notifications. */
export const LISTEN_METHOD = "subscriptions/listen";
/** The notification that opens a listen stream. */
export const LISTEN_ACK = "notifications/subscriptions/acknowledged";

/** The `_meta` keys of the modern per-request envelope and of results and streams. */
export const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  logLevel: "io.modelcontextprotocol/logLevel",
  serverInfo: "io.modelcontextprotocol/serverInfo",
  subscriptionId: "io.modelcontextprotocol/subscriptionId",
} as const;

/** The `_meta` key carrying a modern request's protocol version. */
export const META_PROTOCOL_VERSION: string = META.protocolVersion;

/** The only requests a modern server may answer with `input_required`. */
export const MRTR_METHODS: ReadonlySet<string> = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
]);

/** Results that carry cache hints (`ttlMs`, `cacheScope`) in the modern era. */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  DISCOVER_METHOD,
]);

/**
 * Requests of the initialize era that do not exist in 2026-07-28: a modern
 * client sending one gets -32601 from the mux.
 */
export const LEGACY_ONLY_METHODS: ReadonlySet<string> = new Set([
  "ping",
  "logging/setLevel",
  "resources/subscribe",
  "resources/unsubscribe",
  "tasks/get",
  "tasks/result",
  "tasks/list",
  "tasks/cancel",
]);

/** The modern tasks extension: not bridged, hidden from both sides. */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

/** True for revisions of the modern era (no `initialize`). */
export function isModernVersion(version: string): boolean {
  return version >= MODERN_PROTOCOL_VERSION;
}

/** The protocol version in a request's modern `_meta` envelope, if it carries one. */
export function envelopeVersion(params: Record<string, unknown> | undefined): string | undefined {
  const meta = params?._meta;
  if (typeof meta !== "object" || meta === null) return undefined;
  const version = (meta as Record<string, unknown>)[META.protocolVersion];
  return typeof version === "string" ? version : undefined;
}

/** What a server's refusal of the mux's `initialize` means. */
export interface InitRejection {
  /** The server speaks only the modern era (switching to `server/discover` may work). */
  modernOnly: boolean;
  /** The refusal in words, for logs, clients and health. */
  description: string;
}

/**
 * Why a server refused the mux's `initialize`. A server that speaks only
 * the modern era says so with -32022 or by listing only modern versions
 * (FastMCP ≥ 4 says it in its message, with a generic code).
 */
export function classifyInitRejection(error: JsonRpcErrorObject): InitRejection {
  const supported = (error.data as { supported?: unknown } | undefined)?.supported;
  const versions = Array.isArray(supported)
    ? supported.filter((v): v is string => typeof v === "string")
    : [];
  const onlyModern = versions.length > 0 && versions.every(isModernVersion);
  const named = error.code === -32022 || onlyModern ||
    (versions.length === 0 && error.message.includes(MODERN_PROTOCOL_VERSION));
  const detail = `${error.message} (code ${error.code})`;
  if (!named || (versions.length > 0 && !onlyModern)) {
    return { modernOnly: false, description: `rejected initialize: ${detail}` };
  }
  const list = versions.length > 0 ? versions.join(", ") : MODERN_PROTOCOL_VERSION;
  return {
    modernOnly: true,
    description: `speaks only MCP ${list} and refused the mux's initialize: ${detail}. ` +
      "This service is set to upstream_era: legacy; set it to auto (the default) or " +
      "modern (--upstream-era) to serve it in the 2026-07-28 era",
  };
}

/** {@link classifyInitRejection}'s words only. */
export function describeInitRejection(error: JsonRpcErrorObject): string {
  return classifyInitRejection(error).description;
}
