/**
 * One Streamable HTTP session: a full client of one mux (a router session,
 * admitted like a socket client) whose messages travel over many HTTP
 * requests. As the router's {@link ClientPort} it puts each message on the
 * right stream:
 *
 * - an answer on the response of the POST that asked;
 * - progress on the stream of the request that carries its token;
 * - a server→client request (sampling, elicitation), and a log message, on
 *   the stream of the request that caused it when that is known (exactly
 *   one request open), else on the GET stream;
 * - everything else (list changes, resource updates, the mux's own roots
 *   question) on the GET stream, held (boundedly) while none is open.
 *
 * Each message goes on exactly one stream, never broadcast.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { errorResponse, type JsonRpcId } from "../jsonrpc/message.ts";
import type { ClientPort } from "../router/session.ts";
import type { MuxClient } from "../server/mux_client.ts";
import { MessageStream, type StreamEnv } from "./message_stream.ts";
import { classifyOutgoing, idKey } from "./outgoing.ts";

/** Messages held for a session with no GET stream open; beyond it the oldest are dropped. */
export const HELD_MESSAGES = 1000;
/** Bytes held for a session with no GET stream open; beyond it the oldest are dropped. */
export const HELD_BYTES = 1024 * 1024;

/** What a session needs from the listener. */
export interface SessionEnv {
  now(): number;
  log: Logger;
  /** Bytes that may wait for one stream's client before it counts as stalled. */
  maxQueuedBytes: number;
  /** The session ended (forget it). */
  onEnd(session: HttpSession): void;
}

/** A Streamable HTTP session of one service. */
export class HttpSession implements ClientPort {
  /** The `Mcp-Session-Id`. */
  readonly id: string;
  /** The service it belongs to. */
  readonly service: string;
  readonly #env: SessionEnv;
  readonly #streamEnv: StreamEnv;
  #client: MuxClient | undefined;
  #nextStream = 1;
  /** POST streams still owed an answer (or being resumed), by number. */
  readonly #posts = new Map<number, MessageStream>();
  /** Open requests → the stream that answers them. */
  readonly #byRequest = new Map<string, MessageStream>();
  /** Progress tokens of open requests → their stream (made when first needed). */
  #tokens: Map<string, MessageStream> | undefined;
  /** Requests sent to the client → the stream they went on (made when first needed). */
  #calls: Map<string, MessageStream> | undefined;
  #get: MessageStream | undefined;
  #held: string[] | undefined;
  #heldBytes = 0;
  #droppedHeld = 0;
  #ended = false;
  /** The key of the `initialize` request that opened the session, until it is answered. */
  #initKey: string | undefined;
  /** When the client was last heard from or a stream of it last closed, ms since epoch. */
  lastSeen: number;

  constructor(id: string, service: string, env: SessionEnv) {
    this.id = id;
    this.service = service;
    this.#env = env;
    this.lastSeen = env.now();
    this.#streamEnv = {
      now: env.now,
      maxQueuedBytes: env.maxQueuedBytes,
      onStalled: (stream) => {
        env.log.warn(
          "HTTP session {session} of {service} is not reading its {kind} stream: more than " +
            "{bytes} bytes queued; closed that stream",
          { session: this.#label, service, kind: stream.kind, bytes: env.maxQueuedBytes },
        );
        this.#gone(stream);
      },
      onGone: (stream) => this.#gone(stream),
    };
  }

  /** Bind the mux client (set once, right after the session is created). */
  attach(client: MuxClient): void {
    this.#client = client;
  }

  /** The mux client. */
  get client(): MuxClient {
    return this.#client!;
  }

