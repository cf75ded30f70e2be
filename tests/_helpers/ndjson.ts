/**
 * Newline-delimited JSON for tests and the benchmark: one way to talk bytes
 * to a Unix socket or a child's stdio (`Duplex`), and one line splitter
 * (`LineReader`, `forEachLine`). Fixtures, clients and transports build on
 * these instead of each splitting lines by hand.
 */

/** Bytes both ways. */
export interface Duplex {
  /** The next chunk; null at end of stream. The chunk is only valid until the next call. */
  read(): Promise<Uint8Array | null>;
  /** Write all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Close (for a child: close its stdin and stop reading its stdout). */
  close(): void;
}

/** A Unix socket as a {@link Duplex}, reading into one reused buffer. */
export function socketDuplex(conn: Deno.Conn, bufferBytes = 64 * 1024): Duplex {
  const buffer = new Uint8Array(bufferBytes);
  return {
    async read() {
      const n = await conn.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
    write: (bytes) => writeAll(conn, bytes),
    close() {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/** A child's piped stdin/stdout as a {@link Duplex}. */
export function childDuplex(child: Deno.ChildProcess): Duplex {
  const reader = child.stdout.getReader();
  const writer = child.stdin.getWriter();
  return {
    async read() {
      const { value, done } = await reader.read();
      return done ? null : value;
    },
    write: (bytes) => writer.write(bytes),
    close() {
      writer.close().catch(() => {});
      reader.cancel().catch(() => {});
    },
  };
}

/** Write every byte (a socket write may take only part). */
export async function writeAll(
  to: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await to.write(bytes.subarray(offset));
}

const encoder = new TextEncoder();

/** One message as an NDJSON line, as bytes. */
export function encodeLine(message: unknown): Uint8Array {
  return encoder.encode((typeof message === "string" ? message : JSON.stringify(message)) + "\n");
}

/**
 * Call `onLine` for every non-blank line of a byte stream (without its
 * newline), in order, until the stream ends. Every complete line of a chunk
 * is handled before the next read; a last line without a newline is dropped.
 */
export async function forEachLine(
  read: () => Promise<Uint8Array | null>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  while (true) {
    const chunk = await read();
    if (chunk === null) break;
    buffered += decoder.decode(chunk, { stream: true });
    let start = 0;
    let nl: number;
    while ((nl = buffered.indexOf("\n", start)) !== -1) {
      const line = buffered.slice(start, nl);
      start = nl + 1;
      if (line.trim() !== "") onLine(line);
    }
    buffered = start === buffered.length ? "" : buffered.slice(start);
  }
  // A last line without its newline was cut off: not a message.
}

/** Lines of a byte stream, one at a time. */
export class LineReader {
  readonly #read: () => Promise<Uint8Array | null>;
  readonly #decoder = new TextDecoder();
  #buffered = "";
  #ended = false;

  constructor(read: () => Promise<Uint8Array | null>) {
    this.#read = read;
  }

  /** Lines of a readable stream (a child's stderr, say). */
  static of(stream: ReadableStream<Uint8Array>): LineReader {
    const reader = stream.getReader();
    return new LineReader(async () => {
      const { value, done } = await reader.read();
      return done ? null : value;
    });
  }

  /** The next line (without its newline), or null at the end of the stream. */
  async next(): Promise<string | null> {
    while (true) {
      const nl = this.#buffered.indexOf("\n");
      if (nl !== -1) {
        const line = this.#buffered.slice(0, nl);
        this.#buffered = this.#buffered.slice(nl + 1);
        return line;
      }
      // A last line without its newline was cut off: not a line (see rest()).
      if (this.#ended) return null;
      const chunk = await this.#read();
      if (chunk === null) this.#ended = true;
      else this.#buffered += this.#decoder.decode(chunk, { stream: true });
    }
  }

  /** What is left of the stream, as text (a cut-off last line included). */
  async rest(): Promise<string> {
    let text = "";
    let line: string | null;
    while ((line = await this.next()) !== null) text += line + "\n";
    text += this.#buffered;
    this.#buffered = "";
    return text;
  }
}
