/**
 * `subscriptions/listen` streams (MCP 2026-07-28): a long-lived request
 * whose id tags every notification of its stream
 * (`_meta["io.modelcontextprotocol/subscriptionId"]`): the acknowledgement
 * first, then the changes the filter asked for, then a closing result. The
 * mux opens its own streams for legacy clients, passes modern clients'
 * through with the ids rewritten, and ends them itself in front of a legacy
 * server. The shapes and the filter rules live here. Pure.
 *
 * @module
 */

import type { JsonRpcId, JsonRpcNotification, JsonRpcResult } from "../jsonrpc/message.ts";
import { LISTEN_ACK, META } from "./eras.ts";

/** What a listen asks to hear about (`SubscriptionFilter`). */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

/** How many times in a row the mux re-opens one of its streams that the server closed. */
export const LISTEN_MAX_REOPENS = 3;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The filter of a listen request, or `undefined` when `params.notifications` is not one. */
export function filterOf(params: Record<string, unknown> | undefined): ListenFilter | undefined {
  const n = params?.notifications;
  if (!isObject(n)) return undefined;
  for (const key of ["toolsListChanged", "promptsListChanged", "resourcesListChanged"]) {
    if (n[key] !== undefined && typeof n[key] !== "boolean") return undefined;
  }
  const uris = n.resourceSubscriptions;
  if (uris !== undefined && (!Array.isArray(uris) || uris.some((u) => typeof u !== "string"))) {
    return undefined;
  }
  return n as ListenFilter;
}

/**
 * The part of `requested` a server with these capabilities can deliver:
 * each kind's list changes only if it declares `listChanged`, resource
 * updates only if it declares `resources.subscribe`.
 */
export function honoredFilter(
  requested: ListenFilter,
  capabilities: Record<string, unknown>,
): ListenFilter {
  const declares = (kind: string, bit: string) =>
    isObject(capabilities[kind]) && (capabilities[kind] as Record<string, unknown>)[bit] === true;
  const honored: ListenFilter = {};
  if (requested.toolsListChanged && declares("tools", "listChanged")) {
    honored.toolsListChanged = true;
  }
  if (requested.promptsListChanged && declares("prompts", "listChanged")) {
    honored.promptsListChanged = true;
  }
  if (requested.resourcesListChanged && declares("resources", "listChanged")) {
    honored.resourcesListChanged = true;
  }
  if (requested.resourceSubscriptions?.length && declares("resources", "subscribe")) {
    honored.resourceSubscriptions = [...requested.resourceSubscriptions];
  }
  return honored;
}

/** True when the filter honors nothing (the stream ends right after its acknowledgement). */
export function isEmptyFilter(filter: ListenFilter): boolean {
  return Object.keys(filter).length === 0;
}

/** The filter flag that admits a list-changed notification, if `method` is one. */
export function listChangedFlag(method: string): keyof ListenFilter | undefined {
  switch (method) {
    case "notifications/tools/list_changed":
      return "toolsListChanged";
    case "notifications/prompts/list_changed":
      return "promptsListChanged";
    case "notifications/resources/list_changed":
      return "resourcesListChanged";
  }
  return undefined;
}

/** True when an update of `uri` concerns a subscription to `subscribed` (it, or below it). */
export function uriConcerns(subscribed: string, uri: string): boolean {
  return uri === subscribed || uri.startsWith(subscribed + "/");
}

/** The stream a notification belongs to, if it carries a subscription id. */
export function subscriptionIdOf(
  params: Record<string, unknown> | undefined,
): JsonRpcId | undefined {
  const meta = params?._meta;
  if (!isObject(meta)) return undefined;
  const id = meta[META.subscriptionId];
  return typeof id === "string" || typeof id === "number" ? id : undefined;
}

/** `note` on the stream `id` (a new object; any other `_meta` is kept). */
export function tagged(note: JsonRpcNotification, id: JsonRpcId): JsonRpcNotification {
  const params = note.params ?? {};
  const meta = isObject(params._meta) ? params._meta : {};
  return { ...note, params: { ...params, _meta: { ...meta, [META.subscriptionId]: id } } };
}

/** `note` without its stream tag, as the initialize era knows it (a new object). */
export function untagged(note: JsonRpcNotification): JsonRpcNotification {
  const params = note.params;
  if (!params || !isObject(params._meta) || !(META.subscriptionId in params._meta)) return note;
  const meta = { ...params._meta };
  delete meta[META.subscriptionId];
  const out = { ...params };
  if (Object.keys(meta).length === 0) delete out._meta;
  else out._meta = meta;
  return { ...note, params: out };
}

/** The acknowledgement that opens stream `id`, with the filter it honors. */
export function listenAck(id: JsonRpcId, honored: ListenFilter): JsonRpcNotification {
  return {
    jsonrpc: "2.0",
    method: LISTEN_ACK,
    params: { notifications: honored, _meta: { [META.subscriptionId]: id } },
  };
}

/** The graceful end of stream `id` (the listen request's result). */
export function listenClosed(id: JsonRpcId, serverInfo?: unknown): JsonRpcResult {
  const meta: Record<string, unknown> = { [META.subscriptionId]: id };
  if (isObject(serverInfo)) meta[META.serverInfo] = serverInfo;
  return { jsonrpc: "2.0", id, result: { resultType: "complete", _meta: meta } };
}
