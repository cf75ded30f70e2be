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

type Entry = PendingEntry<ClientSession>;

/** Why a request cannot be sent: an error's code, message and data. */
export type Refusal = [code: number, message: string, data: Record<string, unknown>];

/**
 * What a request still open when its mux stops is told: the mux cannot tell
 * a stopped service from a reload's removal or its own shutdown, so it names
 * all three, and what to do.
 */
export function stoppedMessage(service: string): string {
  return `rmcp-mux stopped serving "${service}" (the service was stopped, removed by a reload, ` +
    "or rmcp-mux is shutting down); the request was not completed: send it again once the " +
    "service is back";
}

/** Why no request can be forwarded to `service` right now, if none can. */
export function refusal(
  service: string,
  method: string,
  closing: boolean,
  failed: string | null,
): Refusal | undefined {
  if (closing) {
    return [ErrorCode.ShuttingDown, `rmcp-mux is shutting down; ${method} was not sent`, {
      service,
    }];
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
    const message = refusal(this.#p.service, "the request", false, reason)![1];
    this.#fail({
      code: ErrorCode.ServerUnavailable,
      data: { service: this.#p.service },
      requests: "all",
      message: () => message,
      text: message,
    });
  }

  /** The mux stops: everything open fails. */
  shuttingDown(): void {
    const message = stoppedMessage(this.#p.service);
    this.#fail({
      code: ErrorCode.ShuttingDown,
      data: { service: this.#p.service },
      requests: "all",
      message: () => message,
      text: message,
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
