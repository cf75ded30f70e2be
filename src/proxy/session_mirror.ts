/**
 * What `rmcp-mux proxy` must remember of the host's session to survive a new
 * connection to the mux: the host's `initialize` and `initialized`, its log
 * level, its resource subscriptions, its open `subscriptions/listen` streams
 * (2026-07-28, {@link OpenListens}), the requests the mux has not answered
 * yet, and the requests the mux made of the host. What the host set up, and
 * its replay, is {@link SessionSetup}'s. Pure: lines in, lines out.
 *
 * Ids: the host keeps its own ids throughout. After a reconnect the mux sees
 * a fresh client; what the proxy replays on the host's behalf carries ids of
 * the proxy's own (`rmcp-mux-proxy/…`), and their answers never reach the host.
 *
 * Cheap on the common path, because it runs for every message: a host line is
 * parsed once and recorded without building anything ({@link hostLine}), and
 * a line from the mux is not parsed at all unless its first and last members
 * do not tell what it is ({@link muxLine}, {@link LineHead}); ids are map
 * keys as they are (1 and "1" stay different keys).
 *
 * @module
 */

import { type Id, LineHead } from "./line_head.ts";
import { LISTEN_METHOD, OpenListens } from "./open_listens.ts";
import { SessionSetup } from "./session_setup.ts";

export type { Id } from "./line_head.ts";

/** Error code of a request lost with its connection (the mux's "server unavailable"). */
export const LOST_REQUEST_CODE = -32000;

/** Ids of the mux's unanswered requests to the host kept from earlier connections. */
export const MAX_STALE_IDS = 1024;

/** Prefix of the ids of requests the proxy makes on the host's behalf. */
export const INTERNAL_ID_PREFIX = "rmcp-mux-proxy/";

/** One message from the host, as the proxy sees it. */
export interface HostMessage {
  /** The line, as received (no newline). */
  text: string;
  /** Requests in it (a batch may hold several). */
  requests: { id: Id; method: string; params?: Record<string, unknown> }[];
  /** Notification methods in it, with params. */
  notifications: { method: string; params?: Record<string, unknown> }[];
  /** Ids of responses in it (answers to the mux's requests). */
  responses: Id[];
}

/** What to do with a line from the mux. */
export interface MuxVerdict {
  /** Relay it to the host (false for answers to the proxy's own replayed requests). */
  forward: boolean;
  /** The answer to the replayed `initialize` arrived: finish the replay. */
  initReplayed?: { result?: Record<string, unknown>; error?: string };
  /** The mux answered the proxy's `ping` on a new connection: it is really there. */
  confirmed?: true;
}

/**
 * Lines from the mux up to this size are parsed whole; longer ones (results of
 * any size) are read at their ends. Parsing a short line is a single native
 * call, while reading bytes in JavaScript on every message makes V8 compile
 * that code early, which costs a lightly loaded proxy more memory than the
 * short-lived garbage of a parse.
 */
export const PARSED_MUX_LINE_BYTES = 4096;

/** The verdict on most lines from the mux: relay it, nothing else to do. */
const FORWARD: MuxVerdict = Object.freeze({ forward: true });

const decoder = new TextDecoder();

/** Remembers the host's session; see the module doc. */
export class SessionMirror {
  readonly #setup = new SessionSetup();
  /** Requests sent on the current connection and not answered: id → method. */
  #inFlight = new Map<Id, string>();
  /** Ids of the mux's requests to the host on the current connection. */
  #muxRequests = new Set<Id>();
  /** …and on earlier connections: the host's late answers to them are dropped. */
  #staleMuxRequests = new Set<Id>();
  /** Internal requests of the current connection: id → what it replays. */
  #internal = new Map<Id, "init" | "ping" | "other">();
  /** The host's open streams (never in {@link #inFlight}: they are not lost with a connection). */
  readonly listens = new OpenListens();
  readonly #head = new LineHead();
  #connection = 0;
  #seq = 0;

  /**
   * A host line going to the mux now (`bytes[start, end)`): what
   * {@link inspectHost}, {@link keep} and {@link sent} do together, without
   * building a {@link HostMessage}. False: drop it (a late answer to a request
   * of a lost connection).
   */
  hostLine(bytes: Uint8Array, start: number, end: number): boolean {
    const text = decoder.decode(bytes.subarray(start, end));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return true; // not JSON: the mux answers it
    }
    if (Array.isArray(value)) {
      const message = this.inspectHost(text);
      if (!this.keep(message)) return false;
      this.sent(message);
      return true;
    }
    if (value === null || typeof value !== "object") return true;
    const { id, method, params } = value as { id?: unknown; method?: unknown; params?: unknown };
    if (typeof method === "string") {
      if (isId(id)) this.#request(id, method, paramsOf(params), text);
      else if (id === undefined) this.#notification(method, paramsOf(params));
      return true;
    }
    if (!isId(id)) return true;
    if (this.#staleMuxRequests.delete(id)) return false;
    this.#muxRequests.delete(id);
    return true;
  }

