/**
 * Log levels across clients: each client's `logging/setLevel` is kept, the
 * upstream is set to the most verbose level any client asked for, and
 * `notifications/message` reaches each client only at or above its own level.
 * Logs stay with their cause: while exactly one client has requests in
 * flight, the server's log messages go to that client only (log text can
 * carry the data of the call that produced it).
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcNotification,
  type JsonRpcRequest,
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
    const busy = this.#ctx.pending.soleClient();
    if (busy) {
      if (busy.initialized && this.#levels.accepts(busy, level)) this.#ctx.notify(busy, line);
      return;
    }
    for (const session of this.#ctx.sessions) {
      if (session.initialized && this.#levels.accepts(session, level)) {
        this.#ctx.notify(session, line);
      }
    }
  }

  /** The level a client asked for (carried when it moves to another process). */
  levelOf(session: ClientSession): McpLogLevel | undefined {
    return this.#levels.get(session);
  }

  /** A client joins with a level it set elsewhere: the upstream may need to be louder. */
  adopt(session: ClientSession, level: McpLogLevel): void {
    const upstreamLevel = this.#levels.set(session, level);
    if (upstreamLevel !== undefined) this.#apply(upstreamLevel);
  }

  /** A client left: the upstream may now be quieter. */
  release(session: ClientSession): void {
    const upstreamLevel = this.#levels.remove(session);
    if (upstreamLevel !== undefined) this.#apply(upstreamLevel);
  }

  /** A new server process: set its level again. */
  reapply(): void {
    const level = this.#levels.effective();
    if (level !== undefined) this.#apply(level);
  }

  #apply(level: McpLogLevel): void {
    void this.#ctx.upstream.request("logging/setLevel", { level }).then((response) => {
      if (isErrorResponse(response)) {
        this.#ctx.log.warn("Could not set the server's log level to {level}: {reason}", {
          level,
          reason: response.error.message,
        });
      }
    });
  }
}
