/**
 * `rmcp-mux proxy`: the stdio bridge MCP hosts launch in place of a server.
 * It relays lines between stdio and a mux socket, and survives the mux going
 * away (a reload, a restart, an upgrade): it reconnects for a bounded time,
 * replays the host's handshake and set-up ({@link SessionMirror}), answers
 * requests the lost connection owed with a clear error, and holds new ones
 * until it is back. The host sees one session throughout. Lean on purpose:
 * no router, no config parser, no logging library — hosts start many.
 *
 * @module
 */

import { HELLO_METHOD } from "../jsonrpc/mux_methods.ts";
import { connectUnix } from "../transport/unix_client.ts";
import { errorAnswer, type HostMessage, SessionMirror } from "./session_mirror.ts";

export { ConnectError } from "../transport/unix_client.ts";

/** Default of {@link ProxyOptions.reconnectMs}: 30 s. */
export const DEFAULT_RECONNECT_MS = 30_000;
/** Bytes of host messages held while reconnecting; beyond it stdin is not read until back. */
export const MAX_HELD_BYTES = 8 * 1024 * 1024;
/** Longest line relayed either way; a longer one is discarded (the mux's own limits are lower). */
export const MAX_LINE_BYTES = 128 * 1024 * 1024;
/** First and largest delay between reconnect attempts. */
const BACKOFF_MS = [25, 1_000] as const;

/** The first line on every connection: tells the mux this client is a proxy. */
export const HELLO_LINE = JSON.stringify({
  jsonrpc: "2.0",
  method: HELLO_METHOD,
  params: { transport: "proxy" },
});

/** Streams to bridge; default to the process's stdin and stdout. */
export interface ProxyOptions {
  /** Where the host's messages come from (default: this process's stdin, read directly). */
  stdin?: ReadableStream<Uint8Array>;
  /** Where the mux's messages go (default: this process's stdout, written directly). */
  stdout?: WritableStream<Uint8Array>;
  /** Aborting ends the bridge. */
  signal?: AbortSignal;
  /**
   * How long to keep trying to reconnect after the mux went away, ms (default
   * {@link DEFAULT_RECONNECT_MS}); 0: never, end at once.
   */
  reconnectMs?: number;
  /** Opens a connection to the mux (default: the Unix socket at the given path). */
  connect?: () => Promise<Deno.Conn>;
  /** One line for a person when the connection is lost or back (the CLI prints it on stderr). */
  onNotice?: (line: string) => void;
}

/**
 * Why the bridge ended: stdin closed, the mux closed the connection (with
 * reconnecting off), the mux did not come back within the reconnect time,
 * or the signal aborted it.
 */
export type ProxyEnd = "stdin-closed" | "mux-closed" | "unreachable" | "aborted";

/**
 * Bridge stdio and the mux at `socketPath` until stdin ends (then the answers
 * still owed are relayed first) or the mux is gone for longer than the
 * reconnect time. Throws `ConnectError` if the socket cannot be reached at
 * the start.
 *
 * @example Bridge two in-memory streams to a mux (a host would pass none: stdio)
 * ```ts
 * import { MuxConfig, runProxy, spawnMuxServer } from "@rmcp-mux/mux";
 *
 * const dir = await Deno.makeTempDir();
 * await using mux = await spawnMuxServer(new MuxConfig(`${dir}/s.sock`, "any").withLazyStart());
 * const ping = new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
 * let output = "";
 * const end = await runProxy(mux.socketPath, {
 *   stdin: ReadableStream.from([ping]),
 *   stdout: new WritableStream({ write: (chunk) => void (output += new TextDecoder().decode(chunk)) }),
 * });
 * console.log(end, output); // stdin-closed {"jsonrpc":"2.0","id":1,"result":{}}
 * ```
 */
export async function runProxy(socketPath: string, options: ProxyOptions = {}): Promise<ProxyEnd> {
  const connect = options.connect ?? (() => connectUnix(socketPath));
  const first = await connect();
  return await new Bridge(options, connect).run(first);
}

