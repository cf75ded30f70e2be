/**
 * `subscriptions/listen` streams, three ways:
 *
 * - **The mux's own, on a modern server, for legacy clients**
 *   (`own_streams.ts`).
 * - **A modern client's, passed through to a modern server,** under an id
 *   of the mux's own: the stream tag is rewritten back to the client's id
 *   on the acknowledgement, each notification, the closing result and a
 *   server-sent cancel. After a restart the request is sent again and the
 *   new acknowledgement swallowed: the client's stream just goes on.
 * - **A modern client's, ended in the mux, in front of a legacy server.**
 *   The mux acknowledges it, holds its URIs' `resources/subscribe` (shared
 *   with legacy clients) and tags the matching notifications for it.
 *
 * Streams live here, not among requests in flight: they never time out,
 * never hold `--serialize`'s turn, and never count as open requests (a
 * shutdown does not wait for them; they get the graceful closing result).
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import { MUX_STOPPING_META } from "../jsonrpc/mux_methods.ts";
import { listChangedMethods } from "./capabilities.ts";
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcId,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "../jsonrpc/message.ts";
import type { RouterContext, Target } from "./context.ts";
import type { Features } from "./features.ts";
import { LISTEN_ACK, LISTEN_METHOD, META } from "./eras.ts";
import { bridgedCapabilities, type RequestEnvelope, withEnvelope } from "./envelope.ts";
import {
  filterOf,
  honoredFilter,
  isEmptyFilter,
  listChangedFlag,
  listenAck,
  listenClosed,
  type ListenFilter,
  tagged,
} from "./listens.ts";
import { OwnStreams } from "./own_streams.ts";
import type { ClientSession } from "./session.ts";

/** A modern client's stream that the mux ended itself (the server is legacy). */
export interface TerminatedListen {
  readonly session: ClientSession;
  /** The client's id for its listen request: the stream's tag. */
  readonly id: JsonRpcId;
  readonly filter: ListenFilter;
}

/** A modern client's stream passed through to a modern server. */
interface PassedStream {
  readonly session: ClientSession;
  readonly clientId: JsonRpcId;
  /** The mux's id for it upstream. */
  readonly id: string;
  /** The client's request (params as sent upstream): sent again after a restart. */
  readonly request: JsonRpcRequest;
  sent: boolean;
  acked: boolean;
}

const STREAM_PREFIX = "rmcp-mux:listen:";

/** Every `subscriptions/listen` stream the mux holds, opens or passes. */
export class ListensFeature {
  readonly #ctx: RouterContext;
  readonly #f: () => Features;
  /** The mux's own streams. */
  readonly #own: OwnStreams;
  /** Modern clients' streams passed through, by the mux's id. */
  readonly #passed = new Map<string, PassedStream>();
  /** Modern clients' streams ended here. */
  readonly #ended = new Map<ClientSession, Map<JsonRpcId, TerminatedListen>>();
  #next = 1;

