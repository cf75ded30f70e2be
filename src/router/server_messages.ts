/**
 * Everything the server writes: answers mapped back to their client,
 * notifications delivered to exactly the clients they concern, and the
 * server's own requests answered by the mux or routed to one client.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  classify,
  errorResponse,
  type JsonRpcId,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import { preview } from "../log/logger.ts";
import { declaresListChanged, notificationAllowed, toolsListFor } from "./capabilities.ts";
import type { RouterContext } from "./context.ts";
import type { Features } from "./features.ts";
import { PAGINATED_METHODS, wrapCursor } from "./cursors.ts";
import { spliceId } from "../jsonrpc/splice.ts";
import type { PendingEntry } from "./client_to_server.ts";
import { subscriptionIdOf } from "./listens.ts";
import type { ClientSession } from "./session.ts";

/** Routes server→mux messages. */
export class ServerMessages {
  readonly #ctx: RouterContext;
  readonly #f: Features;

  constructor(ctx: RouterContext, features: Features) {
    this.#ctx = ctx;
    this.#f = features;
  }

  /** One line from the server's stdout. Junk is logged and skipped, never fatal. */
  line(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#ctx.log.warn("Server wrote a line that is not JSON to stdout; skipped: {line}", {
        line: preview(text),
      });
      return;
    }
    const msg = classify(value);
    switch (msg.kind) {
      case "response":
        return this.#response(msg.message, text);
      case "notification":
        return this.#notification(msg.message, text);
      case "request":
        return this.#request(msg.message);
      default:
        this.#ctx.log.warn(
          "Server wrote a line that is not a JSON-RPC message; skipped: {line}",
          { line: preview(text) },
        );
    }
  }

  /** The server wrote bytes that are not UTF-8: skipped, never fatal. */
  invalidUtf8(bytes: number): void {
    this.#ctx.log.warn("Server wrote {bytes} bytes of invalid UTF-8 to stdout; skipped", { bytes });
  }

  /** The server wrote a message over the size limit: fail its request if it was one. */
  oversized(bytes: number, id: JsonRpcId | null): void {
    const ctx = this.#ctx;
    ctx.log.warn("Server wrote a {bytes}-byte message, over the limit; discarded", { bytes });
    const entry = typeof id === "number" ? ctx.pending.take(id) : undefined;
    if (!entry) return;
    ctx.reply(
      entry,
      errorResponse(
        entry.clientId,
        ErrorCode.MessageTooLarge,
        `Server "${ctx.service}" answered ${entry.method} with ${bytes} bytes, over the ` +
          "mux's limit (--max-response-bytes); the answer was discarded",
        { service: ctx.service, bytes },
      ),
    );
  }

  #response(response: JsonRpcResponse, text: string): void {
    const id = response.id;
    if (typeof id === "string" && id.startsWith("rmcp-mux:")) {
      if (this.#f.listens.isStream(id)) return this.#f.listens.onStreamResult(id, response);
      return this.#ctx.upstream.onInternalResponse(id, response);
    }
    // Some servers echo a numeric id as a string: accept "17" for 17.
    const numeric = typeof id === "string" && /^\d+$/.test(id) ? Number(id) : id;
    const entry = typeof numeric === "number" ? this.#ctx.pending.take(numeric) : undefined;
    if (!entry) {
      // A cancelled request's late answer: the server is done with it (which may pass a turn).
      const late = typeof numeric === "number" && this.#ctx.cancelled.settle(numeric);
      this.#ctx.log.debug(
        late
          ? "Late answer to cancelled request {id}; dropped"
          : "Response for unknown or finished request {id}; dropped",
        { id },
      );
      return;
    }
    const now = this.#ctx.now();
    this.#ctx.latencies.record(now, now - entry.startedAt);
    // Across eras the answer may change shape, or be handled on the way (never between legacy peers).
    const translated = entry.client.era === "modern" || this.#ctx.upstream.handshake.modern
      ? this.#f.translate.onResponse(entry, response)
      : "unchanged";
    if (translated === "handled") return;
    this.#f.tasks.onResponse(entry, response);
    // Lists may be rewritten for their client; anything else travels as the server wrote it.
    const rewritten = translated === "changed" || PAGINATED_METHODS.has(entry.method);
    if (rewritten && "result" in response) this.#adaptResult(entry, response.result);
    const line = rewritten ? undefined : spliceId(text, entry.upstreamId, entry.clientId);
    response.id = entry.clientId;
    this.#ctx.reply(entry, response, line);
  }

  /** Make a result fit the client it goes to: its version, its cursors. */
  #adaptResult(entry: PendingEntry<ClientSession>, result: Record<string, unknown>): void {
    if (!PAGINATED_METHODS.has(entry.method)) return;
    if (typeof result.nextCursor === "string") {
      result.nextCursor = wrapCursor(this.#ctx.upstream.handshake.generation, result.nextCursor);
    }
    if (entry.method === "tools/list") {
      Object.assign(result, toolsListFor(entry.client.protocolVersion ?? "", result));
    }
  }

  #notification(note: JsonRpcNotification, text: string): void {
    if (this.#ctx.upstream.handshake.modern) {
      // A modern server's change notifications come on streams: the stream decides who hears them.
      const stream = subscriptionIdOf(note.params);
      if (stream !== undefined) return this.#f.listens.onStream(note, stream);
      if (note.method === "notifications/cancelled" && this.#f.listens.onServerCancel(note)) return;
    }
    switch (note.method) {
      case "notifications/progress":
        return this.#progress(note);
      case "notifications/cancelled":
        return this.#f.callbacks.onServerCancel(note);
      case "notifications/resources/updated":
        return this.#f.resources.onUpdated(note, text);
      case "notifications/message":
        return this.#f.logging.onMessage(note, text);
      case "notifications/tasks/status":
        return this.#f.tasks.onStatus(note, text);
      case "notifications/elicitation/complete":
        return this.#f.tasks.onElicitationComplete(note, text);
      case "notifications/tools/list_changed":
      case "notifications/prompts/list_changed":
      case "notifications/resources/list_changed":
        return this.#listChanged(note, text);
      default:
        // Anything else: every initialized client that may receive it, bytes unchanged.
        for (const session of this.#ctx.sessions) {
          if (session.initialized && notificationAllowed(session.protocolVersion!, note.method)) {
            session.port.send(text);
          }
        }
    }
  }

  #listChanged(note: JsonRpcNotification, text: string): void {
    const method = note.method;
    if (!declaresListChanged(this.#ctx.upstream.handshake.capabilities, method.split("/")[1]!)) {
      this.#ctx.log.debug("{method} from a server that did not declare listChanged; dropped", {
        method,
      });
      return;
    }
    for (const session of this.#ctx.sessions) {
      if (session.initialized) session.port.send(text);
    }
    if (this.#ctx.modernClients() > 0) {
      this.#f.listens.onLegacyListChanged(note);
    }
  }

  #progress(note: JsonRpcNotification): void {
    const token = note.params?.progressToken;
    const entry = typeof token === "number" ? this.#ctx.pending.get(token) : undefined;
    // A call answered input_required waits for its retry: its progress has nobody to go to.
    if (entry?.era?.parked) return;
    const owner = entry?.progressToken !== undefined
      ? { client: entry.client, token: entry.progressToken }
      : typeof token === "number"
      ? this.#f.tasks.progressFor(token)
      : undefined;
    if (!owner) {
      // Some hosts drop the whole connection on an unknown token: never forward one.
      this.#ctx.log.debug("Progress for unknown or finished token {token}; dropped", { token });
      return;
    }
    if (entry) entry.deadline = this.#ctx.deadline();
    const params: Record<string, unknown> = { ...note.params, progressToken: owner.token };
    // `message` arrived in 2025-03-26.
    if (owner.client.protocolVersion === "2024-11-05") delete params.message;
    this.#ctx.notify(owner.client, { ...note, params });
  }

  #request(request: JsonRpcRequest): void {
    if (request.method === "ping") {
      return this.#ctx.upstream.answerServer(resultResponse(request.id, {}));
    }
    if (request.method === "roots/list") return void this.#f.roots.answer(request);
    if (this.#f.callbacks.route(request)) return;
    this.#ctx.log.info("Server sent {method}, which rmcp-mux does not route; refused", {
      method: request.method,
    });
    this.#ctx.upstream.answerServer(errorResponse(
      request.id,
      ErrorCode.MethodNotFound,
      `Method not found: rmcp-mux does not route ${request.method} to its clients`,
    ));
  }
}
