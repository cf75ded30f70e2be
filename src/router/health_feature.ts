/**
 * The mux's health check (`rmcp-mux/health`): a real round trip through
 * the mux to the server (`ping`; `server/discover` on a modern server, which
 * has no `ping`), or an answer that says in words what state the server is
 * in.
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
import { DISCOVER_METHOD } from "./eras.ts";

/** How long a health check waits for the server's answer to `ping` (or `server/discover`). */
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

/** A health check's outcome: a result to send, or an error (code, message, data). */
export type HealthOutcome =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; error: [code: number, message: string, data: Record<string, unknown>] };

/** Answer a health check for `target`'s request `id` (see {@link serverHealth}). */
export function checkServerHealth(
  ctx: RouterContext,
  target: Target,
  id: JsonRpcId,
  waitMs = 0,
): Promise<void> | void {
  const answer = (outcome: HealthOutcome) =>
    ctx.reply(
      target,
      outcome.ok ? resultResponse(id, outcome.result) : errorResponse(id, ...outcome.error),
    );
  const outcome = serverHealth(ctx, waitMs);
  if (outcome instanceof Promise) return outcome.then(answer);
  answer(outcome);
}

/**
 * Check the server: a server that has not been started (lazy start, or
 * stopped while idle) is healthy, it starts on demand; one that is starting
 * or restarting is waited for, up to `waitMs`; a ready one must answer a
 * ping. What is known at once is answered at once (not a promise).
 */
export function serverHealth(
  ctx: RouterContext,
  waitMs = 0,
): HealthOutcome | Promise<HealthOutcome> {
  const upstream = ctx.upstream;
  if (upstream.closing) {
    const [code, message, data] = upstream.refusal("health")!;
    return { ok: false, error: [code, message, data as Record<string, unknown>] };
  }
  const state = upstream.state;
  // Idle: not started, stopped for idling, or being stopped (held traffic waits for the next).
  if (state.phase === "idle" && (!upstream.ready || upstream.traffic.holding)) {
    return {
      ok: true,
      result: {
        status: "idle",
        service: ctx.service,
        pid: null,
        reason: state.reason ?? "lazy start",
      },
    };
  }
  const waits = !upstream.ready && waitMs > 0 && state.phase !== "failed";
  if (state.phase === "unresponsive" || (!upstream.ready && !waits)) {
    return down(ctx, ErrorCode.ServerUnavailable, upstream.notReadyReason());
  }
  return pingThrough(ctx, waitMs);
}

function down(ctx: RouterContext, code: number, message: string): HealthOutcome {
  return {
    ok: false,
    error: [code, message, { service: ctx.service, state: ctx.upstream.state.phase }],
  };
}

async function pingThrough(ctx: RouterContext, waitMs: number): Promise<HealthOutcome> {
  const upstream = ctx.upstream;
  // The whole answer fits in the caller's budget (when it gave one).
  const deadline = ctx.now() + (waitMs > 0 ? waitMs : HEALTH_PING_TIMEOUT_MS);
  if (!upstream.ready) await upstream.whenReady(deadline);
  if (!upstream.ready) return down(ctx, ErrorCode.ServerUnavailable, upstream.notReadyReason());
  const started = ctx.now();
  const method = upstream.handshake.modern ? DISCOVER_METHOD : "ping";
  const params = upstream.handshake.modern
    ? { _meta: upstream.handshake.ownEnvelope() }
    : undefined;
  const pong = await upstream.request(method, params, Math.max(1, deadline - started));
  if (isErrorResponse(pong)) {
    const code = pong.error.code === ErrorCode.RequestTimeout
      ? ErrorCode.RequestTimeout
      : ErrorCode.ServerUnavailable;
    return down(
      ctx,
      code,
      `server "${ctx.service}" did not answer ${method}: ${pong.error.message}`,
    );
  }
  return {
    ok: true,
    result: {
      status: "ok",
      service: ctx.service,
      pid: upstream.state.pid ?? null,
      latencyMs: ctx.now() - started,
      serverInfo: upstream.handshake.serverInfo,
      era: upstream.handshake.era,
    },
  };
}
