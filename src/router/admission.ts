/**
 * Clients waiting for a slot (`--max-active-clients`). A waiting client is
 * answered at once what needs no slot (`ping`, health, status, the 2026
 * probe) and its `rmcp-mux/hello` is taken; anything else is kept, in order
 * and bounded (`MAX_WAITING_LINES`, then its reads pause). It leaves
 * the wait admitted (what it kept is routed, in order) or turned away
 * ({@link turnAway}, which the isolation pool's lobby shares).
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  classifyLine,
  errorResponse,
  type JsonRpcId,
  requestOf,
  resultResponse,
} from "../jsonrpc/message.ts";
import { HEALTH_METHOD, HELLO_METHOD, STATUS_METHOD } from "../jsonrpc/mux_methods.ts";
import type { RouterContext } from "./context.ts";
import type { Features } from "./features.ts";
import { DISCOVER_METHOD } from "./eras.ts";
import { checkServerHealth, healthWaitMs } from "./health_feature.ts";
import type { ClientSession } from "./session.ts";

/** Clients between connecting and getting a slot. */
export class Admission {
  readonly #ctx: RouterContext;
  readonly #f: Features;
  readonly #route: (session: ClientSession, text: string) => void;

  /** @param route what an admitted client's line goes to */
  constructor(
    ctx: RouterContext,
    features: Features,
    route: (session: ClientSession, text: string) => void,
  ) {
    this.#ctx = ctx;
    this.#f = features;
    this.#route = route;
  }

  /** A line from a client still waiting for a slot: answered now, or kept. */
  waiting(session: ClientSession, text: string): void {
    const msg = classifyLine(text);
    if (msg?.kind === "notification" && msg.message.method === HELLO_METHOD) {
      return session.introduce(msg.message.params);
    }
    const request = msg?.kind === "request" ? msg.message : undefined;
    switch (request?.method) {
      case "ping":
        return this.#ctx.notify(session, resultResponse(request.id, {}));
      case HEALTH_METHOD:
        session.markProbe();
        return void checkServerHealth(
          this.#ctx,
          session.target,
          request.id,
          healthWaitMs(request.params),
        );
      case STATUS_METHOD:
        session.markProbe();
        return this.#ctx.notify(session, resultResponse(request.id, this.#ctx.status()));
      case DISCOVER_METHOD:
        return this.#ctx.notify(session, this.#f.translate.discover(session, request));
    }
    session.waiting.push(text);
  }

  /** The client got a slot: route what it sent while waiting. */
  admit(session: ClientSession): void {
    if (session.closed || session.admitted) return;
    session.admitted = true;
    const waiting = session.waiting;
    session.waiting = [];
    for (const line of waiting) this.#route(session, line);
  }

  /** The client never got a slot: answer each waiting request with `message`, then close. */
  reject(session: ClientSession, message: string): void {
    if (session.closed) return;
    const waiting = session.waiting;
    session.waiting = [];
    turnAway(session, waiting, ErrorCode.TooManyClients, message, {
      service: this.#ctx.service,
    }, "no free client slot");
  }
}

/**
 * Turn a client away: each request among the `lines` it sent is answered
 * with the error (one error without an id when it asked nothing, so it is
 * told why), then its connection is closed with `reason` (for the log).
 */
export function turnAway(
  session: ClientSession,
  lines: readonly string[],
  code: number,
  message: string,
  data: Record<string, unknown>,
  reason: string,
): void {
  const ids: (JsonRpcId | null)[] = [];
  for (const line of lines) {
    const request = requestOf(line);
    if (request) ids.push(request.id);
  }
  for (const id of ids.length > 0 ? ids : [null]) {
    if (!session.closed) session.port.send(JSON.stringify(errorResponse(id, code, message, data)));
  }
  session.port.close(reason);
}
