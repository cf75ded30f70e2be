/**
 * `subscriptions/listen` streams, three ways:
 *
 * - **The mux's own, on a modern server, for legacy clients.** Legacy
 *   clients expect list changes unsolicited and subscribe per URI; the mux
 *   holds one stream for list changes and one per subscribed URI
 *   (reference-counted by `resources_feature.ts`), strips the stream tag and
 *   fans the notifications out. Streams the server ends are re-opened (up to
 *   {@link LISTEN_MAX_REOPENS} times in a row), and all of them after a
 *   restart.
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
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcId,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import type { Features, RouterContext, Target } from "./context.ts";
import { LISTEN_ACK, LISTEN_METHOD, META } from "./eras.ts";
import { bridgedCapabilities, type RequestEnvelope, withEnvelope } from "./envelope.ts";
import {
  filterOf,
  honoredFilter,
  isEmptyFilter,
  listChangedFlag,
  LISTEN_MAX_REOPENS,
  listenAck,
  listenClosed,
  type ListenFilter,
  tagged,
  untagged,
} from "./listens.ts";
import type { ClientSession } from "./session.ts";

export { LISTEN_MAX_REOPENS } from "./listens.ts";

/** A modern client's stream that the mux ended itself (the server is legacy). */
export interface TerminatedListen {
  readonly session: ClientSession;
  /** The client's id for its listen request: the stream's tag. */
  readonly id: JsonRpcId;
  readonly filter: ListenFilter;
}

/** One of the mux's own streams on a modern server. */
interface OwnStream {
  /** `lists`, or the URI it watches. */
  readonly purpose: string;
  readonly filter: ListenFilter;
  /** The request id while open (a fresh one per opening). */
  id: string | undefined;
  acked: boolean;
  /** Closed by the server this many times in a row, without a notification in between. */
  closes: number;
  /** Waiting for the acknowledgement (a subscribe in flight). */
  waiters: ((response: JsonRpcResponse) => void)[];
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

const LISTS = "lists";
const STREAM_PREFIX = "rmcp-mux:listen:";

/** Every `subscriptions/listen` stream the mux holds, opens or passes. */
export class ListensFeature {
  readonly #ctx: RouterContext;
  readonly #f: () => Features;
  /** The mux's own streams by purpose, and by id while open. */
  readonly #own = new Map<string, OwnStream>();
  readonly #ownById = new Map<string, OwnStream>();
  /** Modern clients' streams passed through, by the mux's id. */
  readonly #passed = new Map<string, PassedStream>();
  /** Modern clients' streams ended here. */
  readonly #ended = new Map<ClientSession, Map<JsonRpcId, TerminatedListen>>();
  #next = 1;

  constructor(ctx: RouterContext, features: () => Features) {
    this.#ctx = ctx;
    this.#f = features;
  }