  /**
   * The mux asks the host something (roots, sampling, elicitation, ping). An
   * id a previous connection's mux also used is no longer stale: the host's
   * next answer with it is for this request.
   */
  #muxAsks(id: Id): void {
    this.#staleMuxRequests.delete(id);
    this.#muxRequests.add(id);
  }

  /**
   * A line from the mux (`bytes[start, end)`): bookkeeping, and whether the
   * host should see it. A short line is parsed (one native call: the least
   * work); a long one is read at its ends ({@link LineHead}), and parsed only
   * when they do not tell what it is or it answers the replayed `initialize`.
   */
  muxLine(bytes: Uint8Array, start: number, end: number): MuxVerdict {
    if (end - start <= PARSED_MUX_LINE_BYTES) {
      return this.fromMux(decoder.decode(bytes.subarray(start, end)));
    }
    const head = this.#head;
    switch (head.read(bytes, start, end)) {
      case "notification":
        // With a stream open, it may end one or acknowledge it again: read it whole.
        if (this.listens.size === 0) return FORWARD;
        break;
      case "request":
        this.#muxAsks(head.id);
        return FORWARD;
      case "response":
        if (!this.#internal.has(head.id) && !this.listens.has(head.id)) {
          this.#answered(head.id, head.isError);
          return FORWARD;
        }
    }
    return this.fromMux(decoder.decode(bytes.subarray(start, end)));
  }

  /** Parse a host line. Never throws: what is not JSON-RPC is relayed for the mux to answer. */
  inspectHost(text: string): HostMessage {
    const message: HostMessage = { text, requests: [], notifications: [], responses: [] };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return message;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === null || typeof item !== "object") continue;
      const { id, method, params } = item as { id?: unknown; method?: unknown; params?: unknown };
      const p = paramsOf(params);
      if (typeof method === "string") {
        if (isId(id)) message.requests.push({ id, method, ...(p ? { params: p } : {}) });
        else if (id === undefined) {
          message.notifications.push({ method, ...(p ? { params: p } : {}) });
        }
      } else if (isId(id)) {
        message.responses.push(id);
      }
    }
    return message;
  }

  /**
   * Should this host message go to the mux now? Answers to requests of an
   * earlier connection are dropped (that mux client is gone); so is a
   * message holding nothing else.
   */
  keep(message: HostMessage): boolean {
    if (message.responses.length === 0) return true;
    if (message.requests.length > 0 || message.notifications.length > 0) return true;
    const stale = message.responses.every((id) => this.#staleMuxRequests.has(id));
    if (stale) { for (const id of message.responses) this.#staleMuxRequests.delete(id); }
    return !stale;
  }

  /** The message was written to the mux: remember what it set up and what is now in flight. */
  sent(message: HostMessage): void {
    for (const { id, method, params } of message.requests) {
      this.#request(id, method, params, message.text);
    }
    for (const { method, params } of message.notifications) this.#notification(method, params);
    for (const id of message.responses) this.#muxRequests.delete(id);
  }

  #request(id: Id, method: string, params: Record<string, unknown> | undefined, text: string) {
    if (method === LISTEN_METHOD) return this.listens.open(id, text);
    this.#inFlight.set(id, method);
    this.#setup.request(id, method, params, text);
  }

  #notification(method: string, params: Record<string, unknown> | undefined): void {
    if (method === "notifications/initialized") this.#setup.initialized = true;
    if (method === "notifications/cancelled" && isId(params?.requestId)) {
      this.#inFlight.delete(params.requestId); // never answered: nothing owed
      this.listens.forget(params.requestId); // a stream the host ended: not sent again
    }
  }

  /** The mux answered request `id` (with an error or not). */
  #answered(id: Id, isError: boolean): void {
    const method = this.#inFlight.get(id);
    if (method === undefined) return;
    this.#inFlight.delete(id);
    this.#setup.answered(id, method, isError);
  }

  /** A line from the mux: bookkeeping, and whether the host should see it. */
  fromMux(text: string): MuxVerdict {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { forward: true };
    }
    let verdict: MuxVerdict = FORWARD;
    // What is kept from the host is never part of a batch (the mux batches only answers to one).
    const single = !Array.isArray(value);
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === null || typeof item !== "object") continue;
      const msg = item as Record<string, unknown>;
      if (!isId(msg.id)) {
        const streams = this.listens;
        if (streams.size > 0 && !streams.note(msg.method, msg.params) && single) {
          verdict = { forward: false };
        }
        continue;
      }
      const k = msg.id;
      if (typeof msg.method === "string") {
        this.#muxAsks(k);
        continue;
      }
      const internal = this.#internal.get(k);
      if (internal !== undefined) {
        this.#internal.delete(k);
        verdict = { forward: false };
        if (internal === "init") {
          const error = (msg.error as { message?: unknown } | undefined)?.message;
          verdict.initReplayed = error !== undefined
            ? { error: String(error) }
            : { result: (msg.result ?? {}) as Record<string, unknown> };
        }
        if (internal === "ping") verdict.confirmed = true;
        continue;
      }
      if (this.listens.has(k)) {
        if (this.listens.answer(k, msg.result, msg.error, text) === "keep" && single) {
          verdict = { forward: false };
        }
        continue;
      }
      this.#answered(k, msg.error !== undefined);
    }
    return verdict;
  }

  /** Requests sent on the current connection and not answered yet. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * The connection is gone. Every request the mux had gets an error answer for
   * the host (it may or may not have run), except an unanswered `initialize`,
   * which is sent again on the next connection, and open streams (sent again:
   * {@link reopenListens}; or ended: {@link endListens}). Returns the answers.
   */
  connectionLost(reason: string): string[] {
    const answers: string[] = [];
    for (const [id, method] of this.#inFlight) {
      if (this.#setup.resends(method)) continue;
      answers.push(lostAnswer(id, method, reason));
    }
    this.#inFlight.clear();
    for (const id of this.#muxRequests) this.#staleMuxRequests.add(id);
    this.#muxRequests.clear();
    // Bounded: a host that never answers must not grow this forever.
    for (const id of this.#staleMuxRequests) {
      if (this.#staleMuxRequests.size <= MAX_STALE_IDS) break;
      this.#staleMuxRequests.delete(id);
    }
    this.#internal.clear();
    this.#connection++;
    return answers;
  }

  /** The first request on a new connection: a `ping` whose answer says the mux is really there. */
  confirmation(): string {
    return this.#internalRequest("ping", "ping", {});
  }

  /** The host's open streams, sent again on a new connection once the set-up is replayed. */
  reopenListens(): string[] {
    return this.listens.reopen();
  }

  /** The mux is not coming back (`why`): each open stream's end for the host. */
  endListens(why: string): string[] {
    return this.listens.end((id) =>
      errorAnswer(
        id,
        `rmcp-mux proxy: the ${LISTEN_METHOD} stream ended: ${why}. Listen again`,
        { reason: why },
      )
    );
  }

  /**
   * The first lines of a new connection (after the hello): the replayed
   * `initialize` when the host's was answered (then wait for
   * {@link MuxVerdict.initReplayed}), else the host's own unanswered one, if any.
   */
  opening(): { lines: string[]; awaitInit: boolean } {
    const init = this.#setup.init;
    if (!init) return { lines: [], awaitInit: false };
    if (!this.#setup.initAnswered) {
      this.#inFlight.set(init.id, "initialize");
      return { lines: [init.text], awaitInit: false };
    }
    return { lines: [this.#internalRequest("init", "initialize", init.params)], awaitInit: true };
  }

  /**
   * The replayed `initialize` was answered: what the host had set up, for the
   * mux, and `list_changed` notifications for the host
   * ({@link SessionSetup.afterInit}).
   */
  afterInit(result: Record<string, unknown> | undefined): { toMux: string[]; toHost: string[] } {
    return this.#setup.afterInit(
      result,
      (method, params) => this.#internalRequest("other", method, params),
    );
  }

  #internalRequest(
    kind: "init" | "ping" | "other",
    method: string,
    params: Record<string, unknown>,
  ): string {
    const id = `${INTERNAL_ID_PREFIX}${this.#connection}/${++this.#seq}`;
    this.#internal.set(id, kind);
    return JSON.stringify({ jsonrpc: "2.0", id, method, params });
  }
}

/** The error answer to a request that could not be delivered or answered. */
export function errorAnswer(
  id: Id | null,
  message: string,
  data?: Record<string, unknown>,
): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    error: { code: LOST_REQUEST_CODE, message, ...(data ? { data } : {}) },
  });
}

function lostAnswer(id: Id, method: string, reason: string): string {
  return errorAnswer(
    id,
    `rmcp-mux proxy: the connection to the mux was lost (${reason}) before ${method} was ` +
      "answered; it may or may not have been carried out. The session goes on: retry it",
    { reason },
  );
}

function isId(value: unknown): value is Id {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

function paramsOf(params: unknown): Record<string, unknown> | undefined {
  return params !== null && typeof params === "object"
    ? params as Record<string, unknown>
    : undefined;
}
