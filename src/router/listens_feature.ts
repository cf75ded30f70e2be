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
 * - **A modern client's, passed through to a modern server.** The request
 *   id is rewritten like any other, so the stream tag is too: on the
 *   acknowledgement, each notification, the closing result and a
 *   server-sent cancel. After a restart the request is sent again and the
 *   new acknowledgement swallowed: the client's stream just goes on.
 * - **A modern client's, ended in the mux, in front of a legacy server.**
 *   The mux acknowledges it, holds its URIs' `resources/subscribe` (shared
 *   with legacy clients) and tags the matching notifications for it.
 *
 * A stream never counts as an open request: shutdown does not wait for it;
 * it gets the graceful closing result instead.
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
import type { PendingEntry } from "./client_to_server.ts";
import type { Features, RouterContext, Target } from "./context.ts";
import { LISTEN_ACK, LISTEN_METHOD, META } from "./eras.ts";
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

type Entry = PendingEntry<ClientSession>;

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

const LISTS = "lists";
const OWN_PREFIX = "rmcp-mux:listen:";

/** Every `subscriptions/listen` stream the mux holds, opens or passes. */
export class ListensFeature {
  readonly #ctx: RouterContext;
  readonly #f: () => Features;
  readonly #own = new Map<string, OwnStream>();
  readonly #byId = new Map<string, OwnStream>();
  readonly #ended = new Map<ClientSession, Map<JsonRpcId, TerminatedListen>>();
  #next = 1;

  constructor(ctx: RouterContext, features: () => Features) {
    this.#ctx = ctx;
    this.#f = features;
  }

  /** Streams the mux holds on the server for legacy clients (for status). */
  get ownStreams(): number {
    return this.#byId.size;
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

  /** Is this id one of the mux's own streams? */
  isOwn(id: unknown): id is string {
    return typeof id === "string" && id.startsWith(OWN_PREFIX);
  }

  /** A new server process is ready: open (again) what the mux streams; re-send passed-through listens. */
  onUpstreamReady(): void {
    const upstream = this.#ctx.upstream;
    if (upstream.modern) {
      const caps = upstream.serverCapabilities;
      const lists = honoredFilter({
        toolsListChanged: true,
        promptsListChanged: true,
        resourcesListChanged: true,
      }, caps);
      if (!isEmptyFilter(lists) && !this.#own.has(LISTS)) this.#stream(LISTS, lists);
      for (const stream of this.#own.values()) {
        stream.closes = 0;
        this.#open(stream);
      }
    } else {
      for (const stream of this.#own.values()) this.#fail(stream, "the server is not modern");
      this.#own.clear();
    }
    for (const entry of this.#ctx.pending.values()) {
      const listen = entry.era?.listen;
      if (listen && !entry.sent) upstream.send(listen.line, entry, entry.client);
    }
  }

  /** The server process is gone, and every stream on it. */
  onUpstreamGone(): void {
    for (const stream of this.#own.values()) {
      if (stream.id !== undefined) this.#byId.delete(stream.id);
      stream.id = undefined;
      stream.acked = false;
    }
    // Passed-through listens survive the restart: sent again to the next process.
    for (const entry of this.#ctx.pending.values()) {
      if (entry.era?.listen) entry.sent = false;
    }
  }

  // ── Traffic from a modern server ────────────────────────────────────────

  /** A notification tagged with a stream id (`subscriptionId`). */
  onStream(note: JsonRpcNotification, id: JsonRpcId): void {
    if (this.isOwn(id)) return this.#onOwn(note, id);
    const entry = typeof id === "number" ? this.#ctx.pending.get(id) : undefined;
    const listen = entry?.era?.listen;
    if (!entry || !listen) {
      this.#ctx.log.debug("{method} on unknown stream {id}; dropped", { method: note.method, id });
      return;
    }
    if (note.method === LISTEN_ACK) {
      // The client already has its acknowledgement (a restart re-opened its stream).
      if (listen.acked) return;
      listen.acked = true;
    }
    this.#ctx.notify(entry.client, tagged(note, entry.clientId));
  }

  /** The result closing one of the mux's own streams. */
  onOwnResult(id: string, response: JsonRpcResponse): void {
    const stream = this.#byId.get(id);
    if (!stream) return;
    const why = isErrorResponse(response)
      ? `the server refused it: ${response.error.message}`
      : "the server ended it";
    this.#closedByServer(stream, why);
  }

  /** The closing result of a modern client's stream (its entry is out of the table). */
  onResult(entry: Entry, response: JsonRpcResponse): void {
    const answer = isErrorResponse(response) ? { ...response, id: entry.clientId } : {
      ...response,
      id: entry.clientId,
      result: {
        ...response.result,
        _meta: { ...(response.result._meta as object), [META.subscriptionId]: entry.clientId },
      },
    };
    this.#ctx.notify(entry.client, answer);
  }

  /** The server cancelled `requestId`: true if that was a stream (the only cancel a server sends). */
  onServerCancel(note: JsonRpcNotification): boolean {
    const requestId = note.params?.requestId;
    if (this.isOwn(requestId)) {
      const stream = this.#byId.get(requestId);
      if (stream) this.#closedByServer(stream, "the server cancelled it");
      return true;
    }
    const entry = typeof requestId === "number" ? this.#ctx.pending.get(requestId) : undefined;
    if (!entry?.era?.listen) return false;
    this.#ctx.pending.take(entry.upstreamId);
    this.#ctx.notify(entry.client, {
      ...note,
      params: { ...note.params, requestId: entry.clientId },
    });
    return true;
  }

  // ── Modern clients' streams ─────────────────────────────────────────────

  /** A modern client's listen goes to the (modern) server: never times out, never holds shutdown. */
  passing(entry: Entry, line: string): void {
    entry.era = { ...entry.era, listen: { line, acked: false } };
    entry.deadline = Infinity;
    this.#uncount(entry.client);
  }

  /**
   * A modern client's listen held while the server started, which turned
   * out legacy: ended here after all (it was already uncounted).
   */
  endHeld(entry: Entry, line: string): void {
    this.#ctx.pending.take(entry.upstreamId);
    const params = (JSON.parse(line) as { params?: Record<string, unknown> }).params;
    const request = { jsonrpc: "2.0" as const, id: entry.clientId, method: LISTEN_METHOD, params };
    entry.client.openRequests++;
    this.terminate(entry.client, request, entry.client.target);
  }

  /** A modern client's listen in front of a legacy server: acknowledged and served here. */
  terminate(session: ClientSession, request: JsonRpcRequest, target: Target): void {
    const requested = filterOf(request.params);
    if (!requested) {
      return this.#ctx.reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.InvalidParams,
          `Invalid params: ${LISTEN_METHOD} needs params.notifications (a SubscriptionFilter)`,
        ),
      );
    }
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

