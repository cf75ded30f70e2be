/**
 * Log levels across clients: each client's `logging/setLevel` is kept, the
 * upstream is set to the most verbose level any client asked for, and
 * `notifications/message` reaches each client only at or above its own level.
 * Logs stay with their cause: while exactly one client has requests in
 * flight, the server's log messages go to that client only (log text can
 * carry the data of the call that produced it).
 *
 * Across eras: a modern server has no `logging/setLevel`; each request opts
 * in with a `logLevel` in its envelope (a legacy client's is its own
 * `setLevel`), and a message goes to the clients whose requests in flight
 * opted in at or below its level (a log line carries no request id). A
 * modern client behind a legacy server gets a message only when that is
 * unambiguous: exactly one request in flight opted in, and it is its own.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import type { RouterContext, Target } from "./context.ts";
import { isMcpLogLevel, LevelTable, MCP_LOG_LEVELS, type McpLogLevel } from "./log_levels.ts";
import type { ClientSession } from "./session.ts";

/** Handles `logging/setLevel` and `notifications/message`. */
export class LoggingFeature {
  readonly #ctx: RouterContext;
  readonly #levels = new LevelTable<ClientSession>();

  constructor(ctx: RouterContext) {
    this.#ctx = ctx;
  }

  /** The level a client set with `logging/setLevel`, if any. */
  levelOf(session: ClientSession): McpLogLevel | undefined {
    return this.#levels.get(session);
  }

  /** The level the upstream is set to (the most verbose any client asked for). */
  get effective(): McpLogLevel | undefined {
    return this.#levels.effective();
  }

  setLevel(session: ClientSession, request: JsonRpcRequest, target: Target): void {
    const level = request.params?.level;
    if (!isMcpLogLevel(level)) {
      return this.#ctx.reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.InvalidParams,
          `Invalid params: unknown log level ${JSON.stringify(level)}; expected one of ` +
            MCP_LOG_LEVELS.join(", "),
        ),
      );
    }
    const previous = this.#levels.get(session);
    const upstreamLevel = this.#levels.set(session, level);
    // A modern server has no session level: the level travels in each request's envelope.
    if (this.#ctx.upstream.handshake.modern) {
      return this.#ctx.reply(target, resultResponse(request.id, {}));
    }
    if (upstreamLevel === undefined) return this.#ctx.reply(target, resultResponse(request.id, {}));
    void this.#ctx.upstream.request("logging/setLevel", { level: upstreamLevel }).then(
      (response) => {
        if (isErrorResponse(response)) this.#levels.restore(session, previous);
        this.#ctx.reply(target, { ...response, id: request.id });
      },
    );
  }

  /**
   * Deliver a log message: to the one client with requests in flight if
   * there is exactly one, else to each client; either way only at or above
   * the receiver's level.
   */
  onMessage(note: JsonRpcNotification, line: string): void {
    const level = note.params?.level;
    if (this.#ctx.upstream.handshake.modern) return this.#byRequest(level, line, false);
    // Logs stay with their cause: one client busy, only that client hears the server.
    const busy = this.#ctx.pending.soleClient();
    if (busy?.era === "modern") return this.#byRequest(level, line, true);
    if (busy) {
      if (busy.initialized && this.#levels.accepts(busy, level)) this.#ctx.notify(busy, line);
      return;
    }
    for (const session of this.#ctx.sessions) {
      if (session.initialized && this.#levels.accepts(session, level)) {
        this.#ctx.notify(session, line);
      }
    }
    if (this.#ctx.modernClients() > 0) this.#byRequest(level, line, true);
  }

  /**
   * Deliver by the requests in flight that opted in (`logLevel` in their
   * envelope) at or below `level`. `onlyIfOne`: only when exactly one such
   * request is in flight (a legacy server logs for the whole session).
   */
  #byRequest(level: unknown, line: string, onlyIfOne: boolean): void {
    const opted: { session: ClientSession; min: McpLogLevel }[] = [];
    for (const entry of this.#ctx.pending.values()) {
      const wanted = entry.era?.envelope?.logLevel;
      if (!entry.sent || wanted === undefined) continue;
      opted.push({ session: entry.client, min: wanted });
    }
    if (onlyIfOne && opted.length !== 1) return;
    const rank = isMcpLogLevel(level) ? MCP_LOG_LEVELS.indexOf(level) : Infinity;
    const told = new Set<ClientSession>();
    for (const { session, min } of opted) {
      if (told.has(session) || rank < MCP_LOG_LEVELS.indexOf(min)) continue;
      told.add(session);
      this.#ctx.notify(session, line);
    }
  }

  /** A client joins with a level it set elsewhere: the upstream may need to be louder. */
  adopt(session: ClientSession, level: McpLogLevel): void {
    const upstreamLevel = this.#levels.set(session, level);
    if (upstreamLevel !== undefined) this.#apply(upstreamLevel);
  }

  /**
   * A client left: the upstream may now be quieter. Only a process that was
   * told the louder level is (no process is started to be told; the next
   * one gets the remaining clients' level at its handshake).
   */
  release(session: ClientSession): void {
    const upstreamLevel = this.#levels.remove(session);
    if (upstreamLevel === undefined || this.#ctx.upstream.handshake.modern) return;
    this.#warnIfRefused(
      upstreamLevel,
      this.#ctx.upstream.tidy("logging/setLevel", { level: upstreamLevel }),
    );
  }

  /** A new server process: set its level again. */
  reapply(): void {
    const level = this.#levels.effective();
    if (level !== undefined && !this.#ctx.upstream.handshake.modern) this.#apply(level);
  }

  #apply(level: McpLogLevel): void {
    this.#warnIfRefused(level, this.#ctx.upstream.request("logging/setLevel", { level }));
  }

  #warnIfRefused(level: McpLogLevel, answer: Promise<JsonRpcResponse> | undefined): void {
    void answer?.then((response) => {
      if (isErrorResponse(response)) {
        this.#ctx.log.warn("Could not set the server's log level to {level}: {reason}", {
          level,
          reason: response.error.message,
        });
      }
    });
  }
}
