/**
 * The MCP endpoint of one service: the Streamable HTTP transport of MCP
 * 2025-11-25 (POST, GET, DELETE; sessions begin with `initialize`) and, on
 * the same path, that of 2026-07-28 (a POST without a session whose version
 * is 2026-07-28: see `modern_endpoint.ts`), over web-standard `Request` and
 * `Response` only, so any server that speaks them can carry it (the
 * listener uses `Deno.serve`). Every refusal is an HTTP status with a
 * JSON-RPC error body. A POST's body is read and checked by `post_reader.ts`.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { classify, isId, type JsonRpcId } from "../jsonrpc/message.ts";
import { isModernVersion } from "../router/eras.ts";
import { allowsBatches, SUPPORTED_PROTOCOL_VERSIONS } from "../router/negotiate.ts";
import type { ClientPort, ClientTransport } from "../router/session.ts";
import type { MuxClient } from "../server/mux_client.ts";
import { HttpSession } from "./http_session.ts";
import { accepts, errorReply } from "./wire.ts";
import { PostReader } from "./post_reader.ts";
import type { ModernEndpoint } from "./modern_endpoint.ts";
import { isModernPost } from "./modern_headers.ts";
import type { SessionTable } from "./session_table.ts";

/** What the endpoint needs from a mux ({@link MuxServer} is one). */
export interface HttpService {
  /** Service name. */
  readonly service: string;
  /** True once it stops taking clients. */
  readonly closing: boolean;
  /** Its limits: the largest message, and what may pile up for a client that is not reading. */
  readonly options: { readonly maxRequestBytes: number; readonly maxClientBacklogBytes: number };
  /** Open a client of the mux (see `MuxServer.openClient`). */
  openClient(port: ClientPort, transport: ClientTransport): MuxClient;
  /**
   * The era its server speaks (`null` until known). A 2026-07-28 client's
   * call answered `input_required` by a server that is not modern is held
   * for its retry (the mux asks on a legacy server's behalf); without this
   * member that is assumed possible.
   */
  readonly upstreamEra?: "legacy" | "modern" | null;
}

/** Serves the MCP endpoint of any service, with sessions held in one table. */
export class McpEndpoint {
  readonly #table: SessionTable;
  readonly #modern: ModernEndpoint;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #reader = new PostReader();

  constructor(
    table: SessionTable,
    modern: ModernEndpoint,
    log: Logger,
    now: () => number = Date.now,
  ) {
    this.#table = table;
    this.#modern = modern;
    this.#log = log;
    this.#now = now;
  }

  /** Answer one HTTP request for `service`. */
  handle(request: Request, service: HttpService): Promise<Response> | Response {
    switch (request.method) {
      case "POST":
        return this.#post(request, service);
      case "GET":
        return this.#get(request, service);
      case "DELETE":
        return this.#delete(request, service);
      default:
        return errorReply(
          405,
          ErrorCode.InvalidRequest,
          `Method not allowed: ${request.method}; the MCP endpoint takes POST, GET and DELETE`,
          { allow: "GET, POST, DELETE" },
        );
    }
  }

