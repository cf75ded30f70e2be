/**
 * The request headers of MCP 2026-07-28's Streamable HTTP transport, checked
 * against the body they mirror: `MCP-Protocol-Version`, `Mcp-Method`,
 * `Mcp-Name` and, for a tool whose input schema marks parameters with
 * `x-mcp-header`, `Mcp-Param-{Name}`. Load balancers and gateways route on
 * these headers, so a body they misdescribe is never acted on: a missing,
 * malformed or disagreeing header is a 400 with HeaderMismatch (-32020).
 * Also here: which parameters a tool mirrors (read from its input schema).
 * Pure.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import type { JsonRpcRequest } from "../jsonrpc/message.ts";
import { envelopeVersion, isModernVersion, META } from "../router/eras.ts";

/** A request the headers refuse: always HTTP 400. */
export interface HeaderRefusal {
  code: number;
  message: string;
}

/** One tool parameter mirrored into a header (`x-mcp-header` in its input schema). */
export interface ParamHeader {
  /** The chain of `properties` keys from the schema's root to the parameter. */
  readonly path: readonly string[];
  /** The header is `Mcp-Param-{name}`. */
  readonly name: string;
}

/** Parameters one tool may mirror (more are ignored: a sane schema has a handful). */
export const MAX_PARAM_HEADERS = 64;

/** The body field `Mcp-Name` mirrors, for the methods that require it. */
const NAME_SOURCE: Readonly<Record<string, "name" | "uri">> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
};

const SENTINEL_PREFIX = "=?base64?";
const SENTINEL_SUFFIX = "?=";
/** RFC 9110 `token`: what an `x-mcp-header` name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * True when a POST without a session speaks the modern era: its
 * `MCP-Protocol-Version` header or its body's `_meta` envelope names a
 * 2026-07-28 (or later) revision.
 */
export function isModernPost(headers: Headers, params: Record<string, unknown> | undefined) {
  const header = headers.get("mcp-protocol-version");
  if (header !== null && isModernVersion(header)) return true;
  const body = envelopeVersion(params);
  return body !== undefined && isModernVersion(body);
}

/**
 * Check a modern request's headers against its body. `params`: the
 * parameters the called tool mirrors, when the mux knows its schema.
 * Returns the refusal, or `undefined` when every header agrees.
 *
 * @example
 * ```ts
 * import { checkModernHeaders } from "./modern_headers.ts";
 * const request = {
 *   jsonrpc: "2.0" as const,
 *   id: 1,
 *   method: "tools/call",
 *   params: {
 *     name: "echo",
 *     _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" },
 *   },
 * };
 * const headers = new Headers({
 *   "mcp-protocol-version": "2026-07-28",
 *   "mcp-method": "tools/call",
 *   "mcp-name": "other",
 * });
 * checkModernHeaders(headers, request)?.code; // -32020
 * ```
 */
export function checkModernHeaders(
  headers: Headers,
  request: JsonRpcRequest,
  params: readonly ParamHeader[] = [],
): HeaderRefusal | undefined {
  const version = headers.get("mcp-protocol-version");
  const claimed = envelopeVersion(request.params);
  if (claimed === undefined) {
    return {
      code: ErrorCode.InvalidParams,
      message: `Invalid params: _meta["${META.protocolVersion}"] is required on MCP ` +
        `${version ?? "2026-07-28"} requests (the MCP-Protocol-Version header names that ` +
        "revision; a client of the 2025 revisions starts a session with initialize instead)",
    };
  }
  if (version === null) {
    return missing("MCP-Protocol-Version", `the body's protocol version (${claimed})`);
  }
  if (version !== claimed) return differs("MCP-Protocol-Version", version, claimed);
  const method = headers.get("mcp-method");
  if (method === null) return missing("Mcp-Method", `the body's method (${request.method})`);
  if (method !== request.method) return differs("Mcp-Method", method, request.method);
  const source = NAME_SOURCE[request.method];
  if (source !== undefined) {
    const body = request.params?.[source];
    const raw = headers.get("mcp-name");
    if (raw === null) {
      return missing("Mcp-Name", `params.${source} on ${request.method} requests`);
    }
    const name = decodeHeaderValue(raw);
    if (name === undefined) return malformed("Mcp-Name", raw);
    if (name !== body) return differs("Mcp-Name", name, body);
  }
  if (request.method === "tools/call" && params.length > 0) {
    return checkParams(headers, request.params?.arguments, params);
  }
  return undefined;
}