  constructor(ctx: RouterContext, features: () => Features) {
    this.#ctx = ctx;
    this.#f = features;
    this.#own = new OwnStreams(
      ctx,
      () => `${STREAM_PREFIX}${this.#next++}`,
      (note) => features().resources.onUpdated(note, JSON.stringify(note)),
    );
  }

  /** Streams open or waiting: the mux's own, passed through, ended here. */
  get counts(): { own: number; passed: number; ended: number } {
    let ended = 0;
    for (const listens of this.#ended.values()) ended += listens.size;
    return { own: this.#own.open, passed: this.#passed.size, ended };
  }

  /** Is this a stream id of the mux's (its own, or a client's passed through)? */
  isStream(id: unknown): id is string {
    return typeof id === "string" && id.startsWith(STREAM_PREFIX);
  }

  // ── The mux's own streams (modern server, legacy clients) ──────────────

  /** Watch `uri` on a modern server; resolves at its acknowledgement (an error if not honored). */
  openUri(uri: string): Promise<JsonRpcResponse> {
    return this.#own.openUri(uri);
  }

  /** Stop watching `uri`. */
  closeUri(uri: string): void {
    this.#own.closeUri(uri);
  }

  // ── Modern clients' streams ─────────────────────────────────────────────

  /**
   * A modern client's listen: passed to a modern server under an id of the
   * mux's, ended here in front of a legacy one, or kept until the server's
   * era is known.
   */
  listen(
    session: ClientSession,
    request: JsonRpcRequest,
    target: Target,
    envelope: RequestEnvelope,
  ): void {
    const upstream = this.#ctx.upstream;
    if (upstream.ready && upstream.handshake.era === "legacy") {
      return this.terminate(session, request, target);
    }
    if (!filterOf(request.params)) return this.#badFilter(request, target);
    if (this.#findPassed(session, request.id)) {
      return this.#ctx.reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.InvalidRequest,
          `Invalid request: id ${JSON.stringify(request.id)} is already used by a stream of yours`,
        ),
      );
    }
    const caps = bridgedCapabilities(envelope.clientCapabilities);
    const params = caps === envelope.clientCapabilities
      ? request.params
      : withEnvelope(request.params, { ...envelope, clientCapabilities: caps });
    const id = `${STREAM_PREFIX}${this.#next++}`;
    const stream: PassedStream = {
      session,
      clientId: request.id,
      id,
      request: { ...request, id, ...(params ? { params } : {}) },
      sent: false,
      acked: false,
    };
    this.#passed.set(id, stream);
    this.#uncount(session);
    if (upstream.ready) this.#send(stream);
    else upstream.demand();
  }

  /** A modern client's listen in front of a legacy server: acknowledged and served here. */
  terminate(session: ClientSession, request: JsonRpcRequest, target: Target): void {
    const requested = filterOf(request.params);
    if (!requested) return this.#badFilter(request, target);
    const honored = honoredFilter(requested, this.#ctx.upstream.handshake.capabilities);
    this.#ctx.notify(session, listenAck(request.id, honored));
    this.#uncount(session);
    if (isEmptyFilter(honored)) {
      return this.#ctx.notify(
        session,
        listenClosed(request.id, this.#ctx.upstream.handshake.serverInfo),
      );
    }
    const listen: TerminatedListen = { session, id: request.id, filter: honored };
    let listens = this.#ended.get(session);
    if (!listens) this.#ended.set(session, listens = new Map());
    const previous = listens.get(request.id);
    if (previous) this.#f().resources.unwatch(previous);
    listens.set(request.id, listen);
    for (const uri of honored.resourceSubscriptions ?? []) this.#f().resources.watch(listen, uri);
  }

  /** A legacy server's list change: to the streams ended here that asked for it. */
  onLegacyListChanged(note: JsonRpcNotification): void {
    const flag = listChangedFlag(note.method);
    if (!flag) return;
    for (const listens of this.#ended.values()) {
      for (const listen of listens.values()) {
        if (listen.filter[flag]) this.#ctx.notify(listen.session, tagged(note, listen.id));
      }
    }
  }

  /** A modern client cancelled one of its streams: true if `id` was one. */
  cancel(session: ClientSession, id: JsonRpcId): boolean {
    const listen = this.#ended.get(session)?.get(id);
    if (listen) {
      this.#ended.get(session)!.delete(id);
      this.#f().resources.unwatch(listen);
      return true;
    }
    const passed = this.#findPassed(session, id);
    if (!passed) return false;
    this.#passed.delete(passed.id);
    if (passed.sent) this.#ctx.upstream.cancel(passed.id, "the client ended the stream");
    return true;
  }

  /** A client left: its streams end (upstream too). */
  release(session: ClientSession): void {
    const listens = this.#ended.get(session);
    this.#ended.delete(session);
    for (const listen of listens?.values() ?? []) this.#f().resources.unwatch(listen);
    for (const passed of [...this.#passed.values()]) {
      if (passed.session === session) this.cancel(session, passed.clientId);
    }
  }

  // ── Lifecycle ───────────────────────────────────────────────────────────

  /** A new server process is ready: open (again) what the mux streams; re-send clients' streams. */
  onUpstreamReady(restarted: boolean): void {
    const upstream = this.#ctx.upstream;
    this.#own.onUpstreamReady();
    if (upstream.handshake.modern) {
      for (const passed of this.#passed.values()) if (!passed.sent) this.#send(passed);
      return;
    }
    if (restarted) {
      // The new process may list different things: streams ended here that asked are told.
      for (const method of listChangedMethods(upstream.handshake.capabilities)) {
        this.onLegacyListChanged({ jsonrpc: "2.0", method });
      }
    }
    // Streams that waited for a server that turned out legacy are ended here after all.
    for (const passed of [...this.#passed.values()]) {
      this.#passed.delete(passed.id);
      passed.session.openRequests++;
      this.terminate(
        passed.session,
        { ...passed.request, id: passed.clientId },
        passed.session.target,
      );
    }
  }

  /** The server process is gone, and every stream on it. */
  onUpstreamGone(): void {
    this.#own.onUpstreamGone();
    // Clients' streams survive the restart: sent again to the next process.
    for (const passed of this.#passed.values()) passed.sent = false;
  }

  /**
   * The mux stops: every client stream gets its graceful closing result
   * (marked for `rmcp-mux proxy`, which keeps the host's stream open and
   * listens again on its next connection). The mux's own streams' waiters
   * are told `why`.
   */
  closeAll(why: string): void {
    const serverInfo = this.#ctx.upstream.handshake.serverInfo;
    const closed = (session: ClientSession, id: JsonRpcId) => {
      const result = listenClosed(id, serverInfo);
      if (session.transport === "proxy") {
        (result.result._meta as Record<string, unknown>)[MUX_STOPPING_META] = true;
      }
      this.#ctx.notify(session, result);
    };
    for (const [session, listens] of this.#ended) {
      for (const listen of listens.values()) closed(session, listen.id);
    }
    this.#ended.clear();
    for (const passed of this.#passed.values()) closed(passed.session, passed.clientId);
    this.#passed.clear();
    this.#own.closeAll(why);
  }

  // ── Traffic from a modern server ────────────────────────────────────────

  /** A notification tagged with a stream id (`subscriptionId`). */
  onStream(note: JsonRpcNotification, id: JsonRpcId): void {
    if (typeof id === "string" && this.#own.has(id)) return this.#own.onNotification(id, note);
    const passed = typeof id === "string" ? this.#passed.get(id) : undefined;
    if (!passed) {
      this.#ctx.log.debug("{method} on unknown stream {id}; dropped", { method: note.method, id });
      return;
    }
    if (note.method === LISTEN_ACK) {
      // The client already has its acknowledgement (a restart re-opened its stream).
      if (passed.acked) return;
      passed.acked = true;
    }
    this.#ctx.notify(passed.session, tagged(note, passed.clientId));
  }

  /** The result (or error) that closes stream `id`. */
  onStreamResult(id: string, response: JsonRpcResponse): void {
    if (this.#own.has(id)) return this.#own.onEnded(id, response);
    const passed = this.#passed.get(id);
    if (!passed) return;
    this.#passed.delete(id);
    const answer = isErrorResponse(response) ? { ...response, id: passed.clientId } : {
      ...response,
      id: passed.clientId,
      result: {
        ...response.result,
        _meta: {
          ...(response.result._meta as object | undefined),
          [META.subscriptionId]: passed.clientId,
        },
      },
    };
    this.#ctx.notify(passed.session, answer);
  }

  /** The server cancelled `requestId`: true if that was a stream (the only cancel a server sends). */
  onServerCancel(note: JsonRpcNotification): boolean {
    const requestId = note.params?.requestId;
    if (!this.isStream(requestId)) return false;
    if (this.#own.has(requestId)) {
      this.#own.onEnded(requestId);
      return true;
    }
    const passed = this.#passed.get(requestId);
    if (passed) {
      this.#passed.delete(requestId);
      this.#ctx.notify(passed.session, {
        ...note,
        params: { ...note.params, requestId: passed.clientId },
      });
    }
    return true;
  }

  // ── Internals ───────────────────────────────────────────────────────────

  #send(passed: PassedStream): void {
    passed.sent = true;
    this.#ctx.upstream.answerServer(passed.request);
  }

  #findPassed(session: ClientSession, clientId: JsonRpcId): PassedStream | undefined {
    for (const passed of this.#passed.values()) {
      if (passed.session === session && passed.clientId === clientId) return passed;
    }
    return undefined;
  }

  #badFilter(request: JsonRpcRequest, target: Target): void {
    this.#ctx.reply(
      target,
      errorResponse(
        request.id,
        ErrorCode.InvalidParams,
        `Invalid params: ${LISTEN_METHOD} needs params.notifications (a SubscriptionFilter)`,
      ),
    );
  }

  /** Streams are answered only when they end: they never count as open requests. */
  #uncount(session: ClientSession): void {
    if (session.openRequests > 0) session.openRequests--;
    this.#ctx.settled(session);
  }
}
