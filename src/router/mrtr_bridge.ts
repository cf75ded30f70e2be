/**
 * The bridge's rules (a modern client, a legacy server). A legacy server
 * asks "its client" for input with a request of its own (sampling,
 * elicitation) while it works on a call; a modern client can only be asked
 * inside the answer to its call. So the call is answered with
 * `input_required` carrying the server's questions and a handle as
 * `requestState`, the server's call is held open, and the client's retry
 * (which echoes the handle) is bound back to it. Handles are unguessable,
 * single-use, and expire. The shapes and the handle table live here. Pure.
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

/** How long a handle waits for the client's retry before the server's call is cancelled. */
export const MRTR_HANDLE_TTL_MS = 600_000;

/** One question of a legacy server, as a modern client is asked it. */
export interface Question {
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A legacy server's request as an input request: the same method and
 * params, minus what the modern era does not have (a URL elicitation's
 * `elicitationId`, the server's own progress token).
 */
export function asInputRequest(
  method: string,
  params: Record<string, unknown> | undefined,
): Question {
  if (!params) return { method };
  const out = { ...params };
  delete out.elicitationId;
  if (isObject(out._meta) && "progressToken" in out._meta) {
    const meta = { ...out._meta };
    delete meta.progressToken;
    if (Object.keys(meta).length === 0) delete out._meta;
    else out._meta = meta;
  }
  return { method, params: out };
}

/** The `input_required` result a modern client's call is answered with. */
export function inputRequiredResult(
  questions: ReadonlyMap<string, Question>,
  handle: string,
  serverInfo: unknown,
): Record<string, unknown> {
  const inputRequests: Record<string, Question> = {};
  for (const [key, question] of questions) inputRequests[key] = question;
  return {
    resultType: "input_required",
    inputRequests,
    requestState: handle,
    ...(isObject(serverInfo)
      ? { _meta: { "io.modelcontextprotocol/serverInfo": serverInfo } }
      : {}),
  };
}

/**
 * The server's question answered from the client's `inputResponses`; when
 * the client gave no answer for it, the answer nobody was asked:
 * elicitation `cancel`, anything else an error.
 */
export function answerFor(
  upstreamId: JsonRpcId,
  method: string,
  answer: unknown,
): JsonRpcResponse {
  if (isObject(answer)) return resultResponse(upstreamId, answer);
  if (method === "elicitation/create") return resultResponse(upstreamId, { action: "cancel" });
  return errorResponse(
    upstreamId,
    ErrorCode.InternalError,
    `rmcp-mux: the client did not answer ${method}`,
  );
}

/**
 * The URL elicitations of a -32042 error (2025-11-25) as input requests:
 * the modern client opens them and retries; the mux then sends the call
 * again.
 */
export function urlElicitations(data: unknown): Question[] | undefined {
  const list = isObject(data) ? data.elicitations : undefined;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const questions: Question[] = [];
  for (const e of list) {
    if (!isObject(e) || typeof e.url !== "string") return undefined;
    questions.push({
      method: "elicitation/create",
      params: {
        mode: "url",
        url: e.url,
        message: typeof e.message === "string" ? e.message : "Open this link to continue",
      },
    });
  }
  return questions;
}

/** Handles and what they stand for, each valid once and until its deadline. */
export class HandleTable<T extends { readonly expiresAt: number }> {
  readonly #handles = new Map<string, T>();

  /** Handles not yet used or expired. */
  get size(): number {
    return this.#handles.size;
  }

  set(handle: string, value: T): void {
    this.#handles.set(handle, value);
  }

  /** Look up without using it. */
  peek(handle: string): T | undefined {
    return this.#handles.get(handle);
  }

  /** Use a handle: it is gone afterwards. `undefined` if unknown or expired at `now`. */
  take(handle: string, now: number): T | undefined {
    const value = this.#handles.get(handle);
    if (!value) return undefined;
    this.#handles.delete(handle);
    return value.expiresAt > now ? value : undefined;
  }

  /** Forget a handle. */
  delete(handle: string): void {
    this.#handles.delete(handle);
  }

  /** Remove and return what expired by `now`. */
  expire(now: number): T[] {
    const out: T[] = [];
    for (const [handle, value] of this.#handles) {
      if (value.expiresAt > now) continue;
      this.#handles.delete(handle);
      out.push(value);
    }
    return out;
  }

  /** Every live value matching `predicate`, removed. */
  removeWhere(predicate: (value: T) => boolean): T[] {
    const out: T[] = [];
    for (const [handle, value] of this.#handles) {
      if (!predicate(value)) continue;
      this.#handles.delete(handle);
      out.push(value);
    }
    return out;
  }

  /** The earliest deadline (`Infinity` when empty). */
  nextDeadline(): number {
    let next = Infinity;
    for (const value of this.#handles.values()) next = Math.min(next, value.expiresAt);
    return next;
  }

  values(): IterableIterator<T> {
    return this.#handles.values();
  }
}