  async #post(request: Request, service: HttpService): Promise<Response> {
    const read = await this.#reader.read(request, service.options.maxRequestBytes);
    if (read instanceof Response) return read;
    const { text, value, message } = read;
    const initialize = message.kind === "request" && message.message.method === "initialize";
    const sessionId = request.headers.get("mcp-session-id");
    if (
      sessionId === null && !initialize &&
      isModernPost(
        request.headers,
        message.kind === "request" || message.kind === "notification"
          ? message.message.params
          : undefined,
      )
    ) {
      // MCP 2026-07-28: no session; the request is served on its own.
      if (message.kind === "request") {
        return this.#modern.post(request, service, message.message, text, value);
      }
      return errorReply(
        400,
        ErrorCode.InvalidRequest,
        MODERN_REFUSALS[message.kind],
        {},
        message.kind === "response" ? message.message.id : null,
      );
    }
    let session: HttpSession;
    let created = false;
    if (sessionId === null) {
      if (!initialize) {
        return errorReply(
          400,
          ErrorCode.InvalidRequest,
          "Bad request: no Mcp-Session-Id header. Start a session with initialize, then send " +
            "the Mcp-Session-Id it returned with every request",
          {},
          message.kind === "request" ? message.message.id : null,
        );
      }
      const refused = this.#refuseNewSession(service);
      if (refused) return refused;
      session = this.#open(service);
      created = true;
    } else {
      const found = this.#session(sessionId, service);
      if (found instanceof Response) return found;
      session = found;
      const bad = checkVersion(request);
      if (bad) return bad;
    }
    session.touch();
    const client = session.client;
    const feed = async () => {
      if (!client.canRead) await client.ready();
      // Parsed above already: the router takes the value instead of parsing the text again.
      client.receive({ kind: "line", text, value });
    };
    switch (message.kind) {
      case "notification":
      case "response":
        if (message.kind === "response" && message.message.id !== null) {
          session.answered(message.message.id);
        }
        await feed();
        if (
          message.kind === "notification" && message.message.method === "notifications/cancelled"
        ) {
          const id = message.message.params?.requestId;
          if (isId(id)) session.cancelled(id);
        }
        return new Response(null, { status: 202 });
      case "request": {
        const id = message.message.id;
        if (session.hasOpenRequest(id)) {
          return errorReply(
            400,
            ErrorCode.InvalidRequest,
            `Invalid request: id ${JSON.stringify(id)} is already used by a request of this ` +
              "session that is still in flight",
            {},
            id,
          );
        }
        const token = progressTokenOf(message.message.params);
        const stream = session.openPost([id], token === undefined ? [] : [token], {
          initialize,
          headers: created ? { "mcp-session-id": session.id } : {},
        });
        await feed();
        return stream.response;
      }
      case "batch":
        return this.#batch(session, message.items, feed);
    }
  }

  async #batch(
    session: HttpSession,
    items: unknown[],
    feed: () => Promise<void>,
  ): Promise<Response> {
    const version = session.client.protocolVersion;
    if (!allowsBatches(version) || items.length === 0) {
      return errorReply(
        400,
        ErrorCode.InvalidRequest,
        items.length === 0
          ? "Invalid request: empty batch"
          : `Invalid request: JSON-RPC batches are not part of MCP ${version} (they exist only ` +
            "up to 2025-03-26); send one message per POST",
      );
    }
    const ids: JsonRpcId[] = [];
    const tokens: JsonRpcId[] = [];
    const cancels: JsonRpcId[] = [];
    for (const item of items) {
      const classified = classify(item);
      if (classified.kind === "invalid" || classified.kind === "batch") {
        return errorReply(
          400,
          ErrorCode.InvalidRequest,
          `Invalid request in the batch: ${
            classified.kind === "batch" ? "nested batch" : classified.reason
          }`,
        );
      }
      if (classified.kind === "response" && classified.message.id !== null) {
        session.answered(classified.message.id);
      }
      if (
        classified.kind === "notification" &&
        classified.message.method === "notifications/cancelled" &&
        isId(classified.message.params?.requestId)
      ) {
        cancels.push(classified.message.params.requestId);
      }
      if (classified.kind !== "request") continue;
      if (session.hasOpenRequest(classified.message.id) || ids.includes(classified.message.id)) {
        return errorReply(
          400,
          ErrorCode.InvalidRequest,
          `Invalid request: id ${JSON.stringify(classified.message.id)} is used twice`,
        );
      }
      ids.push(classified.message.id);
      const token = progressTokenOf(classified.message.params);
      if (token !== undefined) tokens.push(token);
    }
    if (ids.length === 0) {
      await feed();
      for (const id of cancels) session.cancelled(id);
      return new Response(null, { status: 202 });
    }
    const stream = session.openPost(ids, tokens);
    await feed();
    for (const id of cancels) session.cancelled(id);
    return stream.response;
  }

  #get(request: Request, service: HttpService): Promise<Response> | Response {
    const modern = request.headers.has("mcp-session-id") ? undefined : noSession(request);
    if (modern) return modern;
    if (!accepts(request.headers.get("accept"), ["text/event-stream"])) {
      return errorReply(
        406,
        ErrorCode.InvalidRequest,
        "Not acceptable: a GET opens an event stream; its Accept header must allow " +
          "text/event-stream",
      );
    }
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId === null) {
      return errorReply(
        400,
        ErrorCode.InvalidRequest,
        "Bad request: no Mcp-Session-Id header (a GET opens the stream of a session)",
      );
    }
    const session = this.#session(sessionId, service);
    if (session instanceof Response) return session;
    const bad = checkVersion(request);
    if (bad) return bad;
    session.touch();
    const last = request.headers.get("last-event-id");
    if (last !== null) {
      const resumable = session.resumable(last);
      if (resumable) return resumable.stream.resume(resumable.seq);
      // A finished POST stream: nothing more will come on it.
      if (session.hadStream(last)) return new Response(null, { status: 204 });
    }
    return session.openGet().response;
  }

  #delete(request: Request, service: HttpService): Response {
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId === null) {
      return noSession(request) ??
        errorReply(400, ErrorCode.InvalidRequest, "Bad request: no Mcp-Session-Id header");
    }
    const session = this.#session(sessionId, service);
    if (session instanceof Response) return session;
    session.end(ErrorCode.InternalError, "the client ended it (DELETE)");
    return new Response(null, { status: 200 });
  }

  #refuseNewSession(service: HttpService): Response | undefined {
    if (service.closing) {
      return errorReply(
        503,
        ErrorCode.ShuttingDown,
        `Service "${service.service}" is shutting down; try again when it is back`,
      );
    }
    if (this.#table.full) {
      this.#log.warn("HTTP session refused: {count} sessions held (http.max_sessions)", {
        count: this.#table.size,
      });
      return errorReply(
        503,
        ErrorCode.TooManyClients,
        `Too many HTTP sessions: ${this.#table.size} are open (http.max_sessions ` +
          `${this.#table.max}). End unused sessions (DELETE), wait for idle ones to be ` +
          "reaped, or raise --http-max-sessions",
        { "retry-after": "5" },
      );
    }
    return undefined;
  }

  #open(service: HttpService): HttpSession {
    const session = new HttpSession(crypto.randomUUID(), service.service, {
      now: this.#now,
      log: this.#log,
      maxQueuedBytes: service.options.maxClientBacklogBytes,
      onEnd: (ended) => this.#table.remove(ended),
    });
    session.attach(service.openClient(session, "http"));
    this.#table.add(session);
    return session;
  }

  #session(id: string, service: HttpService): HttpSession | Response {
    const session = this.#table.get(id);
    if (!session || session.ended || session.service !== service.service) {
      return errorReply(
        404,
        ErrorCode.InvalidRequest,
        "Session not found: it ended (deleted, idle past http.session_idle_ms, or the mux " +
          "restarted) or never existed. Start a new session with initialize",
      );
    }
    return session;
  }
}

