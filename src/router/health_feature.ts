/**
 * The mux's health check (`rmcp-mux/health`): a real `ping` round trip
 * through the mux to the server, or an answer that says in words what state
 * the server is in.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcId,
  resultResponse,
} from "../jsonrpc/message.ts";
import type { RouterContext, Target } from "./context.ts";

/** How long a health check waits for the server's answer to `ping`. */
export const HEALTH_PING_TIMEOUT_MS = 10_000;

/** Longest a health check waits for a starting server (its `params.waitMs` is capped here). */
export const HEALTH_MAX_WAIT_MS = 60_000;

/**
 * How long the caller of `rmcp-mux/health` lets the mux wait for a starting
 * server: `params.waitMs` (a whole number of ms), else not at all.
 */
export function healthWaitMs(params: Record<string, unknown> | undefined): number {
  const wait = params?.waitMs;
  return typeof wait === "number" && Number.isFinite(wait) && wait > 0
    ? Math.min(Math.floor(wait), HEALTH_MAX_WAIT_MS)
    : 0;
}

/**
 * Answer a health check for `target`'s request `id`. A server that has not
 * been started (lazy start, or stopped while idle) is healthy: it starts on
 * demand. One that is starting or restarting is waited for, up to `waitMs`.
 */
export async function checkServerHealth(
  ctx: RouterContext,
  target: Target,
  id: JsonRpcId,
  waitMs = 0,
): Promise<void> {
  const upstream = ctx.upstream;
  const data = () => ({ service: ctx.service, state: upstream.state.phase });
  if (upstream.closing) {
    return ctx.reply(target, errorResponse(id, ...upstream.refusal("health")!));
  }
  const state = upstream.state;
  if (state.phase === "idle") {
    return ctx.reply(
      target,
      resultResponse(id, {
        status: "idle",
        service: ctx.service,
        pid: null,
        reason: state.reason ?? "lazy start",
      }),
    );
  }
  if (state.phase === "unresponsive") {
    return ctx.reply(
      target,
      errorResponse(id, ErrorCode.ServerUnavailable, upstream.notReadyReason(), data()),
    );
  }
  // The whole answer fits in the caller's budget (when it gave one).
  const deadline = ctx.now() + (waitMs > 0 ? waitMs : HEALTH_PING_TIMEOUT_MS);
  if (!upstream.ready && waitMs > 0 && state.phase !== "failed") {
    await upstream.whenReady(deadline);
  }
  if (!upstream.ready) {
    return ctx.reply(
      target,
      errorResponse(id, ErrorCode.ServerUnavailable, upstream.notReadyReason(), data()),
    );
  }
  const started = ctx.now();
  const pong = await upstream.request("ping", undefined, Math.max(1, deadline - started));
  if (isErrorResponse(pong)) {
    const code = pong.error.code === ErrorCode.RequestTimeout
      ? ErrorCode.RequestTimeout
      : ErrorCode.ServerUnavailable;
    return ctx.reply(
      target,
      errorResponse(
        id,
        code,
        `server "${ctx.service}" did not answer ping: ${pong.error.message}`,
        data(),
      ),
    );
  }
  ctx.reply(
    target,
    resultResponse(id, {
      status: "ok",
      service: ctx.service,
      pid: upstream.state.pid ?? null,
      latencyMs: ctx.now() - started,
      serverInfo: upstream.serverInfo,
    }),
  );
}
