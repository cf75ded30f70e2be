/**
 * What a client of MCP 2026-07-28 sends, up to the point where it is
 * forwarded like anyone's: the first request carrying a `_meta` envelope
 * pins its client to the modern era; `initialize` and the initialize era's
 * own methods are refused; every request's envelope is checked;
 * `subscriptions/listen` goes to the listens feature and a retry carrying
 * one of the bridge's handles to the bridge; the only notification such a
 * client sends is a cancel. Nothing here runs for a legacy client.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  type JsonRpcNotification,
  type JsonRpcRequest,
  resultResponse,
} from "../jsonrpc/message.ts";
import { HEALTH_METHOD, STATUS_METHOD } from "../jsonrpc/mux_methods.ts";
import type { RouterContext, Target } from "./context.ts";
import type { Features } from "./features.ts";
import {
  envelopeVersion,
  LEGACY_ONLY_METHODS,
  LISTEN_METHOD,
  MODERN_PROTOCOL_VERSION,
  MODERN_PROTOCOL_VERSIONS,
} from "./eras.ts";
import { readEnvelope, type RequestEnvelope } from "./envelope.ts";
import { checkServerHealth } from "./health_feature.ts";
import type { ClientSession } from "./session.ts";

/** Forward a request upstream (the client→server path every era shares). */
export type Forward = (
  session: ClientSession,
  request: JsonRpcRequest,
  target: Target,
  text: string | undefined,
  envelope: RequestEnvelope,
) => void;

/** Routes the requests of modern clients until they are forwarded. */
export class ModernRequests {
  readonly #ctx: RouterContext;
  readonly #f: Features;
  readonly #forward: Forward;

  constructor(ctx: RouterContext, features: Features, forward: Forward) {
    this.#ctx = ctx;
    this.#f = features;
    this.#forward = forward;
  }

  /**
   * A request from a client of no era yet: when it carries a 2026-07-28
   * envelope (a client pinned to that era, or one that probed first), it
   * pins its client to the modern era and is routed here (true).
   */
  pins(session: ClientSession, request: JsonRpcRequest, target: Target, text?: string): boolean {
    if (request.method === "initialize" || envelopeVersion(request.params) === undefined) {
      return false;
    }
    const check = readEnvelope(request.params);
    if (!check.ok) {
      this.#ctx.reply(target, errorResponse(request.id, check.code, check.message, check.data));
      return true;
    }
    this.#ctx.pinModern(session);
    session.protocolVersion = MODERN_PROTOCOL_VERSION;
    this.#ctx.log.info("{client} speaks MCP {version}", {
      client: session.label,
      version: check.envelope.protocolVersion,
    });
    this.request(session, request, target, text, check.envelope);
    return true;
  }

  /** A request from a client of the modern era (`checked`: its envelope, already read). */
  request(
    session: ClientSession,
    request: JsonRpcRequest,
    target: Target,
    text: string | undefined,
    checked?: RequestEnvelope,
  ): void {
    const ctx = this.#ctx;
    switch (request.method) {
      case HEALTH_METHOD:
        return void checkServerHealth(ctx, target, request.id);
      case STATUS_METHOD:
        return ctx.reply(target, resultResponse(request.id, ctx.status()));
      case "initialize":
        // The era was settled by this client's earlier requests: no falling back now.
        return ctx.reply(
          target,
          errorResponse(
            request.id,
            ErrorCode.UnsupportedProtocolVersion,
            `Unsupported protocol version: this connection already speaks MCP ` +
              `${MODERN_PROTOCOL_VERSION} (initialize does not exist there); open a new ` +
              "connection to use initialize",
            {
              supported: [...MODERN_PROTOCOL_VERSIONS],
              requested: request.params?.protocolVersion ?? null,
            },
          ),
        );
    }
    if (LEGACY_ONLY_METHODS.has(request.method)) {
      return ctx.reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.MethodNotFound,
          `Method not found: ${request.method} is not part of MCP ${MODERN_PROTOCOL_VERSION}`,
        ),
      );
    }
    let envelope = checked;
    if (!envelope) {
      const check = readEnvelope(request.params);
      if (!check.ok) {
        return ctx.reply(target, errorResponse(request.id, check.code, check.message, check.data));
      }
      envelope = check.envelope;
    }
    if (envelope.clientInfo) session.modernInfo = envelope.clientInfo;
    if (request.method === LISTEN_METHOD) {
      return this.#f.listens.listen(session, request, target, envelope);
    }
    const state = request.params?.requestState;
    if (
      typeof state === "string" &&
      (ctx.upstream.handshake.era === "legacy" || this.#f.bridge.has(state))
    ) {
      // A retry after the mux's own input_required (a legacy server asked for input).
      const again = this.#f.bridge.retry(session, request, target);
      if (!again) return;
      return this.#forward(session, again, target, undefined, envelope);
    }
    this.#forward(session, request, target, text, envelope);
  }

  /** True for a notification a modern client may not send (all but a cancel): dropped. */
  ignores(session: ClientSession, note: JsonRpcNotification): boolean {
    if (note.method === "notifications/cancelled") return false;
    this.#ctx.log.debug("{client} sent {method}, which MCP 2026-07-28 does not have; ignored", {
      client: session.label,
      method: note.method,
    });
    return true;
  }
}
