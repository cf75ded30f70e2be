/**
 * What clients are told when the server cannot serve them, in one place:
 * the refusal of new requests (the mux is stopping, or the server failed for
 * good), and the failure of open work, answered at once with one error —
 * the client requests concerned, whoever waits for the server's handshake
 * (clients' `initialize`, health checks) and the mux's own requests. Which
 * work fails depends on what happened: the process exited (what it was
 * handling; held traffic waits for the next one), its handshake failed (what
 * was held for it), the server failed for good or the mux stops (all of it).
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import { errorResponse, type JsonRpcResponse } from "../jsonrpc/message.ts";
import type { ClientToServerTable, PendingEntry, ReplyTarget } from "./client_to_server.ts";
import type { InitializeFeature } from "./initialize_feature.ts";
import type { MuxToServerTable } from "./mux_to_server.ts";
import type { Outbox } from "./outbox.ts";
import type { ClientSession } from "./session.ts";
import { hintCommand } from "../paths/self_command.ts";
import { NAME } from "../version.ts";

type Entry = PendingEntry<ClientSession>;

/** Why a request cannot be sent: an error's code, message and data. */
export type Refusal = [code: number, message: string, data: Record<string, unknown>];

/**
 * Why a mux stops serving its clients (`MuxServer.close`): `rmcp-mux stop
 * NAME`, the service removed from the config by a reload, recreated by a
 * reload (its socket or settings that need a new mux changed), or the mux
 * (or its daemon) shutting down. Clients are told which, and what to do.
 */
export type CloseReason = "stop" | "removed" | "recreated" | "shutdown";

/**
 * What a client of `service` is told when its mux stops for `reason`: the
 * cause, `what` did not happen (e.g. `tools/call was not completed`), and
 * what to do. Always with the code -32006 (`ErrorCode.ShuttingDown`).
 *
 * @example
 * ```ts
 * import { stoppedMessage } from "./upstream_failures.ts";
 *
 * stoppedMessage("memory", "stop", "tools/call was not completed");
 * // 'service "memory" was stopped by `rmcp-mux stop memory` (or the dashboard); tools/call was
 * //  not completed: start the service again with `rmcp-mux start memory` and send it again'
 * ```
 */
export function stoppedMessage(service: string, reason: CloseReason, what: string): string {
  switch (reason) {
    case "stop":
      return `service "${service}" was stopped by \`${NAME} stop ${service}\` (or the dashboard); ` +
        `${what}: start the service again with \`${hintCommand()} start ${service}\` and send ` +
        "it again";
    case "removed":
      return `service "${service}" was removed from the config by a reload; ${what}: ` +
        `the service is gone until the config names it again and \`${hintCommand()} reload\` runs`;
    case "recreated":
      return `service "${service}" was restarted by a reload that changed its socket or ` +
        `settings; ${what}: connect to the service again and send it again`;
    case "shutdown":
      return `${NAME} is shutting down; ${what}: send it again once ${NAME} is back`;
  }
}

/** Why no request can be forwarded to `service` right now, if none can. */
export function refusal(
  service: string,
  method: string,
  closing: CloseReason | null,
  failed: string | null,
): Refusal | undefined {
  if (closing !== null) {
    return [
      ErrorCode.ShuttingDown,
      stoppedMessage(service, closing, `${method} was not sent`),
      { service, reason: closing },
    ];
  }
  if (failed !== null) {
    return [
      ErrorCode.ServerUnavailable,
      `Server "${service}" failed: ${failed}. The mux is still running; ` +
      "fix the server command and restart the service (or rmcp-mux)",
      { service, state: "failed" },
    ];
  }
  return undefined;
}

/** The open work failures answer. */
export interface FailureParts {
  service: string;
  pending: ClientToServerTable<ClientSession>;
  outbox: Outbox<ClientSession, Entry>;
  /** Clients' `initialize` and health checks waiting for the handshake. */
  waiting: InitializeFeature;
  own: MuxToServerTable;
  reply: (target: ReplyTarget<ClientSession>, message: JsonRpcResponse) => void;
  /** Wake readers paused for room (what failed no longer takes any). */
  notifyRoom: () => void;
}

/** Open work that fails together, and what its clients are told. */
interface Failure {
  code: number;
  data: Record<string, unknown>;
  /** Which client requests fail: those written to the process, those held for it, or all. */
  requests: "written" | "held" | "all";
  /** What a client request is told. */
  message: (entry: Entry) => string;
  /** What a waiting `initialize` and the mux's own requests are told. */
  text: string;
}

/** Fails open work when the server cannot serve it. */
export class UpstreamFailures {
  readonly #p: FailureParts;

  constructor(parts: FailureParts) {
    this.#p = parts;
  }

  /** The process exited: what it was handling fails. Returns how many client requests did. */
  exited(reason: string): number {
    const service = this.#p.service;
    return this.#fail({
      code: ErrorCode.ServerUnavailable,
      data: { service, reason },
      requests: "written",
      message: (entry) =>
        `Server "${service}" exited (${reason}) before answering ${entry.method}; ` +
        "the mux is restarting it. The request was not completed; retry it",
      text: `server "${service}" exited (${reason})`,
    });
  }

  /** The process refused the handshake (`why`, in words): what waited for it fails. */
  handshakeFailed(why: string): void {
    const text = `Server "${this.#p.service}" ${why}`;
    this.#fail({
      code: ErrorCode.ServerUnavailable,
      data: { service: this.#p.service, state: "init_failed" },
      requests: "held",
      message: () => text,
      text,
    });
  }

  /** The server failed for good: everything open fails. */
  failed(reason: string): void {
    const message = refusal(this.#p.service, "the request", null, reason)![1];
    this.#fail({
      code: ErrorCode.ServerUnavailable,
      data: { service: this.#p.service },
      requests: "all",
      message: () => message,
      text: message,
    });
  }

  /** The mux stops (for `reason`): everything open fails. */
  shuttingDown(reason: CloseReason): void {
    const service = this.#p.service;
    this.#fail({
      code: ErrorCode.ShuttingDown,
      data: { service, reason },
      requests: "all",
      message: (entry) => stoppedMessage(service, reason, `${entry.method} was not completed`),
      text: stoppedMessage(service, reason, "the request was not completed"),
    });
  }

  /**
   * The one failure fan-out: answer the failed client requests, whoever
   * waits for the handshake and the mux's own requests with one error, drop
   * held traffic, and wake paused readers. Returns how many client requests
   * failed.
   */
  #fail(f: Failure): number {
    const { pending, outbox, waiting, own, reply } = this.#p;
    const failed = f.requests === "written"
      ? pending.removeWhere((entry) => entry.sent)
      : f.requests === "all"
      ? pending.removeWhere(() => true)
      : [];
    if (f.requests !== "written") {
      waiting.failAll(f.code, f.text, f.data);
      for (const held of outbox.clear()) {
        const entry = held.entry;
        if (f.requests === "held" && entry && pending.take(entry.upstreamId) === entry) {
          failed.push(entry);
        }
      }
    }
    for (const entry of failed) {
      reply(entry, errorResponse(entry.clientId, f.code, f.message(entry), f.data));
    }
    own.failAll(f.code, f.text, f.data);
    this.#p.notifyRoom();
    return failed.length;
  }
}
