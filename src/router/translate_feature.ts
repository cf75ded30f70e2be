/**
 * Requests and answers between a client and a server of different eras:
 * the envelope added to a legacy client's request for a modern server
 * (its own capabilities, identity and log level) or stripped from a modern
 * client's request for a legacy one (and recorded on the request), held
 * requests adapted once the server's era is known, results made fit for
 * their client, and `server/discover` answered from the server's handshake.
 * Nothing here runs between a legacy client and a legacy server.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import type { PendingEntry } from "./client_to_server.ts";
import type { RouterContext } from "./context.ts";
import {
  DISCOVER_METHOD,
  envelopeVersion,
  MODERN_PROTOCOL_VERSIONS,
  MRTR_METHODS,
} from "./eras.ts";
import {
  bridgedCapabilities,
  legacyClientEnvelope,
  type RequestEnvelope,
  servedVersions,
  withEnvelope,
  withoutEnvelope,
} from "./envelope.ts";
import { toLegacyResult, toModernError, toModernResult } from "./era_results.ts";
import type { ListensFeature } from "./listens_feature.ts";
import type { LoggingFeature } from "./logging_feature.ts";
import { type MrtrBridgeFeature, subjectOf } from "./mrtr_bridge_feature.ts";
import type { LegacyShimFeature } from "./mrtr_shim_feature.ts";
import { URL_ELICITATION_REQUIRED } from "./tasks_feature.ts";
import { SUPPORTED_PROTOCOL_VERSIONS } from "./negotiate.ts";
import type { HeldMessage } from "./outbox.ts";
import type { ClientSession } from "./session.ts";

type Entry = PendingEntry<ClientSession>;

/** What the response path does after {@link TranslateFeature.onResponse}. */
export type Translated = "handled" | "changed" | "unchanged";

/** What the feature needs beside the context. */
export interface TranslateParts {
  logging: LoggingFeature;
  shim: LegacyShimFeature;
  listens: ListensFeature;
  bridge: MrtrBridgeFeature;
}

/** Era translation of requests and answers. */
export class TranslateFeature {
  readonly #ctx: RouterContext;
  readonly #p: TranslateParts;

  constructor(ctx: RouterContext, parts: TranslateParts) {
    this.#ctx = ctx;
    this.#p = parts;
  }

