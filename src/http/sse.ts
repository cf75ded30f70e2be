/**
 * Server-Sent Events: the text of an event, and a response body that events
 * are written to with a bound on what may pile up for a client that stopped
 * reading. Web-standard streams only (no `Deno.*`).
 *
 * @module
 */

/** The `retry` hint in priming events: how long a client waits before it reconnects, ms. */
export const SSE_RETRY_MS = 1_000;

/** A comment line that keeps idle connections (and proxies in between) from timing out. */
export const SSE_KEEPALIVE = ": keepalive\n\n";

/** One event carrying one JSON-RPC message (a line without newlines). */
export function sseEvent(id: string | undefined, data: string): string {
  // A bare CR would end the data line early; JSON allows one only as whitespace.
  const safe = data.includes("\r") ? JSON.stringify(JSON.parse(data)) : data;
  return id === undefined ? `data: ${safe}\n\n` : `id: ${id}\ndata: ${safe}\n\n`;
}

/** The priming event: an id to resume from and an empty data field (and the retry hint). */
export function primingEvent(id: string): string {
  return `id: ${id}\nretry: ${SSE_RETRY_MS}\ndata:\n\n`;
}

const encoder = new TextEncoder();

/** What {@link SseSink.write} did. */
export type WriteResult = "written" | "closed" | "stalled";

/** An SSE response body. Its queue is bounded: a client that stops reading is cut off. */
export class SseSink {
  /** The response body. */
  readonly body: ReadableStream<Uint8Array>;
  readonly #maxQueuedBytes: number;
  readonly #onGone: () => void;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  /** When something was last written (for keep-alives), ms since epoch. */
  lastWrite: number;

  /**
   * @param maxQueuedBytes bytes that may wait for the client before it counts as stalled
   * @param onGone called once when the client goes away (not when {@link close} is called)
   */
  constructor(maxQueuedBytes: number, onGone: () => void, now: number) {
    this.#maxQueuedBytes = maxQueuedBytes;
    this.#onGone = onGone;
    this.lastWrite = now;
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => {
        if (this.#closed) return;
        this.#closed = true;
        this.#onGone();
      },
    }, { highWaterMark: 0, size: (chunk) => chunk.byteLength });
  }

  /** True once closed, by either side. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes written but not yet taken by the connection. */
  get queuedBytes(): number {
    return Math.max(0, -(this.#controller.desiredSize ?? 0));
  }

  /** Queue `text`. A stalled client (over the bound) is cut off: the sink closes. */
  write(text: string, now: number): WriteResult {
    if (this.#closed) return "closed";
    const bytes = encoder.encode(text);
    const queued = this.queuedBytes;
    if (queued > 0 && queued + bytes.byteLength > this.#maxQueuedBytes) {
      this.close();
      return "stalled";
    }
    this.#controller.enqueue(bytes);
    this.lastWrite = now;
    return "written";
  }

  /** End the body after what is queued (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#controller.close();
    } catch {
      // Already errored or closed by the reader.
    }
  }
}
