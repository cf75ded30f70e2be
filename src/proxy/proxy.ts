/**
 * `rmcp-mux proxy`: the stdio bridge MCP hosts launch in place of a server.
 * It relays lines between stdio and a mux socket, and survives the mux going
 * away (a reload, a restart, an upgrade): it reconnects for a bounded time,
 * replays the host's handshake and set-up ({@link SessionMirror}), answers
 * requests the lost connection owed with a clear error, holds new ones
 * until it is back, and sends the host's open `subscriptions/listen`
 * streams again so that they go on. The mux is back once it has answered a
 * `ping` on the new connection (a socket that accepts and resets, as a
 * dying daemon's may, is not the mux back). The host sees one session
 * throughout. Lean on purpose:
 * no router, no config parser, no logging library — hosts start many.
 *
 * @module
 */

import { HELLO_METHOD } from "../jsonrpc/mux_methods.ts";
import { connectUnix } from "../transport/unix_client.ts";
import { LineFramer } from "./line_framer.ts";
import { errorAnswer, type HostMessage, type MuxVerdict, SessionMirror } from "./session_mirror.ts";
import {
  closeQuietly,
  concat,
  encodeLines,
  type Input,
  messageOf,
  type Output,
  rawInput,
  rawOutput,
  streamInput,
  streamOutput,
  writeAll,
  WriteTurn,
} from "./stdio.ts";

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

/**
 * `confirming`: a new connection, waiting for the mux's answer to the
 * proxy's `ping`; `replaying`: waiting for its answer to the replayed
 * `initialize`. Host lines are held in every state but `connected`.
 */
type State = "connected" | "confirming" | "replaying" | "reconnecting" | "ended";

const NEWLINE = 0x0a;
/** Bytes of one read from the mux. */
const READ_BYTES = 64 * 1024;
const HELLO_BYTES = encodeLines([HELLO_LINE]);

/**
 * The bridge. Each direction has one pump that reads a chunk, does the
 * session's bookkeeping line by line, and writes the chunk on as it came
 * (one write, no copy) before reading again: per message it allocates about
 * what a bare stdin loop does (issue 9's memory target is kept by that).
 * Everything else (reconnecting, replaying, holding) runs only when the mux
 * went away.
 */
class Bridge {
  readonly #o: ProxyOptions;
  readonly #connect: () => Promise<Deno.Conn>;
  readonly #mirror = new SessionMirror();
  readonly #input: Input;
  readonly #output: Output;
  readonly #reconnectMs: number;
  #state: State = "reconnecting";
  #conn: Deno.Conn | null = null;
  // Writes each way take turns: the pump's, and the proxy's own lines (hello, replay, errors).
  readonly #muxTurn = new WriteTurn();
  readonly #hostTurn = new WriteTurn();
  #held: { message: HostMessage; bytes: Uint8Array }[] = [];
  #heldBytes = 0;
  #resumeReading: (() => void) | undefined;
  #stdinDone = false;
  /** When reconnecting gives up (set when the mux is lost). */
  #deadline = 0;
  /** Why the last attempt failed: for the give-up line. */
  #lastError = "";
  #end!: (end: ProxyEnd) => void;
  readonly #ended: Promise<ProxyEnd> = new Promise((resolve) => this.#end = resolve);
  #wake: (() => void) | undefined;

  constructor(options: ProxyOptions, connect: () => Promise<Deno.Conn>) {
    this.#o = options;
    this.#connect = connect;
    this.#reconnectMs = options.reconnectMs ?? DEFAULT_RECONNECT_MS;
    this.#input = options.stdin ? streamInput(options.stdin) : rawInput();
    this.#output = options.stdout ? streamOutput(options.stdout) : rawOutput();
  }