type State = "connected" | "replaying" | "reconnecting" | "ended";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class Bridge {
  readonly #o: ProxyOptions;
  readonly #connect: () => Promise<Deno.Conn>;
  readonly #mirror = new SessionMirror();
  readonly #input: Input;
  readonly #output: Output;
  readonly #reconnectMs: number;
  #state: State = "reconnecting";
  #conn: Deno.Conn | null = null;
  #toMux: Promise<unknown> = Promise.resolve();
  #toHost: Promise<unknown> = Promise.resolve();
  #held: { message: HostMessage; bytes: Uint8Array }[] = [];
  #heldBytes = 0;
  #resumeReading: (() => void) | undefined;
  #stdinDone = false;
  #end!: (end: ProxyEnd) => void;
  readonly #ended: Promise<ProxyEnd> = new Promise((resolve) => this.#end = resolve);
  #wake: (() => void) | undefined;

  constructor(options: ProxyOptions, connect: () => Promise<Deno.Conn>) {
    this.#o = options;
    this.#connect = connect;
    this.#reconnectMs = options.reconnectMs ?? DEFAULT_RECONNECT_MS;
    // The process's own stdio is read and written directly: no stream layer, no copies.
    this.#input = options.stdin ? streamInput(options.stdin) : rawInput();
    this.#output = options.stdout ? streamOutput(options.stdout) : rawOutput();
  }

  async run(first: Deno.Conn): Promise<ProxyEnd> {
    const onAbort = () => this.#finish("aborted");
    this.#o.signal?.addEventListener("abort", onAbort, { once: true });
    if (this.#o.signal?.aborted) onAbort();
    this.#attach(first);
    const host = this.#pumpHost();
    const end = await this.#ended;
    this.#o.signal?.removeEventListener("abort", onAbort);
    // A pending read of the process's own stdin cannot be cancelled: it is left
    // behind (the CLI exits right after). A stream given to us is cancelled.
    if (this.#o.stdin) {
      await this.#input.cancel();
      await host;
    }
    await this.#toHost.catch(() => {});
    this.#input.release();
    this.#output.release();
    return end;
  }

  // ── The mux side ────────────────────────────────────────────────────────

  #attach(conn: Deno.Conn): void {
    if (this.#state === "ended") return closeQuietly(conn);
    this.#conn = conn;
    const { lines, awaitInit } = this.#mirror.opening();
    this.#sendToMux(conn, [HELLO_LINE, ...lines]);
    if (awaitInit) this.#state = "replaying";
    else this.#becomeConnected(conn);
    void this.#pumpMux(conn);
  }

  #becomeConnected(conn: Deno.Conn): void {
    this.#state = "connected";
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    if (held.length > 0) {
      this.#sendToMux(
        conn,
        held.map((h) => h.bytes),
        held.map((h) => h.message),
      );
    }
    this.#resumeReading?.();
    this.#resumeReading = undefined;
    if (this.#stdinDone) this.#closeWrite(conn);
  }

  async #pumpMux(conn: Deno.Conn): Promise<void> {
    const lines = new LineBuffer();
    const buffer = new Uint8Array(64 * 1024);
    let reason = "the mux closed the connection";
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const { block, lines: complete, skipped } = lines.push(buffer.subarray(0, n));
        if (skipped) this.#notice(`discarded a message from the mux over ${MAX_LINE_BYTES} bytes`);
        if (complete.length === 0) continue;
        const forward: Uint8Array[] = [];
        for (const line of complete) {
          const verdict = this.#mirror.fromMux(decoder.decode(line));
          if (verdict.forward) forward.push(line);
          if (verdict.initReplayed) this.#finishReplay(conn, verdict.initReplayed);
        }
        // Usually every line goes through: relay the block as it came, in one write.
        await this.#sendToHost(forward.length === complete.length && block ? [block] : forward);
      }
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    this.#lost(conn, reason);
  }

  #finishReplay(
    conn: Deno.Conn,
    outcome: { result?: Record<string, unknown>; error?: string },
  ): void {
    if (this.#conn !== conn || this.#state !== "replaying") return;
    if (outcome.error !== undefined) {
      this.#notice(`the mux answered the replayed initialize with an error: ${outcome.error}`);
    }
    const { toMux, toHost } = this.#mirror.afterInit(outcome.result);
    if (toMux.length > 0) this.#sendToMux(conn, toMux);
    if (toHost.length > 0) void this.#sendToHost(toHost);
    this.#becomeConnected(conn);
  }

  #lost(conn: Deno.Conn, reason: string): void {
    if (this.#conn !== conn) return;
    this.#conn = null;
    closeQuietly(conn);
    if (this.#state === "ended") return;
    const answers = this.#mirror.connectionLost(reason);
    if (answers.length > 0) void this.#sendToHost(answers);
    if (this.#stdinDone) return this.#finish("stdin-closed");
    if (this.#reconnectMs <= 0) return this.#finish("mux-closed");
    this.#state = "reconnecting";
    this.#notice(
      `lost the mux (${reason}); reconnecting for up to ${this.#reconnectMs / 1000} s`,
    );
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    const deadline = Date.now() + this.#reconnectMs;
    let wait: number = BACKOFF_MS[0];
    let lastError = "";
    while (this.#state === "reconnecting") {
      try {
        const conn = await this.#connect();
        if (this.#state !== "reconnecting") return closeQuietly(conn);
        this.#notice("reconnected to the mux");
        return this.#attach(conn);
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.#sleep(Math.min(wait, left));
      wait = Math.min(wait * 2, BACKOFF_MS[1]);
    }
    if (this.#state !== "reconnecting") return;
    const seconds = this.#reconnectMs / 1000;
    this.#failHeld(`the mux did not come back within ${seconds} s (${lastError})`);
    this.#notice(`gave up: the mux did not come back within ${seconds} s (${lastError})`);
    this.#finish("unreachable");
  }

  /** Sleep, cut short when the bridge ends. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #sendToMux(conn: Deno.Conn, chunks: (string | Uint8Array)[], sent?: HostMessage[]): void {
    const bytes = join(chunks);
    for (const message of sent ?? []) this.#mirror.sent(message);
    this.#toMux = this.#toMux.then(async () => {
      if (this.#conn !== conn) return;
      try {
        await writeAll(conn, bytes);
      } catch (error) {
        this.#lost(conn, error instanceof Error ? error.message : String(error));
      }
    });
  }

  #closeWrite(conn: Deno.Conn): void {
    this.#toMux = this.#toMux.then(async () => {
      try {
        await conn.closeWrite();
      } catch {
        // Already closed: the read side reports it.
      }
    });
  }

  // ── The host side ───────────────────────────────────────────────────────

  async #pumpHost(): Promise<void> {
    const lines = new LineBuffer();
    try {
      while (this.#state !== "ended") {
        const chunk = await this.#input.read();
        if (chunk === null) break;
        const { block, lines: complete, skipped } = lines.push(chunk);
        if (skipped) {
          void this.#sendToHost([
            errorAnswer(
              null,
              `rmcp-mux proxy: a message over ${MAX_LINE_BYTES} bytes was discarded`,
            ),
          ]);
        }
        if (complete.length === 0) continue;
        await this.#fromHost(complete, block);
      }
    } catch {
      // stdin broke: the same as closed.
    }
    this.#stdinDone = true;
    if (this.#state === "connected" && this.#conn) {
      // The mux answers what is owed, then closes its side: that ends the bridge.
      this.#closeWrite(this.#conn);
    } else if (this.#state !== "ended") {
      this.#failHeld("stdin closed while the proxy was reconnecting");
      this.#finish("stdin-closed");
    }
  }

  /** Complete lines from the host (and `block`: all of them, contiguous, when nothing was cut). */
  async #fromHost(complete: Uint8Array[], block: Uint8Array | null): Promise<void> {
    const messages: HostMessage[] = [];
    const bytes: Uint8Array[] = [];
    for (const line of complete) {
      const message = this.#mirror.inspectHost(decoder.decode(line));
      if (!this.#mirror.keep(message)) continue;
      if (this.#state === "connected") {
        messages.push(message);
        bytes.push(line);
      } else {
        this.#hold(message, line);
      }
    }
    if (messages.length > 0 && this.#conn) {
      // Usually every line goes through: send the block as it came, in one write, no copy.
      const whole = messages.length === complete.length && block !== null;
      this.#sendToMux(this.#conn, whole ? [block] : bytes, messages);
    }
    await this.#toMux;
    if (this.#heldBytes > MAX_HELD_BYTES && this.#state !== "connected") {
      // Bounded: stop reading until the mux is back (or the bridge ends).
      await new Promise<void>((resolve) => this.#resumeReading = resolve);
    }
  }

  #hold(message: HostMessage, line: Uint8Array): void {
    // A cancel of a request still held: neither is sent.
    const cancel = message.notifications.find((n) => n.method === "notifications/cancelled");
    const target = cancel?.params?.requestId;
    if (cancel && message.requests.length === 0 && message.notifications.length === 1) {
      const index = this.#held.findIndex((h) => h.message.requests.some((r) => r.id === target));
      if (index !== -1) {
        this.#heldBytes -= this.#held[index]!.bytes.length;
        this.#held.splice(index, 1);
        return;
      }
    }
    const copy = line.slice(); // the read buffer is reused
    this.#held.push({ message, bytes: copy });
    this.#heldBytes += copy.length;
  }

  #failHeld(why: string): void {
    const answers: string[] = [];
    for (const { message } of this.#held) {
      for (const request of message.requests) {
        answers.push(errorAnswer(request.id, `rmcp-mux proxy: ${request.method} not sent: ${why}`));
      }
    }
    this.#held = [];
    this.#heldBytes = 0;
    if (answers.length > 0) void this.#sendToHost(answers);
  }

  #sendToHost(chunks: (string | Uint8Array)[]): Promise<void> {
    if (chunks.length === 0) return this.#toHost.then(() => {});
    const bytes = join(chunks);
    const write = this.#toHost.then(() => this.#output.write(bytes));
    this.#toHost = write.catch(() => this.#finish("stdin-closed")); // the host is gone
    return this.#toHost.then(() => {});
  }

  #notice(line: string): void {
    this.#o.onNotice?.(line);
  }

  #finish(end: ProxyEnd): void {
    if (this.#state === "ended") return;
    this.#state = "ended";
    this.#wake?.();
    this.#resumeReading?.();
    const conn = this.#conn;
    this.#conn = null;
    if (conn) closeQuietly(conn);
    this.#end(end);
  }
}

/** Splits a byte stream into lines (without their newline), bounded by {@link MAX_LINE_BYTES}. */
class LineBuffer {
  #rest: Uint8Array = new Uint8Array(0);
  #skipping = false;

  /**
   * Add a chunk. Returns the complete lines, and `block`: every complete line
   * with its newline as one contiguous range (when nothing was skipped).
   */
  push(chunk: Uint8Array): { block: Uint8Array | null; lines: Uint8Array[]; skipped: boolean } {
    let data = chunk;
    let skipped = false;
    if (this.#rest.length > 0) {
      data = new Uint8Array(this.#rest.length + chunk.length);
      data.set(this.#rest);
      data.set(chunk, this.#rest.length);
    }
    const lines: Uint8Array[] = [];
    let start = 0;
    let blockStart = 0;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      if (this.#skipping) {
        this.#skipping = false; // the end of the over-long line
        blockStart = nl + 1;
      } else if (nl > start) {
        lines.push(data.subarray(start, nl));
      }
      start = nl + 1;
    }
    let rest = data.subarray(start);
    if (!this.#skipping && rest.length > MAX_LINE_BYTES) {
      this.#skipping = true;
      skipped = true;
    }
    if (this.#skipping) rest = new Uint8Array(0);
    // Kept across reads: copy, the caller reuses its buffer.
    this.#rest = rest.length > 0 ? rest.slice() : new Uint8Array(0);
    const block = start > blockStart ? data.subarray(blockStart, start) : null;
    return { block, lines, skipped };
  }
}

function join(chunks: (string | Uint8Array)[]): Uint8Array {
  if (chunks.length === 1 && chunks[0] instanceof Uint8Array) {
    const only = chunks[0];
    return only[only.length - 1] === 10 ? only : concat([only, NEWLINE]);
  }
  const parts: Uint8Array[] = [];
  for (const chunk of chunks) {
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    parts.push(bytes);
    if (bytes[bytes.length - 1] !== 10) parts.push(NEWLINE);
  }
  return concat(parts);
}

const NEWLINE = new Uint8Array([10]);

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

interface Input {
  read(): Promise<Uint8Array | null>;
  cancel(): Promise<void>;
  release(): void;
}

interface Output {
  write(bytes: Uint8Array): Promise<void>;
  release(): void;
}

function rawInput(): Input {
  const buffer = new Uint8Array(64 * 1024);
  return {
    async read() {
      const n = await Deno.stdin.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
    cancel: () => Promise.resolve(),
    release: () => {},
  };
}

function rawOutput(): Output {
  return {
    async write(bytes) {
      let offset = 0;
      while (offset < bytes.length) offset += await Deno.stdout.write(bytes.subarray(offset));
    },
    release: () => {},
  };
}

function streamInput(stream: ReadableStream<Uint8Array>): Input {
  const reader = stream.getReader();
  return {
    async read() {
      const { value, done } = await reader.read();
      return done ? null : value;
    },
    cancel: () => reader.cancel().catch(() => {}),
    release: () => reader.releaseLock(),
  };
}

function streamOutput(stream: WritableStream<Uint8Array>): Output {
  const writer = stream.getWriter();
  return {
    // A stream may keep the chunk: hand it a copy, the buffer is reused.
    write: (bytes) => writer.write(bytes.slice()),
    release: () => writer.releaseLock(),
  };
}
