/**
 * Clients' `initialize`: answered from the server's one cached handshake,
 * each with the protocol version negotiated for that client and the
 * capabilities that version allows. A client that asks before the server is
 * initialized waits here, and so does a health check ({@link
 * InitializeFeature.whenReady}), until the answer arrives, the handshake
 * fails or its deadline passes.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import { serverCapabilitiesFor } from "./capabilities.ts";
import type { ReplyTarget } from "./client_to_server.ts";
import { negotiateVersion } from "./negotiate.ts";
import type { ClientHello, ClientSession } from "./session.ts";

/** What the feature needs from the router. */
export interface InitializeFeatureOptions {
  log: Logger;
  reply: (target: ReplyTarget<ClientSession>, message: JsonRpcResponse) => void;
}

interface InitWaiter {
  session: ClientSession;
  request: JsonRpcRequest;
  deadline: number;
}

/** Clients' `initialize` requests, answered or waiting for the server's. */
export class InitializeFeature {
  readonly #o: InitializeFeatureOptions;
  #waiters: InitWaiter[] = [];
  /** Health checks waiting for the server to come up. */
  #readyWaiters: { resolve: (ready: boolean) => void; deadline: number }[] = [];

  constructor(options: InitializeFeatureOptions) {
    this.#o = options;
  }

  /** Hold a client's `initialize` until the server's handshake is done (or `deadline`). */
  wait(session: ClientSession, request: JsonRpcRequest, deadline: number): void {
    this.#waiters.push({ session, request, deadline });
  }

  /** True while some client's `initialize` waits (health checks do not count: they start nothing). */
  get waiting(): boolean {
    return this.#waiters.some((waiter) => !waiter.session.closed);
  }

  /** Resolves true when the server's handshake is done, false when it fails or at `deadline`. */
  whenReady(deadline: number): Promise<boolean> {
    return new Promise((resolve) => this.#readyWaiters.push({ resolve, deadline }));
  }

  /** The server is initialized: answer every waiting client (and health check). */
  answerAll(result: Record<string, unknown>): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) this.answer(waiter.session, waiter.request, result);
    this.#wakeReady(true);
  }

  /** Answer one client's `initialize` from the server's `result`. */
  answer(session: ClientSession, request: JsonRpcRequest, result: Record<string, unknown>): void {
    if (session.closed) return;
    const params = request.params ?? {};
    const version = negotiateVersion(params.protocolVersion, result.protocolVersion as string);
    session.hello = {
      protocolVersion: String(params.protocolVersion ?? ""),
      capabilities: (params.capabilities ?? {}) as Record<string, unknown>,
      clientInfo: (params.clientInfo ?? {}) as ClientHello["clientInfo"],
    };
    session.protocolVersion = version;
    session.era = "legacy";
    const capabilities = serverCapabilitiesFor(
      version,
      result.capabilities as Record<string, unknown>,
    );
    this.#o.reply(
      session.target,
      resultResponse(request.id, { ...result, protocolVersion: version, capabilities }),
    );
    this.#o.log.info("{client} initialized (protocol {version})", {
      client: session.label,
      version,
    });
  }

  /** Forget a departed client. */
  dropClient(session: ClientSession): void {
    this.#waiters = this.#waiters.filter((w) => w.session !== session);
  }

  /** Answer every waiting client with this error (and every health check with false). */
  failAll(code: number, message: string, data: Record<string, unknown>): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      this.#o.reply(w.session.target, errorResponse(w.request.id, code, message, data));
    }
    this.#wakeReady(false);
  }

  /**
   * Time out waiters past their deadline, telling clients what the server is
   * doing (`describe(now)`); returns the next deadline.
   */
  sweep(now: number, describe: (now: number) => string, data: Record<string, unknown>): number {
    let next = Infinity;
    const keep: InitWaiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.deadline > now) {
        keep.push(waiter);
        next = Math.min(next, waiter.deadline);
        continue;
      }
      this.#o.reply(
        waiter.session.target,
        errorResponse(
          waiter.request.id,
          ErrorCode.RequestTimeout,
          `Timed out waiting for ${describe(now)} to become ready`,
          data,
        ),
      );
    }
    this.#waiters = keep;
    if (this.#readyWaiters.length > 0) {
      const due = this.#readyWaiters.filter((w) => w.deadline <= now);
      this.#readyWaiters = this.#readyWaiters.filter((w) => w.deadline > now);
      for (const waiter of due) waiter.resolve(false);
      for (const waiter of this.#readyWaiters) next = Math.min(next, waiter.deadline);
    }
    return next;
  }

  #wakeReady(ready: boolean): void {
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const waiter of waiters) waiter.resolve(ready);
  }
}