  /** A modern client cancelled a stream ended here: true if it was one. */
  cancel(session: ClientSession, id: JsonRpcId): boolean {
    const listen = this.#ended.get(session)?.get(id);
    if (!listen) return false;
    this.#ended.get(session)!.delete(id);
    this.#f().resources.unwatch(listen);
    return true;
  }

  /** A client left: its streams ended here are released (passed-through ones are cancelled upstream with its requests). */
  release(session: ClientSession): void {
    const listens = this.#ended.get(session);
    if (!listens) return;
    this.#ended.delete(session);
    for (const listen of listens.values()) this.#f().resources.unwatch(listen);
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
    for (const entry of this.#ctx.pending.removeWhere((e) => e.era?.listen !== undefined)) {
      this.#ctx.notify(entry.client, listenClosed(entry.clientId, serverInfo));
    }
    for (const stream of this.#own.values()) this.#fail(stream, "rmcp-mux is shutting down");
    this.#own.clear();
    this.#byId.clear();
  }

  // ── Internals ───────────────────────────────────────────────────────────

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
    if (stream.id !== undefined) this.#byId.delete(stream.id);
    stream.id = `${OWN_PREFIX}${this.#next++}`;
    stream.acked = false;
    this.#byId.set(stream.id, stream);
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
    this.#byId.delete(stream.id);
    if (this.#ctx.upstream.ready) {
      this.#ctx.upstream.answerServer({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: stream.id, reason },
      });
    }
    stream.id = undefined;
  }

  #onOwn(note: JsonRpcNotification, id: string): void {
    const stream = this.#byId.get(id);
    if (!stream) return;
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
      this.#end(
        stream,
        `the server does not offer updates of ${stream.purpose}`,
      );
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
    if (stream.id !== undefined) this.#byId.delete(stream.id);
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
