/**
 * Everything an admitted client sends: parsed, classified, and routed —
 * answered by the mux, handed to a feature, or forwarded upstream with a
 * fresh id. A modern client's requests go through `modern_requests.ts` on
 * their way to the same {@link ClientMessages} forwarding; a client waiting
 * for a slot is `admission.ts`'s.
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
  resultResponse,
} from "../jsonrpc/message.ts";
import { preview } from "../log/logger.ts";
import { spliceId } from "../jsonrpc/splice.ts";
import { BatchReply } from "./batch.ts";
import type { RouterContext, Target } from "./context.ts";
import type { Features } from "./features.ts";
import { PAGINATED_METHODS, unwrapCursor } from "./cursors.ts";
import { checkServerHealth, healthWaitMs } from "./health_feature.ts";
import { DISCOVER_METHOD } from "./eras.ts";
import type { RequestEnvelope } from "./envelope.ts";
import { ModernRequests } from "./modern_requests.ts";
import { allowsBatches } from "./negotiate.ts";
import type { SerialTurns } from "./serial_gate.ts";
import type { ClientSession } from "./session.ts";
import { HEALTH_METHOD, HELLO_METHOD, STATUS_METHOD } from "../jsonrpc/mux_methods.ts";

/** In-flight upstream requests allowed at once; beyond it a request gets "mux overloaded". */
export const MAX_PENDING = 4096;

/** Routes client→mux messages. */
export class ClientMessages {
  readonly #ctx: RouterContext;
  readonly #f: Features;
  /** Serialize mode's turns, if on (a reload may turn it on or off: {@link serialize}). */
  #gate: SerialTurns | undefined;
  readonly #maxPending: number;
  /** Modern clients' requests, until they are forwarded. */
  readonly #modern: ModernRequests;
  #requestSeq = 0;

