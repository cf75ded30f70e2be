/**
 * The legacy shim's rules (a legacy client behind a modern server). A
 * modern server asks for input inside a result (`resultType:
 * "input_required"`); a legacy client only knows server→client requests.
 * So each of the result's `inputRequests` becomes a real request to the
 * client whose call caused it, and the call is retried upstream with the
 * answers (`inputResponses`, this round's only) and the server's
 * `requestState`, byte for byte. What a round asks, what the retry carries
 * and how a failure reads are decided here; the feature runs it. Pure.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  type JsonRpcId,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";

/** Most `input_required` rounds one call may take before it fails (the TS SDK uses 8 too). */
export const MRTR_MAX_ROUNDS = 8;
/** How long a client may take to answer one of the server's questions (a human may be asked). */
export const MRTR_LEG_TIMEOUT_MS = 600_000;
/** Pause before retrying a round that carried only `requestState` (load shedding). */
export const MRTR_STATE_ONLY_PAUSE_MS = 250;

/** The requests a modern server may ask for inside a result. */
export const INPUT_METHODS: ReadonlySet<string> = new Set([
  "sampling/createMessage",
  "elicitation/create",
  "roots/list",
]);

/** One question of a round, as the client is asked it. */
export interface Leg {
  /** The server's key for it in `inputRequests` (and the answer's in `inputResponses`). */
  readonly key: string;
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

/** What to do with one `input_required` result. */
export type Round =
  | { kind: "ask"; legs: Leg[]; requestState?: string }
  | { kind: "pause"; requestState: string }
  | { kind: "fail"; reason: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Plan round `round` (1 for the first `input_required` of a call). URL
 * elicitations get a synthesized `elicitationId` (`newId`): the legacy wire
 * needs one, the modern one has none.
 */
export function planRound(
  result: Record<string, unknown>,
  round: number,
  newId: () => string,
): Round {
  if (round > MRTR_MAX_ROUNDS) {
    return {
      kind: "fail",
      reason: `the server asked for input more than ${MRTR_MAX_ROUNDS} times for one call ` +
        "(MRTR_MAX_ROUNDS)",
    };
  }
  const { inputRequests, requestState } = result;
  if (requestState !== undefined && typeof requestState !== "string") {
    return { kind: "fail", reason: "the server sent a requestState that is not a string" };
  }
  if (inputRequests === undefined) {
    return requestState === undefined
      ? { kind: "fail", reason: "the server asked for input without inputRequests or requestState" }
      : { kind: "pause", requestState };
  }
  if (!isObject(inputRequests)) {
    return { kind: "fail", reason: "the server sent inputRequests that is not an object" };
  }
  const legs: Leg[] = [];
  for (const [key, request] of Object.entries(inputRequests)) {
    if (!isObject(request) || typeof request.method !== "string") {
      return { kind: "fail", reason: `the server's input request "${key}" has no method` };
    }
    if (!INPUT_METHODS.has(request.method)) {
      return {
        kind: "fail",
        reason: `the server asked for ${request.method} ("${key}"), which is not an input request`,
      };
    }
    let params = isObject(request.params) ? request.params : undefined;
    if (request.method === "elicitation/create" && params?.mode === "url") {
      params = { ...params, elicitationId: params.elicitationId ?? newId() };
    }
    legs.push({ key, method: request.method, ...(params ? { params } : {}) });
  }
  if (legs.length === 0) {
    return requestState === undefined
      ? { kind: "fail", reason: "the server asked for input without inputRequests or requestState" }
      : { kind: "pause", requestState };
  }
  return { kind: "ask", legs, ...(requestState !== undefined ? { requestState } : {}) };
}

/**
 * The params of the retry: the call's own, with this round's answers and
 * the server's `requestState` exactly as it came (none if none came).
 */
export function retryParams(
  original: Record<string, unknown> | undefined,
  answers: Record<string, unknown> | undefined,
  requestState: string | undefined,
): Record<string, unknown> {
  const params: Record<string, unknown> = { ...original };
  delete params.inputResponses;
  delete params.requestState;
  if (answers !== undefined) params.inputResponses = answers;
  if (requestState !== undefined) params.requestState = requestState;
  return params;
}

/**
 * How a call ends when its input could not be gathered: a tool reports it
 * as a tool error (the model can read it), anything else as -32603.
 */
export function shimFailure(method: string, id: JsonRpcId, reason: string): JsonRpcResponse {
  const text = `rmcp-mux could not complete ${method}: ${reason}`;
  return method === "tools/call"
    ? resultResponse(id, { content: [{ type: "text", text }], isError: true })
    : errorResponse(id, ErrorCode.InternalError, text, { reason });
}
