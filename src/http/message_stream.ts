/**
 * One stream of an HTTP session: the response to one POST (the answer to its
 * request, and what relates to it), or the session's GET stream (what relates
 * to no request). A POST's response is decided by its first message: the
 * answer alone goes out as JSON; anything before it turns the response into
 * SSE, with a priming event so that a client whose connection drops can
 * resume with `Last-Event-ID` (its events are kept, boundedly, until it is
 * answered). Web-standard `Response` and streams only.
 *
 * @module
 */

import { primingEvent, SSE_KEEPALIVE, sseEvent, SseSink, type WriteResult } from "./sse.ts";

/** Bytes of a POST stream's past events kept for a client that resumes it (oldest go first). */
export const EVENT_LOG_BYTES = 1024 * 1024;

/** What a stream needs from its session. */
export interface StreamEnv {
  now(): number;
  /** Bytes that may wait for a client before its stream counts as stalled. */
  maxQueuedBytes: number;
  /** The client stopped reading: its stream was cut off. */
  onStalled(stream: MessageStream): void;
  /** The client's connection went away. */
  onGone(stream: MessageStream): void;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  // nginx and friends: pass events through at once.
  "x-accel-buffering": "no",
} as const;

/** A POST response or the GET stream, with its event ids and (for POSTs) its replay log. */
export class MessageStream {
  /** Unique in its session; event ids are `<no>_<seq>`. */
  readonly no: number;
  /** `post`: one request's response; `get`: the session's stream for unsolicited messages. */
  readonly kind: "post" | "get";
  /** Keys of the requests it still has to answer (one, or a batch's). */
  readonly unanswered: Set<string> = new Set();
  /** The POST's response: settles with the first message (or at once for a GET). */
  readonly response: Promise<Response>;
  readonly #env: StreamEnv;
  readonly #headers: Record<string, string>;
  #resolve: ((response: Response) => void) | undefined;
  #sink: SseSink | undefined;
  #seq = 0;
  #log: { seq: number; text: string }[] | undefined;
  #logBytes = 0;
  #final = false;
  /** True once it may be forgotten: answered and delivered, dropped, or ended. */
  done = false;
  /** True once it is SSE (has event ids, can be resumed). */
  sse = false;
  /** When it was opened, ms since epoch. */
  readonly openedAt: number;

  constructor(
    no: number,
    kind: "post" | "get",
    env: StreamEnv,
    headers: Record<string, string> = {},
  ) {
    this.no = no;
    this.kind = kind;
    this.#env = env;
    this.#headers = headers;
    this.openedAt = env.now();
    let resolve!: (response: Response) => void;
    this.response = new Promise((r) => resolve = r);
    this.#resolve = resolve;
    if (kind === "get") this.#startSse();
  }

  /** True while a connection carries it (or its POST still waits for its first message). */
  get attached(): boolean {
    return this.#resolve !== undefined || (this.#sink !== undefined && !this.#sink.closed);
  }

  /** When its connection last carried something (or was opened), for keep-alives. */
  get lastWrite(): number {
    return this.#sink?.lastWrite ?? 0;
  }

  /**
   * Send one message on it. `final`: the last one (the answer): the response
   * ends after it.
   */
  deliver(line: string, final: boolean): void {
    if (this.done) return;
    if (this.#resolve && final && !this.sse) {
      // Only the answer: plain JSON.
      this.#resolve(
        new Response(line, {
          status: 200,
          headers: { "content-type": "application/json", ...this.#headers },
        }),
      );
      this.#resolve = undefined;
      this.done = true;
      return;
    }
    if (!this.sse) this.#startSse();
    const seq = ++this.#seq;
    const text = sseEvent(`${this.no}_${seq}`, line);
    if (this.kind === "post") this.#record(seq, text);
    if (final) this.#final = true;
    this.#write(text);
    if (final && this.attached) this.#finish();
  }

  /** Switch an undecided POST to SSE now (its answer is slow: start the stream, resumable). */
  upgrade(): void {
    if (!this.done && this.#resolve && !this.sse) this.#startSse();
  }

  /** Write a keep-alive comment if nothing was written for `idleMs`. */
  keepalive(idleMs: number): void {
    const sink = this.#sink;
    if (sink && !sink.closed && this.#env.now() - sink.lastWrite >= idleMs) {
      this.#check(sink.write(SSE_KEEPALIVE, this.#env.now()));
    }
  }

  /**
   * A client resumes this stream (`Last-Event-ID: <no>_<seq>`): a new
   * connection gets every kept event after `seq`, then the rest as it comes.
   */
  resume(seq: number): Response {
    this.#sink?.close();
    this.#sink = this.#newSink();
    const sink = this.#sink;
    for (const event of this.#log ?? []) {
      if (event.seq > seq) sink.write(event.text, this.#env.now());
    }
    if (this.#final) this.#finish();
    return new Response(sink.body, { status: 200, headers: { ...SSE_HEADERS, ...this.#headers } });
  }

  /** The connection went away before the answer. An SSE stream waits to be resumed; JSON cannot be. */
  detach(): void {
    if (this.done) return;
    if (this.#resolve && !this.sse) {
      // Nothing was sent: the client has no event id to resume from. Drop its messages.
      this.#resolve = undefined;
      this.done = true;
      return;
    }
    this.#sink?.close();
  }

  /**
   * Nothing more will come (its request was cancelled): end it quietly. An
   * undecided POST gets an empty event stream without an event id, so the
   * client has nothing to resume.
   */
  abandon(): void {
    if (this.done) return;
    if (this.#resolve && !this.sse) {
      this.#resolve(
        new Response(null, { status: 200, headers: { ...SSE_HEADERS, ...this.#headers } }),
      );
      this.#resolve = undefined;
      this.done = true;
      return;
    }
    this.#finish();
  }

  /** End it now: `lines` (errors for what it still owed) go out first when it can carry them. */
  end(lines: readonly string[]): void {
    if (this.done) return;
    if (this.#resolve && !this.sse && lines.length === 1) {
      this.deliver(lines[0]!, true);
      return;
    }
    for (const [i, line] of lines.entries()) this.deliver(line, i === lines.length - 1);
    if (this.#resolve) {
      // A GET, or a POST with nothing to say: an empty stream that ends.
      this.#startSse();
    }
    this.#finish();
  }

  #startSse(): void {
    this.sse = true;
    this.#sink = this.#newSink();
    this.#sink.write(primingEvent(`${this.no}_0`), this.#env.now());
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(
      new Response(this.#sink.body, { status: 200, headers: { ...SSE_HEADERS, ...this.#headers } }),
    );
  }

  #newSink(): SseSink {
    const sink: SseSink = new SseSink(this.#env.maxQueuedBytes, () => {
      if (sink !== this.#sink) return; // an old connection, replaced by a resume
      this.#env.onGone(this);
    }, this.#env.now());
    return sink;
  }

  #write(text: string): void {
    const sink = this.#sink;
    if (!sink || sink.closed) return;
    this.#check(sink.write(text, this.#env.now()));
  }

  #check(result: WriteResult): void {
    if (result === "stalled") this.#env.onStalled(this);
  }

  #record(seq: number, text: string): void {
    this.#log ??= [];
    this.#log.push({ seq, text });
    this.#logBytes += text.length;
    while (this.#logBytes > EVENT_LOG_BYTES && this.#log.length > 1) {
      this.#logBytes -= this.#log.shift()!.text.length;
    }
  }

  #finish(): void {
    this.done = true;
    this.#log = undefined;
    this.#logBytes = 0;
    this.#sink?.close();
  }
}
