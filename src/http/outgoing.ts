/**
 * What a message the router sends to an HTTP client is, as far as choosing
 * its stream goes: the answer to which request, a request of the mux's (with
 * its id), or a notification (with the progress token or the request id it
 * concerns). Pure.
 *
 * @module
 */

import { isId, type JsonRpcId } from "../jsonrpc/message.ts";

/** The parts of an outgoing message that decide its stream. */
export type Outgoing =
  | { kind: "response"; id: JsonRpcId | null; error: boolean }
  | { kind: "batch"; ids: JsonRpcId[] }
  | { kind: "request"; id: JsonRpcId; method: string }
  | { kind: "notification"; method: string; progressToken?: JsonRpcId; requestId?: JsonRpcId }
  | { kind: "other" };

/** Classify one serialized message (a line the router produced). */
export function classifyOutgoing(line: string): Outgoing {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: "other" };
  }
  if (Array.isArray(value)) {
    const ids: JsonRpcId[] = [];
    for (const item of value) {
      const id = (item as { id?: unknown } | null)?.id;
      if (isId(id)) ids.push(id);
    }
    return { kind: "batch", ids };
  }
  if (value === null || typeof value !== "object") return { kind: "other" };
  const message = value as Record<string, unknown>;
  if (typeof message.method === "string") {
    if (isId(message.id)) return { kind: "request", id: message.id, method: message.method };
    const params = message.params as Record<string, unknown> | undefined;
    const progressToken = params?.progressToken;
    const requestId = params?.requestId;
    return {
      kind: "notification",
      method: message.method,
      ...(isId(progressToken) ? { progressToken } : {}),
      ...(isId(requestId) ? { requestId } : {}),
    };
  }
  if ("result" in message || "error" in message) {
    return {
      kind: "response",
      id: isId(message.id) ? message.id : null,
      error: "error" in message,
    };
  }
  return { kind: "other" };
}

/** A map key that keeps `1` and `"1"` apart (JSON-RPC ids keep their type). */
export function idKey(id: JsonRpcId): string {
  return typeof id === "number" ? `n${id}` : `s${id}`;
}
