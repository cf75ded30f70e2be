/**
 * The mux's own `subscriptions/listen` streams on a modern server, for
 * legacy clients: they expect list changes unsolicited and subscribe per
 * URI, a modern server sends changes only on streams that asked. So the mux
 * holds one stream for list changes and one per subscribed URI (counted by
 * `resources_feature.ts`), strips the stream tag and fans the notifications
 * out. A stream the server ends is re-opened ({@link LISTEN_MAX_REOPENS}
 * times in a row at most), and all of them on a new process.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcNotification,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import type { RouterContext } from "./context.ts";
import { LISTEN_ACK, LISTEN_METHOD } from "./eras.ts";
import {
  honoredFilter,
  isEmptyFilter,
  listChangedFlag,
  LISTEN_MAX_REOPENS,
  type ListenFilter,
  untagged,
} from "./listens.ts";

/** One of the mux's own streams. */
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

/** The mux's own streams, by purpose and, while open, by id. */
export class OwnStreams {
  readonly #ctx: RouterContext;
  readonly #newId: () => string;
  readonly #onUpdate: (note: JsonRpcNotification) => void;
  readonly #byPurpose = new Map<string, OwnStream>();
  readonly #byId = new Map<string, OwnStream>();

  /**
   * @param newId a fresh request id for a stream
   * @param onUpdate a `notifications/resources/updated` (untagged) for the URI's subscribers
   */
  constructor(
    ctx: RouterContext,
    newId: () => string,
    onUpdate: (note: JsonRpcNotification) => void,
  ) {
    this.#ctx = ctx;
    this.#newId = newId;
    this.#onUpdate = onUpdate;
  }

  /** Streams open on the server now. */
  get open(): number {
    return this.#byId.size;
  }

  /** Is this the id of one of them? */
  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Watch `uri`; resolves at the acknowledgement (an error if the server does not honor it). */
  openUri(uri: string): Promise<JsonRpcResponse> {
    return new Promise((resolve) => {
      let stream = this.#byPurpose.get(uri);
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
    const stream = this.#byPurpose.get(uri);
    if (!stream) return;
    this.#byPurpose.delete(uri);
    this.#end(stream, "nobody watches it");
  }

  /** A server process is ready: on a modern one, open every stream (again). */
  onUpstreamReady(): void {
    const upstream = this.#ctx.upstream;
    if (!upstream.handshake.modern) return this.closeAll("the server is not modern");
    const lists = honoredFilter({
      toolsListChanged: true,
      promptsListChanged: true,
      resourcesListChanged: true,
    }, upstream.handshake.capabilities);
    if (!isEmptyFilter(lists) && !this.#byPurpose.has(LISTS)) this.#stream(LISTS, lists);
    for (const stream of this.#byPurpose.values()) {
      stream.closes = 0;
      this.#open(stream);
    }
  }

  /** The process is gone, and its streams with it (re-opened on the next one). */
  onUpstreamGone(): void {
    for (const stream of this.#byPurpose.values()) {
      if (stream.id !== undefined) this.#byId.delete(stream.id);
      stream.id = undefined;
      stream.acked = false;
    }
  }

  /** Forget every stream; subscribes waiting get `reason`. */
  closeAll(reason: string): void {
    for (const stream of this.#byPurpose.values()) this.#fail(stream, reason);
    this.#byPurpose.clear();
    this.#byId.clear();
  }

  /** A notification on stream `id` (see {@link has}). */
  onNotification(id: string, note: JsonRpcNotification): void {
    const stream = this.#byId.get(id)!;
    if (note.method === LISTEN_ACK) {
      stream.acked = true;
      const honored = (note.params?.notifications ?? {}) as ListenFilter;
      const watched = stream.purpose === LISTS ||
        (honored.resourceSubscriptions ?? []).includes(stream.purpose);
      if (watched) {
        for (const w of stream.waiters.splice(0)) w(resultResponse(0, {}));
        return;
      }
      this.#byPurpose.delete(stream.purpose);
      this.#end(stream, `the server does not offer updates of ${stream.purpose}`);
      return;
    }
    stream.closes = 0;
    const plain = untagged(note);
    if (note.method === "notifications/resources/updated") return this.#onUpdate(plain);
    if (listChangedFlag(note.method)) {
      const line = JSON.stringify(plain);
      for (const session of this.#ctx.sessions) {
        if (session.initialized && !session.closed) session.port.send(line);
      }
    }
  }

  /** The server ended stream `id`: with its result (or error), or a cancel. */
  onEnded(id: string, response?: JsonRpcResponse): void {
    const stream = this.#byId.get(id);
    if (!stream) return;
    const why = response === undefined
      ? "the server cancelled it"
      : isErrorResponse(response)
      ? `the server refused it: ${response.error.message}`
      : "the server ended it";
    this.#byId.delete(id);
    stream.id = undefined;
    stream.acked = false;
    if (this.#byPurpose.get(stream.purpose) !== stream) return;
    if (stream.closes >= LISTEN_MAX_REOPENS) {
      this.#ctx.log.warn(
        "The server keeps ending the mux's stream for {purpose} ({why}); gave up after {n} tries",
        { purpose: stream.purpose, why, n: LISTEN_MAX_REOPENS },
      );
      this.#byPurpose.delete(stream.purpose);
      return this.#fail(stream, why);
    }
    stream.closes++;
    this.#ctx.log.debug("The server ended the mux's stream for {purpose} ({why}); re-opening", {
      purpose: stream.purpose,
      why,
    });
    this.#open(stream);
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
    this.#byPurpose.set(purpose, stream);
    return stream;
  }

  #open(stream: OwnStream): void {
    const upstream = this.#ctx.upstream;
    if (!upstream.ready || !upstream.handshake.modern) return; // opened when a modern server is ready
    if (stream.id !== undefined) this.#byId.delete(stream.id);
    stream.id = this.#newId();
    stream.acked = false;
    this.#byId.set(stream.id, stream);
    upstream.answerServer({
      jsonrpc: "2.0",
      id: stream.id,
      method: LISTEN_METHOD,
      params: { notifications: stream.filter, _meta: upstream.handshake.ownEnvelope() },
    });
  }

  #end(stream: OwnStream, reason: string): void {
    this.#fail(stream, reason);
    if (stream.id === undefined) return;
    this.#byId.delete(stream.id);
    if (this.#ctx.upstream.ready) this.#ctx.upstream.cancel(stream.id, reason);
    stream.id = undefined;
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
}
