/**
 * A batching line writer: messages queued while a write is in progress are
 * joined into one buffer and written together, so a burst of N messages costs
 * one syscall instead of N. The owner decides what a too-large backlog means
 * (pause readers, or drop a slow client); the writer only reports it.
 *
 * @module
 */

/** Where the bytes go: a socket, a child's stdin, an in-memory buffer. */
export interface ByteSink {
  /**
   * Write every byte, or reject. `bytes` are the writer's again once the
   * promise settles (it reuses them): a sink that keeps them must copy them.
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Close the sink (for a socket: the write half or the whole connection). */
  close(): Promise<void> | void;
}

/** Options of {@link LineWriter}. */
export interface LineWriterOptions {
  /** Called once when a write fails; the writer is closed afterwards. */
  onError?: (error: unknown) => void;
  /** Called after each completed write, e.g. to resume paused readers. */
  onProgress?: () => void;
}

const encoder = new TextEncoder();

/**
 * Batches up to this many characters are encoded into a pooled buffer
 * (`encodeInto`) rather than a fresh one (`encode`): a new `ArrayBuffer` per
 * write cost about 2 µs here, most of it in the garbage collector. Longer
 * batches, and batches while every pooled buffer is lent, get their own.
 */
const POOLED_BYTES = 4 * 1024;
/** Pooled buffers (at most; made when first needed), shared by every writer: idle clients hold none. */
const POOL_SIZE = 16;
const pool: Uint8Array[] = [];
let pooledMade = 0;

/** A pooled buffer for a batch of `chars` characters, if one fits and is free. */
function lend(chars: number): Uint8Array | undefined {
  if (chars > POOLED_BYTES) return undefined;
  const free = pool.pop();
  if (free || pooledMade === POOL_SIZE) return free;
  pooledMade++;
  return new Uint8Array(POOLED_BYTES);
}

/** Writes newline-terminated lines to a {@link ByteSink}, in order, batched. */
export class LineWriter {
  readonly #sink: ByteSink;
  readonly #options: LineWriterOptions;
  #queue: string[] = [];
  #queuedChars = 0;
  #inFlightChars = 0;
  #inFlightCount = 0;
  #writing = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #idle: (() => void)[] = [];

  constructor(sink: ByteSink, options: LineWriterOptions = {}) {
    this.#sink = sink;
    this.#options = options;
  }

  /** Queue one line (without its newline). Returns false once closed. */
  write(line: string): boolean {
    if (this.#closed) return false;
    this.#queue.push(line);
    this.#queuedChars += line.length + 1;
    if (!this.#writing) {
      // Start at the end of this turn, not now: the rest of a burst (the other
      // answers of one chunk) joins the same write instead of needing its own.
      this.#writing = true;
      queueMicrotask(() => void this.#pump());
    }
    return true;
  }

  /** Characters queued or being written (≈ bytes for ASCII JSON). */
  get backlog(): number {
    return this.#queuedChars + this.#inFlightChars;
  }

  /** Messages queued or being written. */
  get pending(): number {
    return this.#queue.length + this.#inFlightCount;
  }

  /** True after {@link close} or a write error. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when everything queued so far has been written (or dropped). */
  idle(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Stop accepting lines. With `flush` (the default) what is queued is written
   * first; then the sink is closed. Idempotent.
   */
  close(flush = true): Promise<void> {
    if (!flush) this.#dropQueue();
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.idle();
    try {
      await this.#sink.close();
    } catch {
      // Already closed by the peer: nothing left to release.
    }
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      this.#inFlightChars = this.#queuedChars;
      this.#inFlightCount = batch.length;
      this.#queuedChars = 0;
      const text = batch.length === 1 ? batch[0] + "\n" : batch.join("\n") + "\n";
      // A pooled buffer is the sink's until its write settles, then goes back.
      const pooled = lend(text.length);
      try {
        await this.#sink.write(pooled ? encodeIn(text, pooled) : encoder.encode(text));
      } catch (error) {
        this.#inFlightChars = 0;
        this.#inFlightCount = 0;
        const first = !this.#closed;
        this.#closed = true;
        this.#dropQueue();
        if (first) this.#options.onError?.(error);
        break;
      } finally {
        if (pooled) pool.push(pooled);
      }
      this.#inFlightChars = 0;
      this.#inFlightCount = 0;
      this.#options.onProgress?.();
    }
    this.#writing = false;
    if (this.#idle.length === 0) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }

  #dropQueue(): void {
    this.#queue = [];
    this.#queuedChars = 0;
  }
}

/** `text` as UTF-8 in `buffer`, or in a buffer of its own when it does not fit (non-ASCII). */
function encodeIn(text: string, buffer: Uint8Array): Uint8Array {
  const { read, written } = encoder.encodeInto(text, buffer);
  return read === text.length ? buffer.subarray(0, written) : encoder.encode(text);
}

/** A {@link ByteSink} over a Deno connection (handles partial writes). */
export function connSink(
  conn: { write(p: Uint8Array): Promise<number>; closeWrite(): Promise<void> },
): ByteSink {
  return {
    async write(bytes) {
      let offset = 0;
      while (offset < bytes.length) {
        const n = await conn.write(offset === 0 ? bytes : bytes.subarray(offset));
        if (n === 0) throw new Deno.errors.WriteZero("the connection accepted no bytes");
        offset += n;
      }
    },
    close: () => conn.closeWrite(),
  };
}

/** A {@link ByteSink} over a WritableStream (a child's stdin). */
export function streamSink(stream: WritableStream<Uint8Array>): ByteSink {
  const writer = stream.getWriter();
  return {
    write: (bytes) => writer.write(bytes),
    close: () => writer.close(),
  };
}