  /**
   * The params a request carries upstream when its client's era differs
   * from the server's (or the server's is not known yet); `undefined` when
   * they go as they came. Records what the answer will need on `entry`.
   */
  requestParams(
    session: ClientSession,
    method: string,
    params: Record<string, unknown> | undefined,
    entry: Entry,
    envelope: RequestEnvelope | undefined,
  ): Record<string, unknown> | undefined {
    const upstream = this.#ctx.upstream;
    const era = upstream.ready ? upstream.handshake.era : null;
    if (session.era === "modern") {
      if (envelope) entry.era = { ...entry.era, envelope };
      if (MRTR_METHODS.has(method)) entry.era = { ...entry.era, subject: subjectOf(params) };
      if (era === "legacy") return withoutEnvelope(params) ?? {};
      const caps = envelope?.clientCapabilities;
      if (envelope && caps && bridgedCapabilities(caps) !== caps) {
        // Tasks are not bridged: the server must not think this client takes them.
        return withEnvelope(params, { ...envelope, clientCapabilities: bridgedCapabilities(caps) });
      }
      return undefined;
    }
    if (MRTR_METHODS.has(method)) this.#p.shim.remember(entry, params);
    // Not known to be modern yet: held as it came, adapted when the server is ready.
    if (era !== "modern") return undefined;
    return withEnvelope(params, this.#legacyEnvelope(session, entry));
  }

  /**
   * A held message's line for the server now ready, whose era may differ
   * from its client's; `undefined` when it is not to be sent (a modern
   * client's stream, ended in the mux because the server is legacy).
   */
  adaptHeld(message: HeldMessage<ClientSession, Entry>): string | undefined {
    const { entry, session } = message;
    if (!entry || !session) return message.line;
    const modern = this.#ctx.upstream.handshake.modern;
    if ((session.era === "modern") === modern) return message.line;
    const value = JSON.parse(message.line) as { params?: Record<string, unknown> };
    if (session.era === "modern") {
      value.params = withoutEnvelope(value.params);
    } else {
      if (MRTR_METHODS.has(entry.method)) this.#p.shim.remember(entry, value.params);
      value.params = withEnvelope(value.params, this.#legacyEnvelope(session, entry));
    }
    return JSON.stringify(value);
  }

  /**
   * An answer from the server for a request whose client or server is
   * modern: passed on as it is, changed in place (`response` now holds what
   * the client gets), or handled here (the shim, a stream's end).
   */
  onResponse(entry: Entry, response: JsonRpcResponse): Translated {
    const upstream = this.#ctx.upstream;
    if (upstream.handshake.modern) {
      if (entry.client.era === "modern" || isErrorResponse(response)) return "unchanged";
      if (response.result.resultType === "input_required") {
        this.#p.shim.onInputRequired(entry, response.result);
        return "handled";
      }
      response.result = toLegacyResult(entry.method, response.result);
      return "changed";
    }
    if (entry.client.era !== "modern") return "unchanged";
    if (isErrorResponse(response)) {
      if (
        response.error.code === URL_ELICITATION_REQUIRED &&
        this.#p.bridge.urlRequired(entry, response.error.data)
      ) {
        return "handled";
      }
      const error = toModernError(response.error);
      if (error === response.error) return "unchanged";
      (response as { error: unknown }).error = error;
      return "changed";
    }
    response.result = toModernResult(entry.method, response.result, upstream.handshake.serverInfo);
    return "changed";
  }

  /**
   * `server/discover`: the server's capabilities in the modern era's words
   * once it is ready. Before that (or for a client pinned to the initialize
   * era) -32601, which every dual-era client reads as "use initialize":
   * answering it must never wait for a server to start.
   */
  discover(session: ClientSession, request: JsonRpcRequest): JsonRpcResponse {
    const requested = envelopeVersion(request.params);
    const upstream = this.#ctx.upstream;
    const answer = session.era === "legacy" ? undefined : upstream.handshake.discoverAnswer();
    if (!answer) return discoverRefusal(request.id);
    if (requested !== undefined && !MODERN_PROTOCOL_VERSIONS.includes(requested)) {
      const supported = servedVersions();
      return errorResponse(
        request.id,
        ErrorCode.UnsupportedProtocolVersion,
        `Unsupported protocol version ${requested}: this server (through rmcp-mux) serves ` +
          `MCP ${supported.join(", ")}`,
        { supported, requested },
      );
    }
    return resultResponse(request.id, answer);
  }

  /** The envelope for a legacy client's request to a modern server, recorded on its entry. */
  #legacyEnvelope(session: ClientSession, entry: Entry): RequestEnvelope {
    const envelope = legacyClientEnvelope(
      this.#ctx.upstream.handshake.modernVersion,
      session.hello,
      this.#p.logging.levelOf(session),
    );
    entry.era = { ...entry.era, envelope };
    return envelope;
  }
}

/**
 * The answer to a `server/discover` the mux cannot serve yet (the server
 * has not answered its handshake, or the client pinned itself to the
 * initialize era): -32601, at once, which every dual-era client reads as
 * "use initialize". -32022 would tell it not to fall back.
 */
export function discoverRefusal(id: JsonRpcRequest["id"]): JsonRpcResponse {
  return errorResponse(
    id,
    ErrorCode.MethodNotFound,
    `Method not found: ${DISCOVER_METHOD} (this server is reached through rmcp-mux; it is not ` +
      `ready yet to answer it, and serves MCP ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")} at ` +
      "once: use initialize)",
  );
}
