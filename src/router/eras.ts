/**
 * The two protocol eras, as far as a legacy mux must know them: MCP
 * 2026-07-28 ("modern") has no `initialize`; clients probe with
 * `server/discover` and put their version in every request's `_meta`.
 * The mux must never mislead such a client into the modern era, and must
 * say so in words when a server speaks only that era.
 *
 * @module
 */

import type { JsonRpcErrorObject } from "../jsonrpc/message.ts";

/** The modern revision. */
export const MODERN_PROTOCOL_VERSION = "2026-07-28";
/** The method a dual-era client probes with before `initialize`. */
export const DISCOVER_METHOD = "server/discover";
/** The `_meta` key carrying a modern request's protocol version. */
export const META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";

/** True for revisions of the modern era (no `initialize`). */
export function isModernVersion(version: string): boolean {
  return version >= MODERN_PROTOCOL_VERSION;
}

/** The protocol version in a request's modern `_meta` envelope, if it carries one. */
export function envelopeVersion(params: Record<string, unknown> | undefined): string | undefined {
  const meta = params?._meta;
  if (typeof meta !== "object" || meta === null) return undefined;
  const version = (meta as Record<string, unknown>)[META_PROTOCOL_VERSION];
  return typeof version === "string" ? version : undefined;
}

/**
 * Why a server refused the mux's `initialize`, in words. A server that
 * speaks only the modern era says so with -32022 or by listing only modern
 * versions; that is named plainly, because the fix is not in the server's
 * configuration.
 */
export function describeInitRejection(error: JsonRpcErrorObject): string {
  const supported = (error.data as { supported?: unknown } | undefined)?.supported;
  const versions = Array.isArray(supported)
    ? supported.filter((v): v is string => typeof v === "string")
    : [];
  const onlyModern = versions.length > 0 && versions.every(isModernVersion);
  const named = error.code === -32022 || onlyModern ||
    (versions.length === 0 && error.message.includes(MODERN_PROTOCOL_VERSION));
  const detail = `${error.message} (code ${error.code})`;
  if (!named || (versions.length > 0 && !onlyModern)) return `rejected initialize: ${detail}`;
  const list = versions.length > 0 ? versions.join(", ") : MODERN_PROTOCOL_VERSION;
  return `speaks only MCP ${list} and refused the mux's initialize: ${detail}. ` +
    "This rmcp-mux serves servers of the initialize era (up to 2025-11-25); " +
    "run a dual-era build of the server";
}
