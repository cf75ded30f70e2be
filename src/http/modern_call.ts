/**
 * The response to one POST of MCP 2026-07-28: plain JSON when the answer is
 * all there is and comes quickly, else an event stream scoped to that
 * request (progress, log lines, a listen's notifications, then the answer).
 * There are no event ids and no resuming in this revision: closing the
 * stream cancels the request. A response still undecided cannot tell that
 * its client left, so one whose answer takes longer than
 * {@link JSON_ANSWER_WAIT_MS} becomes a stream at once, and a client that
 * closes it is noticed. Web-standard `Response` and streams only.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import type { JsonRpcId } from "../jsonrpc/message.ts";
import { SSE_KEEPALIVE, sseEvent, SseSink, type WriteResult } from "./sse.ts";

/** How long a POST's answer may take before its response turns into an event stream, ms. */
export const JSON_ANSWER_WAIT_MS = 100;

/** What a call needs from its endpoint. */
export interface CallEnv {
  now(): number;
  /** Bytes that may wait for the client before it counts as stalled. */
  maxQueuedBytes: number;
  /** The client went away before the answer (`stalled`: it stopped reading and was cut off). */
  onGone(call: ModernCall, stalled: boolean): void;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
} as const;

/**
 * HTTP statuses for the errors of the transport's own rules (the spec's:
 * an unknown method is 404; a version, capability or header refusal 400)
 * and for the mux's refusals that say "not now". Every other error is an
 * answer like any other (200).
 */
const ERROR_STATUS: ReadonlyMap<number, number> = new Map([
  [ErrorCode.ParseError, 400],
  [ErrorCode.InvalidRequest, 400],
  [ErrorCode.MethodNotFound, 404],
  [ErrorCode.HeaderMismatch, 400],
  [-32021, 400], // MissingRequiredClientCapability
  [ErrorCode.UnsupportedProtocolVersion, 400],
  [ErrorCode.TooManyClients, 503],
  [ErrorCode.ShuttingDown, 503],
]);

/** The HTTP status a JSON answer goes out with. */
export function answerStatus(line: string): number {
  if (!line.includes('"error"')) return 200;
  try {
    const code = (JSON.parse(line) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "number" ? ERROR_STATUS.get(code) ?? 200 : 200;
  } catch {
    return 200;
  }
}

/** One modern POST: its request's id and method, and its response. */
export class ModernCall {
  /** The client's id for the request. */
  readonly id: JsonRpcId;
  readonly method: string;
  /** What it is about: the tool or prompt name, the resource URI (for an MRTR retry's check). */
  readonly subject: unknown;
  /** Settles with the first message (JSON or the start of a stream). */
  readonly response: Promise<Response>;
  readonly #env: CallEnv;
  #resolve: ((response: Response) => void) | undefined;
  #sink: SseSink | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** True once nothing more goes out: answered, or ended without an answer. */
  done = false;
  /** True once the answer went out. */
  answered = false;

  constructor(
    id: JsonRpcId,
    method: string,
    env: CallEnv,
    options: { subject?: unknown; waitMs?: number } = {},
  ) {
    this.id = id;
    this.method = method;
    this.subject = options.subject;
    this.#env = env;
    let resolve!: (response: Response) => void;
    this.response = new Promise((r) => resolve = r);
    this.#resolve = resolve;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.done && this.#resolve) this.#startStream();
    }, options.waitMs ?? JSON_ANSWER_WAIT_MS);
  }

  /** True once it is an event stream. */
  get streaming(): boolean {
    return this.#sink !== undefined;
  }

  /** Send one message; `final`: the answer, after which the response ends. */
  deliver(line: string, final: boolean): void {
    if (this.done) return;
    if (final) {
      this.answered = true;
      this.done = true;
      this.#clearTimer();
    }
    if (final && this.#resolve) {
      this.#resolve(
        new Response(line, {
          status: answerStatus(line),
          headers: { "content-type": "application/json" },
        }),
      );
      this.#resolve = undefined;
      return;
    }
    if (!this.#sink) this.#startStream();
    this.#check(this.#sink!.write(sseEvent(undefined, line), this.#env.now()));
    if (final) this.#sink!.close();
  }

  /** End without (more) words: the client left, or its stream is over. Idempotent. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.#clearTimer();
    if (this.#resolve) {
      this.#resolve(new Response(null, { status: 200, headers: SSE_HEADERS }));
      this.#resolve = undefined;
    }
    this.#sink?.close();
  }

  /** Write a keep-alive comment when nothing was written for `idleMs`. */
  keepalive(idleMs: number): void {
    const sink = this.#sink;
    const now = this.#env.now();
    if (!this.done && sink && !sink.closed && now - sink.lastWrite >= idleMs) {
      this.#check(sink.write(SSE_KEEPALIVE, now));
    }
  }

  #startStream(): void {
    this.#clearTimer();
    const sink: SseSink = new SseSink(this.#env.maxQueuedBytes, () => {
      if (!this.done) this.#env.onGone(this, false);
    }, this.#env.now());
    this.#sink = sink;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(new Response(sink.body, { status: 200, headers: SSE_HEADERS }));
  }

  #check(result: WriteResult): void {
    if (result === "stalled" && !this.done) this.#env.onGone(this, true);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