  async run(first: Deno.Conn): Promise<ProxyEnd> {
    const onAbort = () => this.#finish("aborted");
    this.#o.signal?.addEventListener("abort", onAbort, { once: true });
    if (this.#o.signal?.aborted) onAbort();
    this.#attach(first, false);
    const host = this.#pumpHost();
    const end = await this.#ended;
    this.#o.signal?.removeEventListener("abort", onAbort);
    // A pending read of the process's own stdin cannot be cancelled: it is left
    // behind (the CLI exits right after). A stream given to us is cancelled.
    if (this.#o.stdin) {
      await this.#input.cancel();
      await host;
    }
    await this.#hostTurn.take(); // what is queued for the host is written
    this.#hostTurn.release();
    this.#input.release();
    this.#output.release();
    return end;
  }

  // ── Host → mux ──────────────────────────────────────────────────────────

  async #pumpHost(): Promise<void> {
    const framer = new LineFramer(MAX_LINE_BYTES);
    const input = this.#input;
    try {
      while (this.#state !== "ended") {
        const n = await input.read();
        if (n === null) break;
        const data = framer.frame(input.chunk, n);
        if (framer.skipped) {
          const why = `rmcp-mux proxy: a message over ${MAX_LINE_BYTES} bytes was discarded`;
          this.#toHost(encodeLines([errorAnswer(null, why)]));
        }
        const out = framer.end > framer.begin
          ? this.#fromHost(data, framer.begin, framer.end)
          : null;
        if (out !== null) {
          const conn = this.#conn!;
          if (!this.#muxTurn.tryTake()) await this.#muxTurn.take();
          try {
            let offset = 0;
            while (offset < out.length && this.#conn === conn) {
              offset += await conn.write(offset === 0 ? out : out.subarray(offset));
            }
          } catch (error) {
            this.#lost(conn, messageOf(error));
          } finally {
            this.#muxTurn.release();
          }
        }
        framer.keepRest();
        if (this.#heldBytes > MAX_HELD_BYTES && this.#state !== "connected") {
          // Bounded: stop reading until the mux is back (or the bridge ends).
          await new Promise<void>((resolve) => this.#resumeReading = resolve);
        }
      }
    } catch {
      // stdin broke: the same as closed.
    }
    this.#stdinDone = true;
    if (this.#state === "connected" && this.#conn) {
      // The mux answers what is owed, then closes its side: that ends the bridge.
      this.#toMux(this.#conn, null);
    } else if (this.#state !== "ended") {
      this.#failHeld("stdin closed while the proxy was reconnecting");
      this.#finish("stdin-closed");
    }
  }

  /** The complete lines `data[begin, end)` from the host: what goes to the mux now (or held). */
  #fromHost(data: Uint8Array, begin: number, end: number): Uint8Array | null {
    if (this.#state !== "connected" || this.#conn === null) {
      for (let start = begin, nl = 0; start < end; start = nl + 1) {
        nl = data.indexOf(NEWLINE, start);
        if (nl > start) this.#hold(data, start, nl);
      }
      return null;
    }
    let kept: Uint8Array[] | null = null; // only once a line is dropped
    for (let start = begin, nl = 0; start < end; start = nl + 1) {
      nl = data.indexOf(NEWLINE, start);
      if (nl === start) continue;
      const keep = this.#mirror.hostLine(data, start, nl);
      if (kept === null && !keep) kept = nonEmptyLines(data, begin, start);
      else if (kept !== null && keep) kept.push(data.subarray(start, nl + 1));
    }
    // Usually every line goes through: the block as it came, in one write, no copy.
    if (kept === null) return data.subarray(begin, end);
    return kept.length > 0 ? concat(kept) : null;
  }

  #hold(data: Uint8Array, start: number, nl: number): void {
    const text = decoder.decode(data.subarray(start, nl));
    const message = this.#mirror.inspectHost(text);
    if (!this.#mirror.keep(message)) return;
    // A cancel of a request still held: neither is sent.
    const cancel = message.notifications.find((n) => n.method === "notifications/cancelled");
    const target = cancel?.params?.requestId;
    if (cancel && message.requests.length === 0 && message.notifications.length === 1) {
      // An open stream the next mux has not seen: it is not sent again, nor the cancel.
      if (this.#mirror.listens.forget(target)) return;
      const index = this.#held.findIndex((h) => h.message.requests.some((r) => r.id === target));
      if (index !== -1) {
        this.#heldBytes -= this.#held[index]!.bytes.length;
        this.#held.splice(index, 1);
        return;
      }
    }
    const bytes = data.slice(start, nl + 1); // the read buffer is reused
    this.#held.push({ message, bytes });
    this.#heldBytes += bytes.length;
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
    if (answers.length > 0) this.#toHost(encodeLines(answers));
  }

  /** Write the proxy's own `bytes` (null: close the write side) to the mux, in turn. */
  #toMux(conn: Deno.Conn, bytes: Uint8Array | null): void {
    void this.#muxTurn.take().then(async () => {
      try {
        if (bytes === null) await conn.closeWrite();
        else if (this.#conn === conn) await writeAll(conn, bytes);
      } catch (error) {
        // A failed closeWrite: closed already, and the read side reports it.
        if (bytes !== null) this.#lost(conn, messageOf(error));
      } finally {
        this.#muxTurn.release();
      }
    });
  }

