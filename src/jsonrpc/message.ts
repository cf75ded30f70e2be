/**
 * JSON-RPC 2.0 message shapes as MCP uses them, and a classifier that turns
 * any parsed JSON value into exactly one of them (or says why it is none).
 *
 * @module
 */

/** A request id: MCP allows strings and integers, never `null`. */
export type JsonRpcId = string | number;

/** Parameters of a request or notification (MCP always uses an object). */
export type JsonRpcParams = Record<string, unknown>;

/** A request: it expects exactly one response with the same id. */
export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: JsonRpcId;
  method: string;
  params?: JsonRpcParams;
}

/** A notification: no id, never answered. */
export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: JsonRpcParams;
}

/** The error object of an error response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A successful response. */
export interface JsonRpcResult {
  jsonrpc: "2.0";
  id: JsonRpcId;
  result: Record<string, unknown>;
}

/** An error response; `id` is `null` only when the request id could not be read. */
export interface JsonRpcErrorResponse {
  jsonrpc: "2.0";
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

/** A response of either kind. */
export type JsonRpcResponse = JsonRpcResult | JsonRpcErrorResponse;

/** What a parsed JSON value turned out to be. */
export type Classified =
  | { kind: "request"; message: JsonRpcRequest }
  | { kind: "notification"; message: JsonRpcNotification }
  | { kind: "response"; message: JsonRpcResponse }
  | { kind: "batch"; items: unknown[] }
  | { kind: "invalid"; id: JsonRpcId | null; reason: string };

/** True for a value usable as a request id (string or finite number). */
export function isId(value: unknown): value is JsonRpcId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Classify a parsed JSON value. Never throws: anything that is not a valid
 * JSON-RPC 2.0 message comes back as `invalid` with a reason a human can read,
 * and with the id when one could be recovered (so the error can be routed).
 */
export function classify(value: unknown): Classified {
  if (Array.isArray(value)) return { kind: "batch", items: value };
  if (!isObject(value)) {
    return { kind: "invalid", id: null, reason: "a JSON-RPC message must be a JSON object" };
  }
  const rawId = value.id;
  const id = isId(rawId) ? rawId : null;
  if (value.jsonrpc !== "2.0") {
    return { kind: "invalid", id, reason: 'the "jsonrpc" member must be exactly "2.0"' };
  }
  if ("method" in value) {
    if (typeof value.method !== "string") {
      return { kind: "invalid", id, reason: 'the "method" member must be a string' };
    }
    if ("params" in value && value.params !== undefined && !isObject(value.params)) {
      return { kind: "invalid", id, reason: 'the "params" member must be an object' };
    }
    if (!("id" in value)) {
      return { kind: "notification", message: value as unknown as JsonRpcNotification };
    }
    if (!isId(rawId)) {
      return {
        kind: "invalid",
        id: null,
        reason: 'a request "id" must be a string or a number (null is not allowed)',
      };
    }
    return { kind: "request", message: value as unknown as JsonRpcRequest };
  }
  const hasResult = "result" in value;
  const hasError = "error" in value;
  if (hasResult === hasError) {
    return {
      kind: "invalid",
      id,
      reason: 'a message needs a "method" (request or notification) or exactly one of ' +
        '"result" and "error" (response)',
    };
  }
  if (hasError) {
    const err = value.error;
    if (!isObject(err) || typeof err.code !== "number" || typeof err.message !== "string") {
      return {
        kind: "invalid",
        id,
        reason: 'an "error" member must be an object with a numeric "code" and a string "message"',
      };
    }
    if (rawId !== null && !isId(rawId)) {
      return { kind: "invalid", id: null, reason: 'a response "id" must be a string or a number' };
    }
  } else if (!isId(rawId)) {
    return { kind: "invalid", id: null, reason: 'a response "id" must be a string or a number' };
  }
  return { kind: "response", message: value as unknown as JsonRpcResponse };
}

/** A line parsed and classified, or `undefined` when it is not JSON. */
export function classifyLine(text: string): Classified | undefined {
  try {
    return classify(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The request in a line, if the line is a valid request. */
export function requestOf(text: string): JsonRpcRequest | undefined {
  const msg = classifyLine(text);
  return msg?.kind === "request" ? msg.message : undefined;
}

/** Build an error response. */
export function errorResponse(
  id: JsonRpcId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcErrorResponse {
  const error: JsonRpcErrorObject = data === undefined
    ? { code, message }
    : { code, message, data };
  return { jsonrpc: "2.0", id, error };
}

/** Build a successful response. */
export function resultResponse(id: JsonRpcId, result: Record<string, unknown>): JsonRpcResult {
  return { jsonrpc: "2.0", id, result };
}

/** True when a response is an error response. */
export function isErrorResponse(message: JsonRpcResponse): message is JsonRpcErrorResponse {
  return "error" in message;
}
