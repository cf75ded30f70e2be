/**
 * Talking to a daemon's control socket (or a single mux's socket, for
 * `status`): one request, one answer, a timeout, and errors in words.
 *
 * @module
 */

import { requestOnce } from "../transport/request_once.ts";

/** A control command failed; the message says why. */
export class ControlError extends Error {
  /** Always `"ControlError"`. */
  override name = "ControlError";
}

/**
 * Send one request to the socket at `path` and return its result.
 * Throws {@link ControlError} when the socket cannot be reached, the answer is
 * an error, or no answer comes within `timeoutMs`.
 *
 * @example
 * ```ts
 * import { callControl, ControlError } from "@rmcp-mux/mux";
 * try {
 *   await callControl("/nonexistent/rmcp-mux.sock", "status");
 * } catch (error) {
 *   console.log((error as ControlError).message); // cannot connect to …: no such socket …
 * }
 * ```
 */
export async function callControl(
  path: string,
  method: string,
  params?: Record<string, unknown>,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  let outcome;
  try {
    outcome = await requestOnce(path, method, params, timeoutMs);
  } catch (error) {
    throw new ControlError((error as Error).message, { cause: error });
  }
  if (outcome.kind === "timeout") {
    throw new ControlError(`${path} did not answer ${method} within ${timeoutMs / 1000} s`);
  }
  if (outcome.kind === "closed") {
    throw new ControlError(`${path} closed the connection without answering`);
  }
  const { error, result } = outcome.message as { error?: { message?: string }; result?: unknown };
  if (error) throw new ControlError(String(error.message ?? "error"));
  return result as Record<string, unknown>;
}