  // ── Mux → host ──────────────────────────────────────────────────────────

  async #pumpMux(conn: Deno.Conn): Promise<void> {
    const framer = new LineFramer(MAX_LINE_BYTES);
    const buffer = new Uint8Array(READ_BYTES);
    let reason = "the mux closed the connection";
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const data = framer.frame(buffer, n);
        if (framer.skipped) {
          this.#notice(`discarded a message from the mux over ${MAX_LINE_BYTES} bytes`);
        }
        const out = framer.end > framer.begin
          ? this.#fromMux(conn, data, framer.begin, framer.end)
          : null;
        if (out !== null) {
          if (!this.#hostTurn.tryTake()) await this.#hostTurn.take();
          try {
            let offset = 0;
            while (offset < out.length) {
              offset += await this.#output.write(offset === 0 ? out : out.subarray(offset));
            }
          } catch {
            this.#finish("stdin-closed"); // the host is gone
          } finally {
            this.#hostTurn.release();
          }
        }
        framer.keepRest();
      }
    } catch (error) {
      reason = messageOf(error);
    }
    this.#lost(conn, reason);
  }

  /** The complete lines `data[begin, end)` from the mux: bookkeeping; what goes to the host. */
  #fromMux(conn: Deno.Conn, data: Uint8Array, begin: number, end: number): Uint8Array | null {
    let kept: Uint8Array[] | null = null; // only once a line is kept from the host
    for (let start = begin, nl = 0; start < end; start = nl + 1) {
      nl = data.indexOf(NEWLINE, start);
      if (nl === start) continue;
      const verdict: MuxVerdict = this.#mirror.muxLine(data, start, nl);
      if (kept === null && !verdict.forward) kept = nonEmptyLines(data, begin, start);
      else if (kept !== null && verdict.forward) kept.push(data.subarray(start, nl + 1));
      if (verdict.confirmed) this.#confirmed(conn);
      if (verdict.initReplayed) this.#finishReplay(conn, verdict.initReplayed);
    }
    // Usually every line goes through: the block as it came, in one write.
    if (kept === null) return data.subarray(begin, end);
    return kept.length > 0 ? concat(kept) : null;
  }

  /** Write the proxy's own `bytes` to the host, in turn. */
  #toHost(bytes: Uint8Array): void {
    void this.#hostTurn.take().then(async () => {
      try {
        await writeAll(this.#output, bytes);
      } catch {
        this.#finish("stdin-closed"); // the host is gone
      } finally {
        this.#hostTurn.release();
      }
    });
  }

  // ── Losing the mux and getting it back ──────────────────────────────────

  /**
   * Use `conn`: the first connection at once; a new one (`confirm`) once
   * the mux has answered the proxy's `ping` on it ({@link #confirmed}).
   */
  #attach(conn: Deno.Conn, confirm: boolean): void {
    if (this.#state === "ended") return closeQuietly(conn);
    this.#conn = conn;
    if (confirm) {
      this.#state = "confirming";
      this.#toMux(conn, encodeLines([HELLO_LINE, this.#mirror.confirmation()]));
    } else {
      this.#toMux(conn, HELLO_BYTES);
      this.#open(conn);
    }
    void this.#pumpMux(conn);
  }

  /** The mux answered the `ping` on a new connection: it is back. */
  #confirmed(conn: Deno.Conn): void {
    if (this.#conn !== conn || this.#state !== "confirming") return;
    this.#notice("reconnected to the mux");
    this.#wake?.(); // the reconnect loop is done
    this.#open(conn);
  }

  /** The host's handshake on `conn`, then (once it is answered) everything else. */
  #open(conn: Deno.Conn): void {
    const { lines, awaitInit } = this.#mirror.opening();
    if (lines.length > 0) this.#toMux(conn, encodeLines(lines));
    if (awaitInit) this.#state = "replaying";
    else this.#becomeConnected(conn);
  }

  #becomeConnected(conn: Deno.Conn): void {
    this.#state = "connected";
    // The host's streams go on: sent again before what the host sent meanwhile (its cancel
    // of one of them would otherwise come first).
    const listens = this.#mirror.reopenListens();
    if (listens.length > 0) this.#toMux(conn, encodeLines(listens));
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    if (held.length > 0) {
      for (const { message } of held) this.#mirror.sent(message);
      this.#toMux(conn, concat(held.map((h) => h.bytes)));
    }
    this.#resumeReading?.();
    this.#resumeReading = undefined;
    if (this.#stdinDone) this.#toMux(conn, null);
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
    if (toMux.length > 0) this.#toMux(conn, encodeLines(toMux));
    if (toHost.length > 0) this.#toHost(encodeLines(toHost));
    this.#becomeConnected(conn);
  }

  #lost(conn: Deno.Conn, reason: string): void {
    if (this.#conn !== conn) return;
    this.#conn = null;
    closeQuietly(conn);
    if (this.#state === "ended") return;
    const unconfirmed = this.#state === "confirming";
    const answers = this.#mirror.connectionLost(reason);
    if (this.#stdinDone || this.#reconnectMs <= 0) {
      answers.push(...this.#mirror.endListens(`the connection to the mux was lost (${reason})`));
    }
    if (answers.length > 0) this.#toHost(encodeLines(answers));
    if (this.#stdinDone) return this.#finish("stdin-closed");
    if (this.#reconnectMs <= 0) return this.#finish("mux-closed");
    this.#state = "reconnecting";
    if (unconfirmed) {
      // A connection the mux never answered on (a dying daemon's socket): not the mux back.
      this.#lastError = `the mux accepted a connection and closed it (${reason})`;
      this.#wake?.(); // the reconnect loop goes on, within the same time
      return;
    }
    this.#deadline = Date.now() + this.#reconnectMs;
    this.#notice(
      `lost the mux (${reason}); reconnecting for up to ${this.#reconnectMs / 1000} s`,
    );
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    let wait: number = BACKOFF_MS[0];
    while (this.#state === "reconnecting") {
      try {
        const conn = await this.#connect();
        if (this.#state !== "reconnecting") return closeQuietly(conn);
        this.#attach(conn, true);
        // Until the mux answers on it (done), it closes it (try again), or time runs out.
        await this.#sleep(Math.max(this.#deadline - Date.now(), 0));
        if (this.#now() === "confirming") {
          this.#lastError = "the mux accepted a connection but never answered on it";
          break;
        }
        if (this.#now() !== "reconnecting") return;
      } catch (error) {
        this.#lastError = messageOf(error);
      }
      const left = this.#deadline - Date.now();
      if (left <= 0) break;
      await this.#sleep(Math.min(wait, left));
      wait = Math.min(wait * 2, BACKOFF_MS[1]);
    }
    if (this.#now() !== "reconnecting" && this.#now() !== "confirming") return;
    const seconds = this.#reconnectMs / 1000;
    const why = `the mux did not come back within ${seconds} s (${this.#lastError})`;
    const conn = this.#conn;
    this.#conn = null;
    if (conn) closeQuietly(conn);
    this.#failHeld(why);
    const ends = this.#mirror.endListens(why);
    if (ends.length > 0) this.#toHost(encodeLines(ends));
    this.#notice(`gave up: ${why}`);
    this.#finish("unreachable");
  }

  /** The state now (after an await: not what the compiler last narrowed it to). */
  #now(): State {
    return this.#state;
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

const decoder = new TextDecoder();

/** The non-empty lines of `data[begin, end)`, each with its newline (views). */
function nonEmptyLines(data: Uint8Array, begin: number, end: number): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let start = begin, nl = 0; start < end; start = nl + 1) {
    nl = data.indexOf(NEWLINE, start);
    if (nl > start) lines.push(data.subarray(start, nl + 1));
  }
  return lines;
}
