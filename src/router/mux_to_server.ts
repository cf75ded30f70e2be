/**
 * Mux→server requests: those the mux itself sends the server (health pings, subscription and
 * log-level bookkeeping, re-application after a restart). Each resolves to
 * the server's answer or to an error — never rejects, never hangs. Pure.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import { errorResponse, type JsonRpcResponse } from "../jsonrpc/message.ts";

interface OwnRequest {
  method: string;
  resolve: (response: JsonRpcResponse) => void;
  deadline: number;
  timeoutMs: number;
}

/** Mux→server requests (the mux's own) that are open, by their (string) ids. */
export class MuxToServerTable {
  readonly #open = new Map<string, OwnRequest>();
  #next = 1;

  /** A fresh id in the mux's own namespace (`rmcp-mux:N`). */
  nextId(kind?: string): string {
    return kind ? `rmcp-mux:${kind}:${this.#next++}` : `rmcp-mux:${this.#next++}`;
  }

  /** Register a request; returns its id and the promise of its answer. */
  add(
    method: string,
    timeoutMs: number,
    now: number,
  ): { id: string; deadline: number; answer: Promise<JsonRpcResponse> } {
    const id = this.nextId();
    const deadline = timeoutMs > 0 ? now + timeoutMs : Infinity;
    const answer = new Promise<JsonRpcResponse>((resolve) => {
      this.#open.set(id, { method, resolve, deadline, timeoutMs });
    });
    return { id, deadline, answer };
  }

  /** The method of an open request (`undefined` when `id` is none). */
  methodOf(id: string | undefined): string | undefined {
    return id === undefined ? undefined : this.#open.get(id)?.method;
  }

  /** True while the request is open. */
  has(id: string): boolean {
    return this.#open.has(id);
  }

  /** The server answered: resolve the request. Returns false if it was not open. */
  resolve(id: string, response: JsonRpcResponse): boolean {
    const request = this.#open.get(id);
    if (!request) return false;
    this.#open.delete(id);
    request.resolve(response);
    return true;
  }

  /** Resolve one open request with an error. */
  fail(id: string, code: number, message: string, data?: unknown): void {
    this.resolve(id, errorResponse(null, code, message, data));
  }

  /** Resolve every open request with an error (the server is gone, or the mux stops). */
  failAll(code: number, message: string, data?: unknown): void {
    for (const id of [...this.#open.keys()]) this.fail(id, code, message, data);
  }

  /** Fail requests past their deadline; returns the next deadline. */
  expire(now: number): number {
    let next = Infinity;
    for (const [id, request] of this.#open) {
      if (request.deadline > now) {
        next = Math.min(next, request.deadline);
        continue;
      }
      this.fail(
        id,
        ErrorCode.RequestTimeout,
        `no answer to ${request.method} within ${request.timeoutMs / 1000} s`,
      );
    }
    return next;
  }
}
