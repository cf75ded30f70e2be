/**
 * What the upstream link (`upstream_link.ts`) is given: the port it writes
 * the current process through, the router's settings it reads, and the
 * dependencies it shares with the router.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { JsonRpcResponse } from "../jsonrpc/message.ts";
import type { ClientToServerTable, PendingEntry, ReplyTarget } from "./client_to_server.ts";
import type { UpstreamEraSetting } from "./eras.ts";
import type { HeldMessage } from "./outbox.ts";
import type { ClientSession } from "./session.ts";

/** How the router writes to the current server process. */
export interface UpstreamPort {
  /** Queue one serialized message (no newline) to the server's stdin. */
  send(line: string): void;
  /** Messages queued toward the server and not yet written. */
  readonly pending: number;
}

/** Messages queued toward the server; beyond it the mux stops reading from clients. */
export const MAX_QUEUE = 1024;

/** The router's settings the link reads (live: a reload changes timeouts in place). */
export interface UpstreamSettings {
  readonly service: string;
  /** Name and version the mux introduces itself with upstream. */
  readonly clientInfo: { name: string; version: string };
  /** Which era to speak to the server (default `auto`). */
  readonly upstreamEra?: UpstreamEraSetting;
  /** How long the server may take to answer each request of the mux's handshake. */
  readonly initTimeoutMs: number;
  /** Timeout of the mux's own requests (0 = none). */
  readonly requestTimeoutMs: number;
  /** Override {@link MAX_QUEUE}. */
  readonly maxQueue?: number;
  /** The server must be restarted (it never answered, or refused, the handshake). */
  readonly onUpstreamBroken?: (reason: string) => void;
  /** Traffic needs a server and none is attached (lazy start). */
  readonly onDemand?: () => void;
}

/** Dependencies the link shares with the router. */
export interface UpstreamLinkOptions {
  log: Logger;
  now: () => number;
  deadline: () => number;
  pending: ClientToServerTable<ClientSession>;
  reply: (target: ReplyTarget<ClientSession>, message: JsonRpcResponse) => void;
  armSweep: (deadline: number) => void;
  /** The new process is initialized; re-apply what it must know (before queued traffic). */
  onReady: (restarted: boolean) => void;
  /** A restarted server serves again (what was held for it is sent). */
  onRestarted: () => void;
  /** The process is gone; forget what only it knew. */
  onGone: (reason: string) => void;
  /**
   * A held message's line as the server's era needs it (held requests were
   * written in their client's era, before the server's was known);
   * `undefined`: not to be sent after all.
   */
  adaptHeld?: (
    message: HeldMessage<ClientSession, PendingEntry<ClientSession>>,
  ) => string | undefined;
}