/** What a client of MCP 2026-07-28 may not POST, and why. */
const MODERN_REFUSALS = {
  response: "Invalid request: a client of MCP 2026-07-28 sends no responses (the server asks " +
    "for input inside its results)",
  notification: "Invalid request: MCP 2026-07-28 over HTTP has no client notifications; cancel " +
    "a request by closing its response stream",
  batch: "Invalid request: JSON-RPC batches are not part of MCP 2026-07-28; send one request " +
    "per POST",
} as const;

/**
 * A GET or DELETE without a session from a client of MCP 2026-07-28, which
 * has neither: 405 (the transport's rule), saying what to use instead.
 */
function noSession(request: Request): Response | undefined {
  const version = request.headers.get("mcp-protocol-version");
  if (version === null || !isModernVersion(version)) return undefined;
  return errorReply(
    405,
    ErrorCode.InvalidRequest,
    `Method not allowed: MCP ${version} over HTTP has no ` +
      (request.method === "GET"
        ? "GET stream; POST subscriptions/listen for change notifications"
        : "sessions to DELETE; close a request's response stream to cancel it"),
    { allow: "POST" },
  );
}

/** `MCP-Protocol-Version` on a request after initialize: absent is fine, unknown is refused. */
function checkVersion(request: Request): Response | undefined {
  const version = request.headers.get("mcp-protocol-version");
  if (version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return undefined;
  return errorReply(
    400,
    ErrorCode.InvalidRequest,
    `Bad request: unsupported MCP-Protocol-Version "${version}"; this mux speaks ` +
      SUPPORTED_PROTOCOL_VERSIONS.join(", "),
  );
}

function progressTokenOf(params: Record<string, unknown> | undefined): JsonRpcId | undefined {
  const token = (params?._meta as Record<string, unknown> | undefined)?.progressToken;
  return isId(token) ? token : undefined;
}
