/**
 * The bridge behind `runProxy`: two pumps, host → mux and mux → host,
 * and what happens when the mux goes away — the new connection confirmed,
 * the host's session replayed ({@link SessionMirror}), its held lines sent
 * on ({@link HostHold}), or everything owed failed when it does not come
 * back ({@link Reconnector}).
 *
 * @module
 */

import { HELLO_METHOD } from "../jsonrpc/mux_methods.ts";
import { HostHold } from "./host_hold.ts";
import { concat, encodeLines, LineFramer, nonEmptyLines } from "./line_framer.ts";
import type { ProxyEnd, ProxyOptions } from "./proxy.ts";
import { DEFAULT_RECONNECT_MS, Reconnector } from "./reconnect.ts";
import { errorAnswer, type MuxVerdict, SessionMirror } from "./session_mirror.ts";
import {
  closeQuietly,
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

/** Longest line relayed either way; a longer one is discarded (the mux's own limits are lower). */
export const MAX_LINE_BYTES = 128 * 1024 * 1024;

/** The first line on every connection: tells the mux this client is a proxy. */
export const HELLO_LINE = JSON.stringify({
  jsonrpc: "2.0",
  method: HELLO_METHOD,
  // emptyLines: the mux may probe a half-closed proxy with an empty line; this one drops them.
  params: { transport: "proxy", emptyLines: "dropped" },
});

/**
 * `confirming`: a new connection, waiting for the mux's answer to the
 * proxy's `ping`; `replaying`: waiting for its answer to the replayed
 * `initialize`. Host lines are held in every state but `connected`.
 */
type State = "connected" | "confirming" | "replaying" | "reconnecting" | "ended";

const NEWLINE = 0x0a;
/**
 * Bytes of one read from the mux. Small on purpose: the buffer is zeroed
 * (touched) when allocated, and most messages are far shorter; a long one
 * takes a few more reads.
 */
const READ_BYTES = 16 * 1024;
const HELLO_BYTES = encodeLines([HELLO_LINE]);

/**
 * The bridge. Each direction has one pump that reads a chunk, does the
 * session's bookkeeping line by line, and writes the chunk on as it came
 * (one write, no copy) before reading again: per message it allocates about
 * what a bare stdin loop does (issue 9's memory target is kept by that).
 * Everything else (reconnecting, replaying, holding) runs only when the mux
 * went away.
 */
export class Bridge {
  readonly #o: ProxyOptions;
  readonly #mirror = new SessionMirror();
  readonly #hold = new HostHold(this.#mirror);
  readonly #reconnector: Reconnector<Deno.Conn>;
  readonly #input: Input;
  readonly #output: Output;
  readonly #reconnectMs: number;
  #state: State = "reconnecting";
  #conn: Deno.Conn | null = null;
  // Writes each way take turns: the pump's, and the proxy's own lines (hello, replay, errors).
  readonly #muxTurn = new WriteTurn();
  readonly #hostTurn = new WriteTurn();
  #resumeReading: (() => void) | undefined;
  #stdinDone = false;
  #end!: (end: ProxyEnd) => void;
  readonly #ended: Promise<ProxyEnd> = new Promise((resolve) => this.#end = resolve);

  constructor(options: ProxyOptions, connect: () => Promise<Deno.Conn>) {
    this.#o = options;
    this.#reconnectMs = options.reconnectMs ?? DEFAULT_RECONNECT_MS;
    this.#reconnector = new Reconnector(this.#reconnectMs, {
      connect,
      waitingFor: () =>
        this.#state === "reconnecting"
          ? "connection"
          : this.#state === "confirming"
          ? "answer"
          : null,
      attach: (conn) => this.#attach(conn, true),
      close: closeQuietly,
      notice: (line) => this.#notice(line),
      giveUp: (why) => this.#giveUp(why),
    });
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
        if (this.#hold.full && this.#state !== "connected") {
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
        if (nl > start) this.#hold.add(data, start, nl);
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

  #failHeld(why: string): void {
    const answers = this.#hold.fail(why);
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

  /**
   * The complete lines `data[begin, end)` from the mux: bookkeeping; what goes
   * to the host. Empty lines never do: the mux probes a half-closed proxy with
   * them (is it still there?), and a host would take one for a broken message.
   */
  #fromMux(conn: Deno.Conn, data: Uint8Array, begin: number, end: number): Uint8Array | null {
    let kept: Uint8Array[] | null = null; // only once a line is kept from the host
    for (let start = begin, nl = 0; start < end; start = nl + 1) {
      nl = data.indexOf(NEWLINE, start);
      if (nl === start) {
        kept ??= nonEmptyLines(data, begin, start);
        continue;
      }
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
    this.#reconnector.back();
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
    const held = this.#hold.release();
    if (held !== null) this.#toMux(conn, held);
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
    this.#reconnector.lost(reason, unconfirmed);
  }

  /** The mux did not come back in time (`why`): what the host waits for fails; the end. */
  #giveUp(why: string): void {
    const conn = this.#conn;
    this.#conn = null;
    if (conn) closeQuietly(conn);
    this.#failHeld(why);
    const ends = this.#mirror.endListens(why);
    if (ends.length > 0) this.#toHost(encodeLines(ends));
    this.#finish("unreachable");
  }

  #notice(line: string): void {
    this.#o.onNotice?.(line);
  }

  #finish(end: ProxyEnd): void {
    if (this.#state === "ended") return;
    this.#state = "ended";
    this.#reconnector.wake();
    this.#resumeReading?.();
    const conn = this.#conn;
    this.#conn = null;
    if (conn) closeQuietly(conn);
    this.#end(end);
  }
}
