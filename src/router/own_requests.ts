/**
 * The mux's own requests to the server (health checks, subscription and
 * log-level bookkeeping, re-application after a restart, undoing what a
 * departed client left there): sent at once when the process takes
 * traffic, else held in the outbox behind clients' traffic. Answers and
 * expiry go through `mux_to_server.ts`; when the process takes traffic is
 * `upstream_traffic.ts`'s (the upstream link's phase, and what it holds).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { errorResponse, type JsonRpcResponse } from "../jsonrpc/message.ts";
import type { PendingEntry } from "./client_to_server.ts";
import type { MuxToServerTable } from "./mux_to_server.ts";
import type { Outbox } from "./outbox.ts";
import type { ClientSession } from "./session.ts";
import type { Refusal } from "./upstream_failures.ts";
import type { UpstreamPort, UpstreamSettings } from "./upstream_options.ts";

/** What {@link OwnRequests} works with (the upstream link's state, read live). */
export interface OwnRequestsParts {
  settings: UpstreamSettings;
  own: MuxToServerTable;
  outbox: Outbox<ClientSession, PendingEntry<ClientSession>>;
  log: Logger;
  now: () => number;
  armSweep: (deadline: number) => void;
  /** The process, when traffic goes straight to it (ready, nothing held); else `null`. */
  direct: () => UpstreamPort | null;
  /** Why a request cannot be forwarded at all right now (closing, failed for good), if so. */
  refusal: (method: string) => Refusal | undefined;
  /** Something held needs a server: start one, or retry its handshake. */
  demand: () => void;
}

/** Sends (or holds) the mux's own requests; each resolves to the server's answer or an error. */
export class OwnRequests {
  readonly #p: OwnRequestsParts;

  constructor(parts: OwnRequestsParts) {
    this.#p = parts;
  }

  /**
   * A request of the mux's own. Never rejects: failures (server gone,
   * timeout, shutdown) resolve to an error response.
   */
  request(
    method: string,
    params?: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<JsonRpcResponse> {
    const refusal = this.#p.refusal(method);
    if (refusal) return Promise.resolve(errorResponse(null, ...refusal));
    return this.#send(method, params, timeoutMs ?? this.#p.settings.requestTimeoutMs, true);
  }

  /**
   * Undo, on the server, what a departed client left there (the last
   * subscription to a URI, a log level louder than the others need). Sent
   * now if the process is ready and nothing is held; held only behind a held
   * request of the same method (it must stay the last word); otherwise
   * dropped: the process that had the state is gone or being replaced, and
   * the next one is told only what the remaining clients need (re-applied at
   * its handshake). Never starts a process nor retries a handshake.
   * `undefined` when not sent.
   */
  tidy(method: string, params: Record<string, unknown>): Promise<JsonRpcResponse> | undefined {
    if (this.#p.refusal(method)) return undefined;
    const { own, outbox } = this.#p;
    if (this.#p.direct() === null && !outbox.holds((m) => own.methodOf(m.internalId) === method)) {
      this.#p.log.debug(
        "{method} not sent: the process that had what it undoes is gone or being replaced",
        { method },
      );
      return undefined;
    }
    return this.#send(method, params, this.#p.settings.requestTimeoutMs, false);
  }

  /** Sent now or held (`demand`: start a server for it). */
  #send(
    method: string,
    params: Record<string, unknown> | undefined,
    timeoutMs: number,
    demand: boolean,
  ): Promise<JsonRpcResponse> {
    const { id, deadline, answer } = this.#p.own.add(method, timeoutMs, this.#p.now());
    const line = JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    this.#p.armSweep(deadline);
    const port = this.#p.direct();
    if (port) port.send(line);
    else {
      this.#p.outbox.hold({ line, internalId: id });
      if (demand) this.#p.demand();
    }
    return answer;
  }
}
