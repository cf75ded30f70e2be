/**
 * Which client handles a request the server sends to "its client"
 * (`sampling/createMessage`, `elicitation/create`). One documented,
 * deterministic policy; pure, so every branch is tested in memory.
 *
 * 1. A request about a task (`_meta["io.modelcontextprotocol/related-task"]`)
 *    goes to the task's owner, or to nobody.
 * 2. While a cancelled request may still be running at the server
 *    (`cancelled_calls.ts`), the request may be that call's: nobody gets it,
 *    unless exactly one client has requests in flight and every such
 *    cancelled request was its own (then rule 3 applies: it is that client's
 *    either way).
 * 3. Otherwise, when exactly one client has requests in flight, to that
 *    client (the request almost surely belongs to one of them), or to nobody.
 * 4. When several do: the one that sent the most recent of them among those
 *    able to handle it. When none do: the most recently active client able
 *    to handle it.
 * In every case only a client whose declared capabilities and protocol
 * version cover the request qualifies; when none does, the caller answers
 * the server itself (elicitation: `cancel`; sampling: an error).
 *
 * @module
 */

import { versionAtLeast } from "./negotiate.ts";

/** The `_meta` key that ties a request to a task (MCP 2025-11-25). */
export const RELATED_TASK_META = "io.modelcontextprotocol/related-task";

/** What a server→client request needs from the client that handles it. */
export interface Requirement {
  /** Human name for logs and errors: "sampling", "sampling with tools", "form elicitation", "URL elicitation". */
  label: string;
  /** Does a client with these capabilities and this version qualify? */
  covers(capabilities: Record<string, unknown>, version: string): boolean;
}

/** A client as the policy sees it. */
export interface Candidate<C> {
  client: C;
  capabilities: Record<string, unknown>;
  protocolVersion: string;
  /** Requests it has in flight upstream. */
  inFlight: number;
  /** Sequence number of its latest request (higher is more recent). */
  lastRequest: number;
}

/** The decision, with the reason logged at debug level. */
export type Choice<C> = { client: C | undefined; reason: string };

const obj = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null ? value as Record<string, unknown> : undefined;

/** What a server→client request needs; `undefined` for methods this policy does not route. */
export function requirementOf(
  method: string,
  params: Record<string, unknown> | undefined,
): Requirement | undefined {
  if (method === "sampling/createMessage") {
    const tools = Array.isArray(params?.tools) && params.tools.length > 0;
    return tools
      ? {
        label: "sampling with tools",
        covers: (caps, version) =>
          versionAtLeast(version, "2025-11-25") && obj(obj(caps.sampling)?.tools) !== undefined,
      }
      : { label: "sampling", covers: (caps) => obj(caps.sampling) !== undefined };
  }
  if (method === "elicitation/create") {
    if (params?.mode === "url") {
      return {
        label: "URL elicitation",
        covers: (caps, version) =>
          versionAtLeast(version, "2025-11-25") && obj(obj(caps.elicitation)?.url) !== undefined,
      };
    }
    return {
      label: "form elicitation",
      covers: (caps, version) => {
        const elicitation = obj(caps.elicitation);
        if (!elicitation || !versionAtLeast(version, "2025-06-18")) return false;
        // `{}` means form only; otherwise form must be listed.
        return Object.keys(elicitation).length === 0 || obj(elicitation.form) !== undefined;
      },
    };
  }
  return undefined;
}

/** The task a request refers to, if any. */
export function relatedTaskOf(params: Record<string, unknown> | undefined): string | undefined {
  const related = obj(obj(params?._meta)?.[RELATED_TASK_META]);
  return typeof related?.taskId === "string" ? related.taskId : undefined;
}

/**
 * Choose the client for a server→client request.
 * `taskOwner` is the owner of the related task: `null` when the request names
 * a task nobody (still connected) owns, `undefined` when it names none.
 * `cancelled` lists, one entry per cancelled request the server may still be
 * working on, the client it was for (`undefined`: a client that left).
 */
export function chooseClient<C>(
  candidates: readonly Candidate<C>[],
  requirement: Requirement,
  taskOwner?: C | null,
  cancelled: readonly (C | undefined)[] = [],
): Choice<C> {
  const able = (c: Candidate<C>) => requirement.covers(c.capabilities, c.protocolVersion);
  if (taskOwner !== undefined) {
    const owner = candidates.find((c) => c.client === taskOwner);
    if (!owner) return { client: undefined, reason: "the related task's owner is not connected" };
    return able(owner)
      ? { client: owner.client, reason: "owner of the related task" }
      : { client: undefined, reason: `the related task's owner cannot do ${requirement.label}` };
  }
  const busy = candidates.filter((c) => c.inFlight > 0);
  if (cancelled.length > 0) {
    if (busy.length === 0) {
      return {
        client: undefined,
        reason: "the call that asked was cancelled (only cancelled requests are at the server)",
      };
    }
    const sole = busy.length === 1 ? busy[0]!.client : undefined;
    if (sole === undefined || cancelled.some((owner) => owner !== sole)) {
      const whose = cancelled.includes(undefined)
        ? " of a client that left"
        : sole === undefined
        ? ""
        : " of another client";
      return {
        client: undefined,
        reason: `the call that asked may have been cancelled (a cancelled request${whose} is ` +
          "still at the server)",
      };
    }
  }
  if (busy.length === 1) {
    const only = busy[0]!;
    return able(only)
      ? { client: only.client, reason: "the only client with a request in flight" }
      : {
        client: undefined,
        reason: `the only client with a request in flight cannot do ${requirement.label}`,
      };
  }
  const pool = (busy.length > 1 ? busy : candidates).filter(able);
  if (pool.length === 0) {
    return { client: undefined, reason: `no connected client can do ${requirement.label}` };
  }
  const latest = pool.reduce((a, b) => (b.lastRequest > a.lastRequest ? b : a));
  return {
    client: latest.client,
    reason: busy.length > 1
      ? `most recent request among ${busy.length} clients with requests in flight`
      : "no request in flight; the most recently active able client",
  };
}
