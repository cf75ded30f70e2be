/**
 * What the router's feature modules share: sessions, the id map, the
 * upstream link, the mux→client call table, and ways to answer.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { JsonRpcResponse } from "../jsonrpc/message.ts";
import type { JsonRpcId } from "../jsonrpc/message.ts";
import type { Clock } from "./clock.ts";
import type { MuxToClientTable } from "./mux_to_client.ts";
import type { LatencyWindow } from "./metrics.ts";
import type { CancelledCalls } from "./cancelled_calls.ts";
import type { ClientToServerTable, PendingEntry, ReplyTarget } from "./client_to_server.ts";
import type { ClientSession } from "./session.ts";
import type { UpstreamLink } from "./upstream_link.ts";

/** Where a reply goes: a client, or one slot of a client's batch. */
export type Target = ReplyTarget<ClientSession>;

/** The router's shared state and effects, as features see them. */
export interface RouterContext {
  readonly service: string;
  readonly log: Logger;
  readonly now: () => number;
  /** Time and timers (a fake clock in tests). */
  readonly clock: Clock;
  readonly sessions: ReadonlySet<ClientSession>;
  /** Client→server requests in flight. */
  readonly pending: ClientToServerTable<ClientSession>;
  /** Cancelled requests the server may still be working on (until it answers or a grace passes). */
  readonly cancelled: CancelledCalls<ClientSession>;
  /**
   * Nobody waits for this request's answer any more (cancelled, timed out):
   * if the server has it, it is told `notifications/cancelled` and the request
   * is kept in {@link cancelled}. Call it before taking the entry out of
   * {@link pending} (that may pass a serialize turn).
   */
  cancelUpstream(entry: PendingEntry<ClientSession>, reason: unknown): void;
  readonly upstream: UpstreamLink;
  /** Mux→client requests open (routed server requests and the mux's own). */
  readonly calls: MuxToClientTable<ClientSession>;
  /** Latencies of answered client requests. */
  readonly latencies: LatencyWindow;
  /**
   * Answer a client request. `text`, when given, is `message` already
   * serialised (sent as is, unless the answer goes into a batch).
   */
  reply(target: Target, message: JsonRpcResponse, text?: string): void;
  /** Send a message (an object, or an already serialized line) to a client, if connected. */
  notify(session: ClientSession, message: unknown): void;
  /** A request of the mux's own to one client. Never rejects. */
  requestClient(
    session: ClientSession,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<JsonRpcResponse>;
  /**
   * A request of the mux's own to one client, with its id (to cancel it) and
   * its own timeout. The answer never rejects.
   */
  askClient(
    session: ClientSession,
    method: string,
    params: Record<string, unknown> | undefined,
    timeoutMs: number,
  ): { id: JsonRpcId; answer: Promise<JsonRpcResponse> };
  /** Withdraw a request of {@link askClient}: the client is told `notifications/cancelled`. */
  cancelAsk(session: ClientSession, id: JsonRpcId, reason: string): void;
  /** Connected clients of the modern era (so legacy-only paths can skip era work). */
  modernClients(): number;
  /** A client's first request pinned it to the modern era. */
  pinModern(session: ClientSession): void;
  /** When a request accepted now times out (`Infinity`: never). */
  deadline(): number;
  /** Make sure deadlines up to this one are checked. */
  armSweep(deadline: number): void;
  /** A request went toward the server: the liveness probe watches it for silence. */
  watchUpstream(): void;
  /** A client's open-request count dropped: wake whoever waits for it to settle. */
  settled(session: ClientSession): void;
  /** The mux's status snapshot, for `rmcp-mux/status`. */
  status(): Record<string, unknown>;
}
