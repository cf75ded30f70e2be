/**
 * The dashboard's live feed: server-sent events. One snapshot is made for all
 * viewers at a time — when the daemon reports a change (at most one every
 * {@link EVENT_MIN_GAP_MS}) and once a second for rates — and sent only if it
 * differs from the last one. Nothing runs while nobody watches.
 *
 * @module
 */

/** Most event streams open at once (more get 503). */
export const MAX_EVENT_STREAMS = 16;
/** A snapshot is made at least this often while someone watches, ms. */
export const EVENT_TICK_MS = 1_000;
/** Changes closer together than this are sent as one snapshot, ms. */
export const EVENT_MIN_GAP_MS = 100;
/** A comment line keeps quiet streams alive (and finds dead ones) this often, ms. */
export const KEEPALIVE_MS = 15_000;
/** A viewer that has not read this much yet is dropped (it reconnects by itself). */
export const MAX_STREAM_BACKLOG_BYTES = 1024 * 1024;

/** What the feed needs. */
export interface EventSourceOptions {
  /** The snapshot as JSON, without its timestamp (compared to skip repeats). */
  snapshot(): string;
  /** Subscribe to changes; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** The clock (ms since epoch). */
  now(): number;
}

const encoder = new TextEncoder();

/** The live feed: hands out event streams and keeps them fed. */
export class EventFeed {
  readonly #o: EventSourceOptions;
  readonly #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #last: string | undefined;
  #unsubscribe: (() => void) | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  #soon: ReturnType<typeof setTimeout> | undefined;
  #lastSentAt = 0;
  #closed = false;

  constructor(options: EventSourceOptions) {
    this.#o = options;
  }

  /** Viewers connected now. */
  get size(): number {
    return this.#streams.size;
  }

  /** A new event stream starting with the current snapshot, or `undefined` when full. */
  open(): ReadableStream<Uint8Array> | undefined {
    if (this.#closed || this.#streams.size >= MAX_EVENT_STREAMS) return undefined;
    let mine: ReadableStreamDefaultController<Uint8Array>;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        mine = controller;
        this.#streams.add(controller);
        const body = this.#o.snapshot();
        // `retry`: a browser whose stream broke comes back within a second.
        controller.enqueue(encoder.encode(`retry: 1000\n\n${this.#frame(body)}`));
        if (this.#streams.size === 1) this.#start(body);
      },
      cancel: () => this.#drop(mine),
    }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
  }

  /** End every stream and stop. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const controller of [...this.#streams]) {
      try {
        controller.close();
      } catch {
        // Already closed.
      }
      this.#drop(controller);
    }
  }

  #start(body: string): void {
    this.#last = body;
    this.#lastSentAt = this.#o.now();
    this.#unsubscribe = this.#o.subscribe(() => this.#changed());
    let quiet = 0;
    this.#tick = setInterval(() => {
      if (this.#flush()) quiet = 0;
      else if ((quiet += EVENT_TICK_MS) >= KEEPALIVE_MS) {
        quiet = 0;
        this.#send(encoder.encode(": keep-alive\n\n"));
      }
    }, EVENT_TICK_MS);
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#tick);
    clearTimeout(this.#soon);
    this.#tick = this.#soon = undefined;
    this.#last = undefined;
  }

  #drop(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (!this.#streams.delete(controller)) return;
    if (this.#streams.size === 0) this.#stop();
  }

  #changed(): void {
    if (this.#soon !== undefined) return;
    const wait = Math.max(0, this.#lastSentAt + EVENT_MIN_GAP_MS - this.#o.now());
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.#flush();
    }, wait);
  }

  /** Send the snapshot if it changed; true if sent. */
  #flush(): boolean {
    if (this.#streams.size === 0) return false;
    const body = this.#o.snapshot();
    if (body === this.#last) return false;
    this.#last = body;
    this.#lastSentAt = this.#o.now();
    this.#send(encoder.encode(this.#frame(body)));
    return true;
  }

  #frame(body: string): string {
    // One `data:` line: JSON has no raw newlines.
    return `event: snapshot\ndata: {"at":${this.#o.now()},${body.slice(1)}\n\n`;
  }

  #send(bytes: Uint8Array): void {
    for (const controller of [...this.#streams]) {
      if ((controller.desiredSize ?? 0) < -MAX_STREAM_BACKLOG_BYTES) {
        controller.error(new Error("the viewer is not reading; dropped"));
        this.#drop(controller);
        continue;
      }
      try {
        controller.enqueue(bytes);
      } catch {
        this.#drop(controller);
      }
    }
  }
}
