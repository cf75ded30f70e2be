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

/** Answer a health check for `target`'s request `id`. */
export async function checkServerHealth(
  ctx: RouterContext,
  target: Target,
  id: JsonRpcId,
): Promise<void> {
  const upstream = ctx.upstream;
  const data = () => ({ service: ctx.service, state: upstream.state.phase });
  if (upstream.closing) {
    return ctx.reply(target, errorResponse(id, ...upstream.refusal("health")!));
  }
  if (!upstream.ready) {
    return ctx.reply(
      target,
      errorResponse(id, ErrorCode.ServerUnavailable, upstream.notReadyReason(), data()),
    );
  }
  const started = ctx.now();
  const method = upstream.modern ? DISCOVER_METHOD : "ping";
  const params = upstream.modern ? { _meta: upstream.ownEnvelope() } : undefined;
  const pong = await upstream.request(method, params, HEALTH_PING_TIMEOUT_MS);
  if (isErrorResponse(pong)) {
    const code = pong.error.code === ErrorCode.RequestTimeout
      ? ErrorCode.RequestTimeout
      : ErrorCode.ServerUnavailable;
    return ctx.reply(
      target,
      errorResponse(
        id,
        code,
        `server "${ctx.service}" did not answer ${method}: ${pong.error.message}`,
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
      era: upstream.era,
    }),
  );
}