  constructor(
    ctx: RouterContext,
    features: Features,
    gate: SerialTurns | undefined,
    maxPending: number,
  ) {
    this.#ctx = ctx;
    this.#f = features;
    this.#gate = gate;
    this.#maxPending = maxPending;
    this.#modern = new ModernRequests(
      ctx,
      features,
      (session, request, target, text, envelope) =>
        this.#forward(session, request, target, text, envelope),
    );
  }

  /** Requests from now on go through these turns (serialize mode), or straight on. */
  serialize(gate: SerialTurns | undefined): void {
    this.#gate = gate;
  }

  /** A line from an admitted client (`parsed`: its value, when the transport parsed it). */
  line(session: ClientSession, text: string, parsed?: unknown): void {
    if (parsed !== undefined) return this.#value(session, parsed, session.target, text);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#ctx.notify(
        session,
        errorResponse(
          null,
          ErrorCode.ParseError,
          `Parse error: invalid JSON: ${preview(text, 80)}`,
        ),
      );
      return;
    }
    this.#value(session, value, session.target, text);
  }

  /** A client's bytes that are not UTF-8. */
  invalidUtf8(session: ClientSession): void {
    this.#ctx.notify(
      session,
      errorResponse(null, ErrorCode.ParseError, "Parse error: the message is not valid UTF-8"),
    );
  }

  /** A client's message over the size limit: discarded, answered with the id it seemed to have. */
  oversized(session: ClientSession, bytes: number, id: JsonRpcId | null): void {
    this.#ctx.log.warn("{client} sent a {bytes}-byte message; it was discarded", {
      client: session.label,
      bytes,
    });
    this.#ctx.notify(
      session,
      errorResponse(
        id,
        ErrorCode.MessageTooLarge,
        `Message of ${bytes} bytes exceeds the mux's limit; it was discarded ` +
          `(raise --max-request-bytes to allow larger requests)`,
        { service: this.#ctx.service, bytes },
      ),
    );
  }

  #value(session: ClientSession, value: unknown, target: Target, text?: string): void {
    const msg = classify(value);
    // Everything that will be answered is open until its answer goes out.
    if (
      msg.kind === "request" || msg.kind === "invalid" || (msg.kind === "batch" && target.batch)
    ) {
      session.openRequests++;
      session.requests++;
    }
    switch (msg.kind) {
      case "request":
        return this.#request(session, msg.message, target, text);
      case "notification":
        return this.#notification(session, msg.message, text);
      case "response":
        return this.#f.callbacks.onClientResponse(session, msg.message);
      case "batch":
        if (target.batch) {
          return this.#ctx.reply(
            target,
            errorResponse(null, ErrorCode.InvalidRequest, "Invalid request: nested batch"),
          );
        }
        return this.#batch(session, msg.items);
      case "invalid":
        return this.#ctx.reply(
          target,
          errorResponse(msg.id, ErrorCode.InvalidRequest, `Invalid request: ${msg.reason}`),
        );
    }
  }

  #batch(session: ClientSession, items: unknown[]): void {
    if (!allowsBatches(session.protocolVersion)) {
      return this.#ctx.notify(
        session,
        errorResponse(
          null,
          ErrorCode.InvalidRequest,
          `Invalid request: JSON-RPC batches are not part of MCP ${session.protocolVersion} ` +
            "(they exist only up to 2025-03-26); send one message per line",
        ),
      );
    }
    if (items.length === 0) {
      return this.#ctx.notify(
        session,
        errorResponse(null, ErrorCode.InvalidRequest, "Invalid request: empty batch"),
      );
    }
    // Every element except a valid notification or response gets an answer.
    const answered = items.map((item) => {
      const kind = classify(item).kind;
      return kind !== "notification" && kind !== "response";
    });
    const reply = new BatchReply(answered.filter(Boolean).length, (answers) => {
      if (!session.closed) session.port.send(JSON.stringify(answers));
    });
    let index = 0;
    for (const [i, item] of items.entries()) {
      const target: Target = answered[i]
        ? {
          client: session,
          batch: { fill: (n, m) => reply.fill(n, m), drop: (n) => reply.drop(n), index: index++ },
        }
        : session.target;
      this.#value(session, item, target);
    }
  }

  #request(
    session: ClientSession,
    request: JsonRpcRequest,
    target: Target,
    text?: string,
  ): void {
    const ctx = this.#ctx;
    // The probe first: it pins no era, and is answered at once (never held for a server to start).
    if (request.method === DISCOVER_METHOD) {
      return ctx.reply(target, this.#f.translate.discover(session, request));
    }
    if (session.era === "modern") return this.#modern.request(session, request, target, text);
    if (session.era === undefined && this.#modern.pins(session, request, target, text)) return;
    this.#f.roots.onRequest(session);
    switch (request.method) {
      case "ping":
        return ctx.reply(target, resultResponse(request.id, {}));
      case "initialize":
        session.era = "legacy";
        if (target.batch) {
          return ctx.reply(
            target,
            errorResponse(
              request.id,
              ErrorCode.InvalidRequest,
              "Invalid request: initialize must not be part of a batch",
            ),
          );
        }
        return ctx.upstream.initializeClient(session, request);
      case HEALTH_METHOD:
        session.markProbe();
        return void checkServerHealth(ctx, target, request.id, healthWaitMs(request.params));
      case STATUS_METHOD:
        session.markProbe();
        return ctx.reply(target, resultResponse(request.id, ctx.status()));
      case "resources/subscribe":
      case "resources/unsubscribe":
      case "logging/setLevel": {
        const refusal = ctx.upstream.refusal(request.method);
        if (refusal) return ctx.reply(target, errorResponse(request.id, ...refusal));
        if (request.method === "logging/setLevel") {
          return this.#f.logging.setLevel(session, request, target);
        }
        return request.method === "resources/subscribe"
          ? this.#f.resources.subscribe(session, request, target)
          : this.#f.resources.unsubscribe(session, request, target);
      }
      default:
        return this.#forward(session, request, target, text);
    }
  }

  #forward(
    session: ClientSession,
    request: JsonRpcRequest,
    target: Target,
    text?: string,
    envelope?: RequestEnvelope,
  ): void {
    const ctx = this.#ctx;
    const refusal = ctx.upstream.refusal(request.method) ??
      this.#f.tasks.refusal(session, request) ?? this.#cursorRefusal(request);
    if (refusal) {
      const [code, message, data] = refusal;
      return ctx.reply(target, errorResponse(request.id, code, message, data));
    }
    if (ctx.pending.hasClientId(session, request.id)) {
      return ctx.reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.InvalidRequest,
          `Invalid request: id ${JSON.stringify(request.id)} is already used by a request ` +
            "of yours that is still in flight",
        ),
      );
    }
    if (ctx.pending.size >= this.#maxPending) {
      ctx.log.warn("Mux overloaded: {count} requests in flight; refusing {method} from {client}", {
        count: ctx.pending.size,
        method: request.method,
        client: session.label,
      });
      return ctx.reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.Overloaded,
          `Mux overloaded: ${ctx.pending.size} requests are already in flight to server ` +
            `"${ctx.service}" (limit MAX_PENDING=${this.#maxPending}); retry shortly`,
          { service: ctx.service },
        ),
      );
    }
    const meta = request.params?._meta as Record<string, unknown> | undefined;
    const token = meta?.progressToken as JsonRpcId | undefined;
    const entry = ctx.pending.add(
      target,
      request.id,
      request.method,
      ctx.deadline(),
      token,
      ctx.now(),
    );
    // Ids and progress tokens are rewritten to the upstream id: unique across clients.
    // Across eras the envelope is added or stripped too (never between two legacy peers).
    const translated = session.era === "modern" || ctx.upstream.handshake.modern
      ? this.#f.translate.requestParams(
        session,
        request.method,
        token !== undefined ? withToken(request.params!, entry.upstreamId) : request.params,
        entry,
        envelope,
      )
      : undefined;
    // Without a token (or a cursor) to rewrite, only the id changes: splice it into the text.
    const untouched = translated === undefined && token === undefined && text !== undefined &&
      request.params?.cursor === undefined;
    const line = (untouched && spliceId(text, request.id, entry.upstreamId)) ||
      JSON.stringify({
        ...request,
        id: entry.upstreamId,
        ...(translated !== undefined
          ? { params: translated }
          : token !== undefined
          ? { params: withToken(request.params!, entry.upstreamId) }
          : {}),
      });
    request.id = entry.upstreamId;
    session.lastRequest = ++this.#requestSeq;
    if (!this.#gate || this.#gate.offer(session, line, entry)) {
      ctx.upstream.traffic.send(line, entry, session);
    }
    ctx.armSweep(entry.deadline);
    ctx.watchUpstream();
  }

  #cursorRefusal(request: JsonRpcRequest): [number, string] | undefined {
    if (!PAGINATED_METHODS.has(request.method) || request.params?.cursor === undefined) return;
    const unwrapped = unwrapCursor(this.#ctx.upstream.handshake.generation, request.params.cursor);
    if (!unwrapped.ok) return [ErrorCode.InvalidParams, `Invalid cursor: ${unwrapped.reason}`];
    request.params.cursor = unwrapped.cursor;
    return undefined;
  }

  #notification(session: ClientSession, note: JsonRpcNotification, text?: string): void {
    if (session.era === "modern" && this.#modern.ignores(session, note)) return;
    switch (note.method) {
      case "notifications/initialized":
        // The upstream got the mux's own, once per process. Now the client may be asked things.
        return void this.#f.roots.refresh(session);
      case "notifications/cancelled":
        return this.#cancel(session, note);
      case "notifications/progress":
        return this.#f.callbacks.onClientProgress(session, note, text ?? JSON.stringify(note));
      case "notifications/roots/list_changed":
        return void this.#f.roots.refresh(session);
      case HELLO_METHOD:
        return session.introduce(note.params);
      default:
        this.#ctx.upstream.traffic.send(JSON.stringify(note), undefined, session);
    }
  }

  #cancel(session: ClientSession, note: JsonRpcNotification): void {
    const requestId = note.params?.requestId;
    const entry = requestId === undefined
      ? undefined
      : this.#ctx.pending.findByClientId(session, requestId as JsonRpcId);
    if (!entry) {
      // Between two rounds of the legacy shim, or a stream the mux ended itself.
      if (requestId !== undefined && this.#f.shim.cancel(session, requestId as JsonRpcId)) return;
      if (requestId !== undefined && this.#f.listens.cancel(session, requestId as JsonRpcId)) {
        return;
      }
      this.#ctx.log.debug("{client} cancelled unknown or finished request {id}; ignored", {
        client: session.label,
        id: requestId,
      });
      return;
    }
    // The server hears of the cancel first: taking the entry may pass a serialize turn, and
    // the next client's requests must not overtake it.
    this.#ctx.cancelUpstream(entry, note.params?.reason);
    this.#ctx.pending.take(entry.upstreamId);
    // Its call was answered input_required already: only the server's questions remain.
    if (entry.era?.parked) return this.#f.bridge.abandon(entry);
    // A cancelled request is never answered (in a batch, the others still are).
    entry.batch?.drop(entry.batch.index);
    if (session.openRequests > 0) session.openRequests--;
    this.#ctx.settled(session);
  }
}

/** `params` with `_meta.progressToken` replaced (the client's object is not changed). */
function withToken(params: Record<string, unknown>, token: JsonRpcId): Record<string, unknown> {
  const meta = params._meta as Record<string, unknown>;
  return { ...params, _meta: { ...meta, progressToken: token } };
}
