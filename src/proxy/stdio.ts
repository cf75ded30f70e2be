/**
 * The proxy's host side as bytes: the process's own stdin and stdout, read
 * into one reused buffer and written directly (no stream layer, no copy), or
 * streams a caller passes in. Plus the few I/O helpers the bridge shares.
 *
 * @module
 */

/** Where the host's bytes come from. */
export interface Input {
  /** The bytes of the last read: `chunk[0, n)` for the `n` it resolved to. */
  chunk: Uint8Array;
  /** The next chunk's length (never 0), or null at the end. */
  read(): Promise<number | null>;
  /** End a pending read, if the source allows it. */
  cancel(): Promise<void>;
  /** Let go of the source. */
  release(): void;
}

/** Where the bytes for the host go. */
export interface Output {
  /** Write some of `bytes`; resolves to how many were written. */
  write(bytes: Uint8Array): Promise<number>;
  /** Let go of the sink. */
  release(): void;
}

/** Bytes of one chunk the process's stdin is read in (small, like the bridge's READ_BYTES). */
const CHUNK_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);

/** This process's stdin, read into one reused buffer. Its pending read cannot be cancelled. */
export function rawInput(): Input {
  const chunk = new Uint8Array(CHUNK_BYTES);
  return {
    chunk,
    read: () => Deno.stdin.read(chunk),
    cancel: () => Promise.resolve(),
    release: () => {},
  };
}

/** What {@link rawOutput} writes to (this process's stdout; another in tests). */
export interface SyncSink {
  writeSync(bytes: Uint8Array): number;
}

/** After the host's stdout refused a write (a pipe in non-blocking mode, full), ms before the next try. */
export const STDOUT_RETRY_MS = 5;

/**
 * This process's stdout, written synchronously. Why: an asynchronous write
 * is one more op per message, and with the mux connection's two the proxy
 * makes twice the event-loop turns of a bare stdin loop; past about 200
 * messages that makes V8 compile Deno's own promise and event-loop functions,
 * which costs about 0.6 MiB of memory (issue 9's target, measured). A
 * blocking write waits only while the host's pipe is full, that is while
 * the host reads nothing (every MCP host reads its server's output as it
 * comes). A stdout that is in non-blocking mode and full (`WouldBlock`) is
 * tried again after {@link STDOUT_RETRY_MS} instead of ending the proxy.
 */
export function rawOutput(stdout: SyncSink = Deno.stdout): Output {
  return {
    write(bytes) {
      try {
        return Promise.resolve(stdout.writeSync(bytes));
      } catch (error) {
        if (!(error instanceof Deno.errors.WouldBlock)) return Promise.reject(error);
        return new Promise((resolve) => setTimeout(() => resolve(0), STDOUT_RETRY_MS));
      }
    },
    release: () => {},
  };
}

/** A stream of the host's bytes. */
export function streamInput(stream: ReadableStream<Uint8Array>): Input {
  const reader = stream.getReader();
  const input: Input = {
    chunk: EMPTY,
    async read() {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return null;
        if (value.length === 0) continue;
        input.chunk = value;
        return value.length;
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
    release: () => reader.releaseLock(),
  };
  return input;
}

/** A stream for the host's bytes. */
export function streamOutput(stream: WritableStream<Uint8Array>): Output {
  const writer = stream.getWriter();
  return {
    async write(bytes) {
      await writer.write(bytes.slice()); // a stream may keep the chunk; the caller's is reused
      return bytes.length;
    },
    release: () => writer.releaseLock(),
  };
}

/** Close a connection that may be closed already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** An error's message, for a notice. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Something bytes are written to, some at a time: a connection, an {@link Output}. */
export interface Sink {
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * Whose turn it is to write to one sink: writers take turns in the order they
 * asked. Taking a free turn is synchronous, so the pumps' writes (nearly
 * always uncontended) cost no promise of their own.
 */
export class WriteTurn {
  #busy = false;
  #waiting: (() => void)[] = [];

  /** Take the turn if nobody has it. */
  tryTake(): boolean {
    if (this.#busy) return false;
    this.#busy = true;
    return true;
  }

  /** Resolves once it is the caller's turn (after everyone who asked before). */
  take(): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Pass the turn on to the next writer waiting, if any. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#busy = false;
  }
}

/** Write all of `bytes` to `sink` (the caller holds the sink's turn). */
export async function writeAll(sink: Sink, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await sink.write(offset === 0 ? bytes : bytes.subarray(offset));
  }
}
