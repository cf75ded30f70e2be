/**
 * One client connection: reads framed lines into the router, writes the
 * router's answers back in batches, waits for a slot when the mux is full,
 * and pauses reading while the queue toward the server is full.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { LineDecoder, type LineEvent } from "../jsonrpc/framing.ts";
import type { ClientPort, ClientTransport } from "../router/session.ts";
import { connSink, LineWriter } from "../transport/line_writer.ts";
import { delay, wait } from "../async/wait.ts";
import type { MuxClient } from "./mux_client.ts";

/** Each connection starts reading in small chunks (idle clients stay cheap)… */
const MIN_READ_BYTES = 4 * 1024;
/** …and a busy one grows its buffer, doubling whenever a read fills it, up to this. */
const MAX_READ_BYTES = 64 * 1024;

/**
 * How often a half-closed `rmcp-mux proxy` connection that is still owed
 * answers is probed with an empty line. A write to a socket whose peer is
 * gone fails at once, and reads cannot tell a half-close from a process that
 * died: the probe is how the mux learns that the proxy was killed (a host
 * closes its stdin, then kills it at shutdown) while the server works on a
 * call in silence, and cancels that call instead of running it for nobody.
 */
export const GONE_PROBE_MS = 1_000;

/** What a connection needs from its mux. */
export interface ConnectionContext {
  /** Opens the connection's client in the mux ({@link MuxServer.openClient}). */
  open(port: ClientPort, transport: ClientTransport): MuxClient;
  maxRequestBytes: number;
  maxClientBacklogBytes: number;
  log: Logger;
}

/** Serves one accepted client connection until either side closes it. */
export class ClientConnection {
  readonly #conn: Deno.Conn;
  readonly #ctx: ConnectionContext;
  readonly #writer: LineWriter;
  readonly #client: MuxClient;
  readonly #gone = new AbortController();
  #connClosed = false;
  /** Set once it was probed ({@link GONE_PROBE_MS}): a failed write then means exactly that. */
  #probed = false;
  /** Resolves when the connection is fully closed and forgotten. */
  readonly done: Promise<void>;

  constructor(conn: Deno.Conn, ctx: ConnectionContext) {
    this.#conn = conn;
    this.#ctx = ctx;
    this.#writer = new LineWriter(connSink(conn), {
      onError: () => {
        if (this.#probed) {
          ctx.log.info(
            "{client} is gone: its proxy half-closed, then stopped taking writes; " +
              "cancelling its {count} open requests",
            { client: this.#client.label, count: this.#client.openRequests },
          );
        }
        this.close("write failed: the client went away");
      },
    });
    this.#client = ctx.open({
      send: (line) => this.#send(line),
      // The router closes after a last word (a refusal): let it reach the client first.
      close: (reason) => void this.flushAndClose(1_000, reason),
    }, "socket");
    this.done = this.#serve();
  }

  /** Close at once (idempotent). */
  close(reason: string): void {
    if (this.#connClosed) return;
    this.#connClosed = true;
    this.#ctx.log.debug("Closing {client}: {reason}", { client: this.#client.label, reason });
    this.#gone.abort();
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Write what is queued (at most `ms`), then close. */
  async flushAndClose(ms: number, reason = "mux shutting down"): Promise<void> {
    await wait(this.#writer.idle(), ms);
    this.close(reason);
    await this.done;
  }

  #send(line: string): void {
    const backlog = this.#writer.backlog;
    if (backlog > 0 && backlog + line.length > this.#ctx.maxClientBacklogBytes) {
      this.#ctx.log.warn(
        "{client} is not reading: {bytes} bytes queued for it; disconnecting it",
        { client: this.#client.label, bytes: backlog },
      );
      this.close("not reading its messages");
      return;
    }
    this.#writer.write(line);
  }

  async #serve(): Promise<void> {
    const client = this.#client;
    const decoder = new LineDecoder(this.#ctx.maxRequestBytes);
    const emit = (event: LineEvent) => client.receive(event);
    let buffer = new Uint8Array(MIN_READ_BYTES);
    const gone = new Promise<void>((resolve) =>
      this.#gone.signal.addEventListener("abort", () => resolve(), { once: true })
    );
    let eof = false;
    try {
      while (!this.#connClosed) {
        if (!client.canRead) await Promise.race([client.ready(), gone]);
        if (this.#connClosed) break;
        const n = await this.#conn.read(buffer);
        if (n === null) {
          eof = true;
          break;
        }
        decoder.push(buffer.subarray(0, n), emit);
        if (n === buffer.length && buffer.length < MAX_READ_BYTES) {
          buffer = new Uint8Array(buffer.length * 2);
        }
      }
      decoder.finish(emit);
    } catch {
      // Reset by the peer, or closed by us: the connection is over either way.
    }
    // A client that half-closed still gets the answers to what it asked.
    if (eof && client.admitted && client.openRequests > 0 && !this.#connClosed) {
      const owed = new AbortController();
      // Only a proxy that said it drops empty lines is probed: other clients (an older
      // proxy included, which would pass them to its host) are not.
      const probing = client.dropsEmptyLines ? this.#probe(owed.signal) : undefined;
      await Promise.race([client.settled(), gone]);
      owed.abort();
      await probing;
      await wait(this.#writer.idle(), 1_000);
    }
    client.close();
    this.close(eof ? "client closed the connection" : "connection ended");
    await this.#writer.close(false);
  }

  /**
   * Write an empty line every {@link GONE_PROBE_MS} until `stop`: the first
   * that fails closes the connection (the writer's `onError`), which ends
   * the wait for answers and cancels what the client had at the server.
   */
  async #probe(stop: AbortSignal): Promise<void> {
    while (await delay(GONE_PROBE_MS, stop)) {
      // Something queued already tells as much.
      if (this.#writer.backlog > 0) continue;
      this.#probed = true;
      this.#writer.write("");
    }
  }
}
