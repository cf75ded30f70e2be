/**
 * What expires in the router, swept by its one timer (`sweeper.ts`): client
 * requests without an answer or progress within `--request-timeout-ms`
 * (failed with -32001 and cancelled upstream), the mux's own requests to
 * clients, the bridge's handles, the upstream link's deadlines (its
 * handshake, clients waiting for it, its own requests), and the liveness
 * probe of a server that has gone silent with work in flight.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { errorResponse } from "../jsonrpc/message.ts";
import type { Clients } from "./clients.ts";
import type { ClientToServerTable, PendingEntry } from "./client_to_server.ts";
import { Liveness, type LivenessSettings } from "./liveness.ts";
import type { MrtrBridgeFeature } from "./mrtr_bridge_feature.ts";
import type { ClientSession } from "./session.ts";
import type { UpstreamLink } from "./upstream_link.ts";

/** The router's settings the timeouts read (live: read at each use). */
export interface TimeoutSettings {
  readonly service: string;
  /** Give up on a request after this long without an answer or progress; 0 = never. */
  readonly requestTimeoutMs: number;
  /** The liveness probe; off when absent. */
  readonly liveness?: LivenessSettings;
  /** The liveness probe's pings went unanswered: the server is unresponsive. */
  readonly onUnresponsive?: (reason: string) => void;
  /** An unresponsive server answered again. */
  readonly onResponsive?: () => void;
}

/** What the timeouts act on. */
export interface TimeoutParts {
  log: Logger;
  now: () => number;
  /** Make sure a sweep happens no later than `deadline`. */
  arm: (deadline: number) => void;
  pending: ClientToServerTable<ClientSession>;
  clients: Clients;
  upstream: UpstreamLink;
  bridge: () => MrtrBridgeFeature;
}

/** Deadlines of requests, and the liveness probe. */
export class Timeouts {
  readonly #s: TimeoutSettings;
  readonly #p: TimeoutParts;
  /** The liveness probe, when on. */
  readonly liveness: Liveness | undefined;

  constructor(settings: TimeoutSettings, parts: TimeoutParts) {
    this.#s = settings;
    this.#p = parts;
    this.liveness = settings.liveness?.enabled ? this.#probe(settings.liveness) : undefined;
  }

  /** When a request accepted now times out (`Infinity`: never). */
  deadline(): number {
    const timeout = this.#s.requestTimeoutMs;
    return timeout > 0 ? this.#p.now() + timeout : Infinity;
  }

  /** Expire whatever is past its deadline; returns the next deadline. */
  sweep(now: number): number {
    const { pending, clients, upstream } = this.#p;
    // Handles first: their held calls are cancelled with their questions answered.
    const handles = this.#p.bridge().sweep(now);
    for (const entry of pending.removeWhere((e) => e.deadline <= now)) this.#expire(entry);
    const asks = clients.expireAsks(now);
    return Math.min(
      pending.nextDeadline(),
      asks,
      upstream.sweep(now),
      this.liveness?.check(now) ?? Infinity,
      handles,
    );
  }

  #expire(entry: PendingEntry<ClientSession>): void {
    const { service, requestTimeoutMs } = this.#s;
    const seconds = requestTimeoutMs / 1000;
    this.#p.log.warn(
      "Request {method} from {client} got no answer within {seconds} s; failed it",
      { method: entry.method, client: entry.client.label, seconds },
    );
    this.#p.clients.reply(
      entry,
      errorResponse(
        entry.clientId,
        ErrorCode.RequestTimeout,
        `Server "${service}" did not answer ${entry.method} within ${seconds} s ` +
          "(--request-timeout-ms); the request was cancelled",
        { service, timeoutMs: requestTimeoutMs },
      ),
    );
    if (entry.sent) this.#p.upstream.cancel(entry.upstreamId, "rmcp-mux request timeout");
  }

  #probe(settings: LivenessSettings): Liveness {
    const { log, upstream, pending } = this.#p;
    const service = this.#s.service;
    return new Liveness(settings, {
      now: this.#p.now,
      busy: () => upstream.ready && pending.size > 0,
      ping: (timeoutMs) => upstream.request("ping", undefined, timeoutMs),
      arm: this.#p.arm,
      onUnresponsive: (reason) => {
        log.error("Server {service} is unresponsive: {reason}", { service, reason });
        this.#s.onUnresponsive?.(reason);
      },
      onResponsive: () => {
        log.info("Server {service} answers again", { service });
        this.#s.onResponsive?.();
      },
    });
  }
}