function checkParams(
  headers: Headers,
  args: unknown,
  params: readonly ParamHeader[],
): HeaderRefusal | undefined {
  for (const param of params) {
    const header = `Mcp-Param-${param.name}`;
    const value = valueAt(args, param.path);
    const raw = headers.get(header);
    const where = `arguments.${param.path.join(".")}`;
    if (value === undefined || value === null) {
      if (raw === null) continue;
      return {
        code: ErrorCode.HeaderMismatch,
        message: `Header mismatch: ${header} is set, but the body has no value at ${where}`,
      };
    }
    // Only primitives are mirrored; a client leaves anything else out.
    if (!["string", "number", "boolean"].includes(typeof value)) continue;
    if (raw === null) {
      return missing(
        header,
        `${where} (the tool's input schema mirrors it: x-mcp-header; list the tools again ` +
          "to see its current schema)",
      );
    }
    const text = decodeHeaderValue(raw);
    if (text === undefined) return malformed(header, raw);
    if (!sameValue(text, value)) return differs(header, text, value);
  }
  return undefined;
}

/**
 * A header value as sent: plain visible ASCII, or the Base64 sentinel form
 * (`=?base64?…?=`, UTF-8 inside) decoded. `undefined` for a value with
 * characters a header may not carry, or a sentinel that does not decode.
 *
 * @example
 * ```ts
 * import { decodeHeaderValue } from "./modern_headers.ts";
 * decodeHeaderValue("us-west1"); // "us-west1"
 * decodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?="); // "Hello, 世界"
 * ```
 */
export function decodeHeaderValue(raw: string): string | undefined {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c !== 0x09 && (c < 0x20 || c > 0x7e)) return undefined;
  }
  if (!raw.startsWith(SENTINEL_PREFIX) || !raw.endsWith(SENTINEL_SUFFIX)) return raw;
  if (raw.length < SENTINEL_PREFIX.length + SENTINEL_SUFFIX.length) return raw;
  const encoded = raw.slice(SENTINEL_PREFIX.length, raw.length - SENTINEL_SUFFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 === 1) return undefined;
  try {
    const bytes = Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The parameters a tool mirrors into headers: every property reachable from
 * the root of its input schema through `properties` alone whose schema has
 * an `x-mcp-header` name (a valid header token; the first of names equal
 * but for case wins).
 *
 * @example
 * ```ts
 * import { paramHeadersOf } from "./modern_headers.ts";
 * paramHeadersOf({
 *   type: "object",
 *   properties: { region: { type: "string", "x-mcp-header": "Region" } },
 * }); // [{ path: ["region"], name: "Region" }]
 * ```
 */
export function paramHeadersOf(schema: unknown): ParamHeader[] {
  const found: ParamHeader[] = [];
  const seen = new Set<string>();
  const visit = (node: unknown, path: string[]) => {
    if (!isObject(node) || path.length > 32 || found.length >= MAX_PARAM_HEADERS) return;
    const name = node["x-mcp-header"];
    if (path.length > 0 && typeof name === "string" && TOKEN.test(name)) {
      if (!seen.has(name.toLowerCase())) {
        seen.add(name.toLowerCase());
        found.push({ path, name });
      }
    }
    if (!isObject(node.properties)) return;
    for (const [key, child] of Object.entries(node.properties)) visit(child, [...path, key]);
  };
  visit(schema, []);
  return found;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** A header's text against the body's value: numbers compare as numbers (`42.0` is `42`). */
function sameValue(text: string, value: unknown): boolean {
  if (typeof value === "string") return text === value;
  if (typeof value === "boolean") return text === String(value);
  return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text) && Number(text) === value;
}

function missing(header: string, what: string): HeaderRefusal {
  return {
    code: ErrorCode.HeaderMismatch,
    message: `Header mismatch: the ${header} header is missing; it must repeat ${what}`,
  };
}

function differs(header: string, got: string, body: unknown): HeaderRefusal {
  return {
    code: ErrorCode.HeaderMismatch,
    message: `Header mismatch: ${header} header value '${got}' does not match body value ` +
      (typeof body === "string" ? `'${body}'` : JSON.stringify(body) ?? "(none)"),
  };
}

function malformed(header: string, raw: string): HeaderRefusal {
  return {
    code: ErrorCode.HeaderMismatch,
    message: `Header mismatch: ${header} header value ${JSON.stringify(raw)} is malformed ` +
      "(visible ASCII, or =?base64?…?= around Base64 of UTF-8)",
  };
}