  /** True once ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** True when no connection of the client is open (no POST waiting, no stream). */
  get idle(): boolean {
    if (this.#get?.attached) return false;
    for (const stream of this.#posts.values()) if (stream.attached) return false;
    return true;
  }

  /** The client spoke: not idle. */
  touch(): void {
    this.lastSeen = this.#env.now();
  }

  /** True while request `id` is open in this session. */
  hasOpenRequest(id: JsonRpcId): boolean {
    return this.#byRequest.has(idKey(id));
  }

  /**
   * A new POST carrying requests `ids` (one, or a batch's): its stream.
   * `tokens` are their progress tokens.
   */
  openPost(
    ids: readonly JsonRpcId[],
    tokens: readonly JsonRpcId[],
    options: { headers?: Record<string, string>; initialize?: boolean } = {},
  ): MessageStream {
    const stream = new MessageStream(this.#nextStream++, "post", this.#streamEnv, options.headers);
    if (options.initialize && ids[0] !== undefined) this.#initKey = idKey(ids[0]);
    this.#posts.set(stream.no, stream);
    for (const id of ids) {
      stream.unanswered.add(idKey(id));
      this.#byRequest.set(idKey(id), stream);
    }
    for (const token of tokens) (this.#tokens ??= new Map()).set(idKey(token), stream);
    return stream;
  }

  /**
   * The client cancelled its request `id`: it will not be answered, so its
   * POST stream ends (quietly) once nothing else is owed on it.
   */
  cancelled(id: JsonRpcId): void {
    const key = idKey(id);
    const stream = this.#byRequest.get(key);
    if (!stream) return;
    this.#byRequest.delete(key);
    stream.unanswered.delete(key);
    if (stream.unanswered.size > 0) return;
    stream.abandon();
    this.#settle(stream);
  }

  /** The client answered request `id` of ours: forget where it went. */
  answered(id: JsonRpcId): void {
    this.#calls?.delete(idKey(id));
  }

  /** A GET: the stream for messages unrelated to a request (replaces an older one). */
  openGet(): MessageStream {
    const old = this.#get;
    const stream = new MessageStream(this.#nextStream++, "get", this.#streamEnv);
    this.#get = stream;
    old?.end([]);
    const held = this.#held ?? [];
    this.#held = undefined;
    this.#heldBytes = 0;
    if (this.#droppedHeld > 0) {
      this.#env.log.warn(
        "HTTP session {session} of {service} had no GET stream open: {count} messages for it " +
          "were dropped (more than {max} messages or {bytes} bytes waited)",
        {
          session: this.#label,
          service: this.service,
          count: this.#droppedHeld,
          max: HELD_MESSAGES,
          bytes: HELD_BYTES,
        },
      );
      this.#droppedHeld = 0;
    }
    for (const line of held) stream.deliver(line, false);
    return stream;
  }

  /** `Last-Event-ID: <no>_<seq>`: the POST stream to resume, if it is still there. */
  resumable(lastEventId: string): { stream: MessageStream; seq: number } | undefined {
    const match = /^(\d+)_(\d+)$/.exec(lastEventId);
    if (!match) return undefined;
    const stream = this.#posts.get(Number(match[1]));
    return stream && stream.sse ? { stream, seq: Number(match[2]) } : undefined;
  }

  /** True when `lastEventId` names a stream this session had (but no longer has). */
  hadStream(lastEventId: string): boolean {
    const match = /^(\d+)_\d+$/.exec(lastEventId);
    return match !== null && Number(match[1]) < this.#nextStream &&
      Number(match[1]) !== this.#get?.no;
  }

  // ── ClientPort (the router's side) ─────────────────────────────────────

  /** The answer to request `id`: on its POST's response. */
  reply(id: JsonRpcId | null, line: string): void {
    const stream = id === null ? undefined : this.#byRequest.get(idKey(id));
    if (!stream || id === null) return this.#unsolicited(line);
    this.#answer(stream, [id], line);
    if (this.#initKey === idKey(id)) {
      this.#initKey = undefined;
      // A session whose initialize failed is of no use: the client starts a new one.
      const answer = classifyOutgoing(line);
      if (answer.kind === "response" && answer.error) {
        this.end(ErrorCode.InternalError, "its initialize failed");
      }
    }
  }

  /** Any other message: classified and put on its stream. */
  send(line: string): void {
    const message = classifyOutgoing(line);
    switch (message.kind) {
      case "response":
        return this.reply(message.id, line);
      case "batch": {
        // Every element cancelled: nothing to say (its stream already ended).
        if (message.ids.length === 0) return;
        const first = message.ids.find((id) => this.#byRequest.has(idKey(id)));
        const stream = first === undefined ? undefined : this.#byRequest.get(idKey(first));
        if (!stream) return this.#unsolicited(line);
        return this.#answer(stream, message.ids, line);
      }
      case "request": {
        // The mux's own question (roots) concerns no request; the server's do.
        const stream = message.method === "roots/list" ? undefined : this.#cause();
        const target = stream ?? this.#get;
        if (target) (this.#calls ??= new Map()).set(idKey(message.id), target);
        return stream ? stream.deliver(line, false) : this.#unsolicited(line);
      }
      case "notification":
        return this.#notification(message.method, line, message.progressToken, message.requestId);
      default:
        return this.#unsolicited(line);
    }
  }

  /** The router is done with this client (refused a slot, or the mux stops). */
  close(reason: string): void {
    this.end(
      reason === "mux shutting down" ? ErrorCode.ShuttingDown : ErrorCode.TooManyClients,
      reason,
    );
  }

  /**
   * End the session: requests still open get an error (`code`, `reason`) on
   * their stream, every stream ends, and the mux forgets the client (its
   * requests are cancelled upstream, its subscriptions released). Idempotent.
   */
  end(code: number, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const stream of this.#posts.values()) {
      const errors = [...stream.unanswered].map((key) =>
        JSON.stringify(
          errorResponse(
            keyToId(key),
            code,
            `The HTTP session ended (${reason}); the request was cancelled`,
            { reason },
          ),
        )
      );
      stream.end(errors);
    }
    this.#get?.end([]);
    this.#posts.clear();
    this.#byRequest.clear();
    this.#tokens = undefined;
    this.#calls = undefined;
    this.#held = undefined;
    this.#client?.close();
    this.#env.log.debug("HTTP session {session} of {service} ended: {reason}", {
      session: this.#label,
      service: this.service,
      reason,
    });
    this.#env.onEnd(this);
  }

  /** Write keep-alives on streams idle for `idleMs`; start SSE for POSTs waiting that long. */
  tick(idleMs: number): void {
    this.#get?.keepalive(idleMs);
    const now = this.#env.now();
    for (const stream of this.#posts.values()) {
      if (!stream.sse && now - stream.openedAt >= idleMs) stream.upgrade();
      else stream.keepalive(idleMs);
    }
  }

  // ── Internals ──────────────────────────────────────────────────────────

  get #label(): string {
    const client = this.#client;
    return client ? `${client.label} [${this.id.slice(0, 8)}]` : this.id.slice(0, 8);
  }

  #answer(stream: MessageStream, ids: readonly JsonRpcId[], line: string): void {
    for (const id of ids) {
      const key = idKey(id);
      stream.unanswered.delete(key);
      if (this.#byRequest.get(key) === stream) this.#byRequest.delete(key);
    }
    const final = stream.unanswered.size === 0;
    stream.deliver(line, final);
    if (final) this.#settle(stream);
  }

  #notification(
    method: string,
    line: string,
    progressToken: JsonRpcId | undefined,
    requestId: JsonRpcId | undefined,
  ): void {
    if (method === "notifications/progress" && progressToken !== undefined) {
      const stream = this.#tokens?.get(idKey(progressToken));
      if (stream && !stream.done) return stream.deliver(line, false);
    } else if (method === "notifications/cancelled" && requestId !== undefined) {
      const stream = this.#calls?.get(idKey(requestId));
      this.#calls?.delete(idKey(requestId));
      if (stream && !stream.done && stream !== this.#get) return stream.deliver(line, false);
    } else if (method === "notifications/message") {
      const stream = this.#cause();
      if (stream) return stream.deliver(line, false);
    }
    this.#unsolicited(line);
  }

  /** The one POST stream still owed an answer, if exactly one is. */
  #cause(): MessageStream | undefined {
    let found: MessageStream | undefined;
    for (const stream of this.#posts.values()) {
      if (stream.done || stream.unanswered.size === 0) continue;
      if (found) return undefined;
      found = stream;
    }
    return found?.attached ? found : undefined;
  }

  /** On the GET stream; held (boundedly) while none is open. */
  #unsolicited(line: string): void {
    const get = this.#get;
    if (get?.attached) return get.deliver(line, false);
    const held = this.#held ??= [];
    held.push(line);
    this.#heldBytes += line.length;
    while (held.length > HELD_MESSAGES || this.#heldBytes > HELD_BYTES) {
      this.#heldBytes -= held.shift()!.length;
      this.#droppedHeld++;
    }
  }

  /** A stream got its last answer: forget it once delivered. */
  #settle(stream: MessageStream): void {
    if (this.#tokens) {
      for (const [key, s] of this.#tokens) if (s === stream) this.#tokens.delete(key);
    }
    if (stream.done) this.#posts.delete(stream.no);
    this.lastSeen = this.#env.now();
  }

  /** A connection went away (or was cut off). */
  #gone(stream: MessageStream): void {
    this.lastSeen = this.#env.now();
    if (stream === this.#get) return;
    if (stream.done && stream.unanswered.size === 0) this.#posts.delete(stream.no);
  }
}

function keyToId(key: string): JsonRpcId {
  return key.startsWith("n") ? Number(key.slice(1)) : key.slice(1);
}