  /** Streams open or waiting: the mux's own, passed through, ended here. */
  get counts(): { own: number; passed: number; ended: number } {
    let ended = 0;
    for (const listens of this.#ended.values()) ended += listens.size;
    return { own: this.#ownById.size, passed: this.#passed.size, ended };
  }

  /** Is this a stream id of the mux's (its own, or a client's passed through)? */
  isStream(id: unknown): id is string {
    return typeof id === "string" && id.startsWith(STREAM_PREFIX);
  }

  // ── The mux's own streams (modern server, legacy clients) ──────────────

  /** Watch `uri` on a modern server; resolves at its acknowledgement (an error if not honored). */
  openUri(uri: string): Promise<JsonRpcResponse> {
    return new Promise((resolve) => {
      let stream = this.#own.get(uri);
      if (stream?.acked) return resolve(resultResponse(0, {}));
      if (!stream) {
        stream = this.#stream(uri, { resourceSubscriptions: [uri] });
        this.#open(stream);
      }
      stream.waiters.push(resolve);
    });
  }

  /** Stop watching `uri`. */
  closeUri(uri: string): void {
    const stream = this.#own.get(uri);
    if (!stream) return;
    this.#own.delete(uri);
    this.#end(stream, "nobody watches it");
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
    if (upstream.ready && upstream.era === "legacy") {
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
    const honored = honoredFilter(requested, this.#ctx.upstream.serverCapabilities);
    this.#ctx.notify(session, listenAck(request.id, honored));
    this.#uncount(session);
    if (isEmptyFilter(honored)) {
      return this.#ctx.notify(session, listenClosed(request.id, this.#ctx.upstream.serverInfo));
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
    if (upstream.modern) {
      const lists = honoredFilter({
        toolsListChanged: true,
        promptsListChanged: true,
        resourcesListChanged: true,
      }, upstream.serverCapabilities);
      if (!isEmptyFilter(lists) && !this.#own.has(LISTS)) this.#stream(LISTS, lists);
      for (const stream of this.#own.values()) {
        stream.closes = 0;
        this.#open(stream);
      }
      for (const passed of this.#passed.values()) if (!passed.sent) this.#send(passed);
      return;
    }
    for (const stream of this.#own.values()) this.#fail(stream, "the server is not modern");
    this.#own.clear();
    if (restarted) {
      // The new process may list different things: streams ended here that asked are told.
      for (const kind of ["tools", "prompts", "resources"] as const) {
        const cap = upstream.serverCapabilities[kind] as { listChanged?: boolean } | undefined;
        if (cap?.listChanged) {
          this.onLegacyListChanged({
            jsonrpc: "2.0",
            method: `notifications/${kind}/list_changed`,
          });
        }
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
    for (const stream of this.#own.values()) {
      if (stream.id !== undefined) this.#ownById.delete(stream.id);
      stream.id = undefined;
      stream.acked = false;
    }
    // Clients' streams survive the restart: sent again to the next process.
    for (const passed of this.#passed.values()) passed.sent = false;
  }

  /** The mux stops: every client stream gets its graceful closing result. */
  closeAll(): void {
    const serverInfo = this.#ctx.upstream.serverInfo;
    for (const [session, listens] of this.#ended) {
      for (const listen of listens.values()) {
        this.#ctx.notify(session, listenClosed(listen.id, serverInfo));
      }
    }
    this.#ended.clear();
    for (const passed of this.#passed.values()) {
      this.#ctx.notify(passed.session, listenClosed(passed.clientId, serverInfo));
    }
    this.#passed.clear();
    for (const stream of this.#own.values()) this.#fail(stream, "rmcp-mux is shutting down");
    this.#own.clear();
    this.#ownById.clear();
  }

  // ── Traffic from a modern server ────────────────────────────────────────

  /** A notification tagged with a stream id (`subscriptionId`). */
  onStream(note: JsonRpcNotification, id: JsonRpcId): void {
    const own = typeof id === "string" ? this.#ownById.get(id) : undefined;
    if (own) return this.#onOwn(own, note);
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
    const own = this.#ownById.get(id);
    if (own) {
      const why = isErrorResponse(response)
        ? `the server refused it: ${response.error.message}`
        : "the server ended it";
      return this.#closedByServer(own, why);
    }
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
    const own = this.#ownById.get(requestId);
    if (own) {
      this.#closedByServer(own, "the server cancelled it");
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

  #stream(purpose: string, filter: ListenFilter): OwnStream {
    const stream: OwnStream = {
      purpose,
      filter,
      id: undefined,
      acked: false,
      closes: 0,
      waiters: [],
    };
    this.#own.set(purpose, stream);
    return stream;
  }

  #open(stream: OwnStream): void {
    const upstream = this.#ctx.upstream;
    if (!upstream.ready || !upstream.modern) return; // opened when a modern server is ready
    if (stream.id !== undefined) this.#ownById.delete(stream.id);
    stream.id = `${STREAM_PREFIX}${this.#next++}`;
    stream.acked = false;
    this.#ownById.set(stream.id, stream);
    upstream.answerServer({
      jsonrpc: "2.0",
      id: stream.id,
      method: LISTEN_METHOD,
      params: { notifications: stream.filter, _meta: upstream.ownEnvelope() },
    });
  }

  #end(stream: OwnStream, reason: string): void {
    this.#fail(stream, reason);
    if (stream.id === undefined) return;
    this.#ownById.delete(stream.id);
    if (this.#ctx.upstream.ready) this.#ctx.upstream.cancel(stream.id, reason);
    stream.id = undefined;
  }

  #onOwn(stream: OwnStream, note: JsonRpcNotification): void {
    if (note.method === LISTEN_ACK) {
      stream.acked = true;
      const honored = (note.params?.notifications ?? {}) as ListenFilter;
      const watched = stream.purpose === LISTS ||
        (honored.resourceSubscriptions ?? []).includes(stream.purpose);
      if (watched) {
        for (const w of stream.waiters.splice(0)) w(resultResponse(0, {}));
        return;
      }
      this.#own.delete(stream.purpose);
      this.#end(stream, `the server does not offer updates of ${stream.purpose}`);
      return;
    }
    stream.closes = 0;
    const plain = untagged(note);
    if (note.method === "notifications/resources/updated") {
      return this.#f().resources.onUpdated(plain, JSON.stringify(plain));
    }
    if (listChangedFlag(note.method)) {
      const line = JSON.stringify(plain);
      for (const session of this.#ctx.sessions) {
        if (session.initialized && !session.closed) session.port.send(line);
      }
    }
  }

  #closedByServer(stream: OwnStream, why: string): void {
    if (stream.id !== undefined) this.#ownById.delete(stream.id);
    stream.id = undefined;
    stream.acked = false;
    if (this.#own.get(stream.purpose) !== stream) return;
    if (stream.closes >= LISTEN_MAX_REOPENS) {
      this.#ctx.log.warn(
        "The server keeps ending the mux's stream for {purpose} ({why}); gave up after {n} tries",
        { purpose: stream.purpose, why, n: LISTEN_MAX_REOPENS },
      );
      this.#own.delete(stream.purpose);
      this.#fail(stream, why);
      return;
    }
    stream.closes++;
    this.#ctx.log.debug("The server ended the mux's stream for {purpose} ({why}); re-opening", {
      purpose: stream.purpose,
      why,
    });
    this.#open(stream);
  }

  #fail(stream: OwnStream, reason: string): void {
    for (const w of stream.waiters.splice(0)) {
      w(errorResponse(
        null,
        ErrorCode.MethodNotFound,
        `Subscriptions to ${stream.purpose} are not available: ${reason}`,
      ));
    }
  }

  /** Streams are answered only when they end: they never count as open requests. */
  #uncount(session: ClientSession): void {
    if (session.openRequests > 0) session.openRequests--;
    this.#ctx.settled(session);
  }
}
