/**
 * Every HTTP session of a listener, bounded (`max_sessions`), and the one
 * timer that keeps them: it ends a session abandoned for `session_idle_ms`
 * (no request and no open stream; many clients never send DELETE), writes
 * keep-alives on quiet streams, and starts SSE for a POST whose answer is
 * slow (so that proxies and clients with header timeouts see a response).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import type { HttpSession } from "./http_session.ts";

/** Longest pause between keep-alives on an open stream (load balancers drop idle connections at 60 s). */
export const KEEPALIVE_MS = 15_000;

/** Settings of a {@link SessionTable}. */
export interface SessionTableOptions {
  maxSessions: number;
  sessionIdleMs: number;
  log: Logger;
  now?: () => number;
}

/** The sessions of one listener, by `Mcp-Session-Id`. */
export class SessionTable {
  readonly #sessions = new Map<string, HttpSession>();
  readonly #options: SessionTableOptions;
  readonly #now: () => number;
  readonly #tickMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: SessionTableOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#tickMs = Math.max(10, Math.min(KEEPALIVE_MS, Math.floor(options.sessionIdleMs / 2)));
  }

  /** Sessions held. */
  get size(): number {
    return this.#sessions.size;
  }

  /** The limit. */
  get max(): number {
    return this.#options.maxSessions;
  }

  /** True when no session may be added. */
  get full(): boolean {
    return this.#sessions.size >= this.#options.maxSessions;
  }

  /** The session with this id, if it is still there. */
  get(id: string): HttpSession | undefined {
    return this.#sessions.get(id);
  }

  /** Hold a new session (the caller checked {@link full}). */
  add(session: HttpSession): void {
    this.#sessions.set(session.id, session);
    this.#timer ??= setInterval(() => this.sweep(), this.#tickMs);
  }

  /** Forget an ended session. */
  remove(session: HttpSession): void {
    if (this.#sessions.get(session.id) === session) this.#sessions.delete(session.id);
    if (this.#sessions.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** End abandoned sessions; keep the others' streams alive. (Run by the timer.) */
  sweep(): void {
    const now = this.#now();
    const idleMs = this.#options.sessionIdleMs;
    for (const session of [...this.#sessions.values()]) {
      if (session.idle && now - session.lastSeen >= idleMs) {
        this.#options.log.info(
          "HTTP session {session} of {service}: nothing for {seconds} s (no request, no open " +
            "stream); ended it (http.session_idle_ms)",
          { session: session.id.slice(0, 8), service: session.service, seconds: idleMs / 1000 },
        );
        session.end(ErrorCode.InternalError, "abandoned: idle past http.session_idle_ms");
      } else {
        session.tick(this.#tickMs);
      }
    }
  }

  /** End every session and stop the timer. Idempotent. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const session of [...this.#sessions.values()]) {
      session.end(ErrorCode.ShuttingDown, reason);
    }
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
