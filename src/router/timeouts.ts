/**
 * What expires in the router, swept by its one timer (`sweeper.ts`): client
 * requests without an answer or progress within `--request-timeout-ms`
 * (failed with -32001 and cancelled upstream), the mux's own requests to
 * clients, the bridge's handles, the upstream link's deadlines (its
 * handshake, clients waiting for it, its own requests), the grace of
 * cancelled requests (`cancelled_calls.ts`), and the liveness probe of a
 * server that has gone silent with work in flight.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { errorResponse } from "../jsonrpc/message.ts";
import type { CancelledCalls } from "./cancelled_calls.ts";
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
  /** Cancelled requests the server may still be working on: forgotten when their grace passes. */
  cancelled: CancelledCalls<ClientSession>;
  /** Tell the server to stop a request nobody waits for (before it leaves `pending`). */
  cancelUpstream: (entry: PendingEntry<ClientSession>, reason: string) => void;
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
    const { pending, clients, upstream, cancelled } = this.#p;
    // Handles first: their held calls are cancelled with their questions answered.
    const handles = this.#p.bridge().sweep(now);
    if (pending.nextDeadline() <= now) {
      const due = [...pending.values()].filter((e) => e.deadline <= now);
      for (const entry of due) if (pending.get(entry.upstreamId) === entry) this.#expire(entry);
    }
    const asks = clients.expireAsks(now);
    return Math.min(
      pending.nextDeadline(),
      cancelled.expire(now),
      asks,
      upstream.sweep(now),
      this.liveness?.check(now) ?? Infinity,
      handles,
    );
  }

  /** Fail a request past its deadline; the server hears the cancel before its turn can pass. */
  #expire(entry: PendingEntry<ClientSession>): void {
    const { service, requestTimeoutMs } = this.#s;
    const seconds = requestTimeoutMs / 1000;
    this.#p.log.warn(
      "Request {method} from {client} got no answer within {seconds} s; failed it",
      { method: entry.method, client: entry.client.label, seconds },
    );
    this.#p.cancelUpstream(entry, "rmcp-mux request timeout");
    this.#p.pending.take(entry.upstreamId);
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
