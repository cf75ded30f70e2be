/**
 * A client of the mux made for one POST of MCP 2026-07-28 (which has no
 * sessions): a router client of its own, so the request gets every rewrite
 * the router does for a socket client (its id, progress token, stream tag,
 * MRTR) and nothing of anyone else's can reach it. As the router's
 * {@link ClientPort} it puts everything on that POST's response: progress,
 * log lines, a listen's notifications, then the answer. It ends with its
 * answer — or, when the mux holds the server's call for the retry of an
 * `input_required` answer (a legacy server asked a question), it waits,
 * parked under that answer's handle, for the POST that echoes it: the
 * retry is then that same client's next request, bound like on the socket.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { errorResponse, type JsonRpcId, resultResponse } from "../jsonrpc/message.ts";
import { LISTEN_METHOD, META } from "../router/eras.ts";
import type { ClientPort } from "../router/session.ts";
import type { MuxClient } from "../server/mux_client.ts";
import type { HttpService } from "./endpoint.ts";
import type { ModernCall } from "./modern_call.ts";
import { classifyOutgoing, idKey } from "./outgoing.ts";

/** What a stateless client needs from its endpoint. */
export interface StatelessEnv {
  log: Logger;
  /** Its call got its answer (`line`): end it, or park it for a retry. */
  answered(client: StatelessClient, call: ModernCall, line: string): void;
  /** It ended: forget it. */
  ended(client: StatelessClient): void;
}

/** The mux's client for a modern POST (and, parked, for its retry). */
export class StatelessClient implements ClientPort {
  /** Made for single requests: `client` isolation gives it no process of its own. */
  readonly perRequest = true;
  /** The service it is a client of. */
  readonly service: HttpService;
  readonly #env: StatelessEnv;
  #mux: MuxClient | undefined;
  #call: ModernCall | undefined;
  #ended = false;
  /**
   * While parked: the `requestState` its retry echoes, until when it waits
   * (ms since epoch), and the call a retry must repeat (method and subject).
   */
  parked: { state: string; until: number; method: string; subject: unknown } | undefined;

  constructor(service: HttpService, env: StatelessEnv) {
    this.service = service;
    this.#env = env;
  }

  /** Bind the mux client (once, right after it is made). */
  attach(mux: MuxClient): void {
    this.#mux = mux;
  }

  /** True once ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The POST it serves now (the last one, once answered). */
  get call(): ModernCall | undefined {
    return this.#call;
  }

  /** A label for logs: `client 7 (host 2.4.0)`. */
  get label(): string {
    return this.#mux?.label ?? "a 2026-07-28 HTTP client";
  }

  /** Serve `call` next: its request (`text`, parsed as `value`) goes to the router. */
  async begin(call: ModernCall, text: string, value: unknown): Promise<void> {
    this.#call = call;
    this.parked = undefined;
    const mux = this.#mux!;
    if (!mux.canRead) await mux.ready();
    if (this.#ended) return;
    mux.receive({ kind: "line", text, value });
  }

  /**
   * Done: the router forgets the client, so whatever of its is still in
   * flight upstream is cancelled (closing a POST's stream cancels its
   * request). Idempotent.
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.parked = undefined;
    this.#call?.close();
    // Not from inside the router's own call into this port: after it returns.
    const mux = this.#mux;
    if (mux) queueMicrotask(() => mux.close());
    this.#env.ended(this);
  }

  // ── ClientPort (the router's side) ─────────────────────────────────────

  /** The answer to its request: the last message of the POST's response. */
  reply(id: JsonRpcId | null, line: string): void {
    const call = this.#call;
    if (!call || call.done || id === null || idKey(id) !== idKey(call.id)) {
      return this.#drop("an answer to no request of its POST", line);
    }
    call.deliver(line, true);
    this.#env.answered(this, call, line);
  }

  /** Progress, log lines and a listen's notifications: on the POST's stream. */
  send(line: string): void {
    const message = classifyOutgoing(line);
    if (message.kind === "response") return this.reply(message.id, line);
    const call = this.#call;
    if (message.kind !== "notification") {
      // The router never asks a modern client anything (questions travel in results).
      return this.#drop(`a ${message.kind} the 2026-07-28 revision does not send`, line);
    }
    if (!call || call.done) return this.#drop("a notification after its answer", line);
    call.deliver(line, false);
    if (
      message.method === "notifications/cancelled" && message.requestId !== undefined &&
      idKey(message.requestId) === idKey(call.id)
    ) {
      // The server ended the client's listen: its stream is over.
      this.end();
    }
  }

  /**
   * The mux is done with it (no slot for it, its service stops, the mux
   * stops): a call still open gets an error; a listen, its graceful end.
   */
  close(reason: string): void {
    const call = this.#call;
    if (call && !call.done) {
      // A refusal (no slot, no process) was answered before the close: this is a stop.
      const answer = call.method === LISTEN_METHOD
        ? resultResponse(call.id, {
          resultType: "complete",
          _meta: { [META.subscriptionId]: call.id },
        })
        : errorResponse(
          call.id,
          ErrorCode.ShuttingDown,
          `The mux ended this request (${reason}); send it again once the service is back`,
          { reason },
        );
      call.deliver(JSON.stringify(answer), true);
    }
    this.end();
  }

  #drop(what: string, line: string): void {
    this.#env.log.debug("{client}: dropped {what}: {line}", {
      client: this.label,
      what,
      line: line.slice(0, 200),
    });
  }
}
