/**
 * An MCP SDK client transport over a Unix socket: the real SDK client talks to
 * the real mux socket, framed the way MCP stdio is (one JSON message per line).
 * It also records every raw message it receives, so tests can count at the
 * transport (the SDK's `onprogress` can miss a notification that arrives in
 * the same chunk as the reply).
 */

import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { forEachLine, socketDuplex, writeAll } from "./ndjson.ts";

export class UnixSocketTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Every message received, in order. */
  readonly received: JSONRPCMessage[] = [];
  readonly #path: string;
  readonly #protocolVersion: string | undefined;
  #conn: Deno.UnixConn | undefined;
  #reading: Promise<void> | undefined;
  #closed = false;
  #waiters: (() => void)[] = [];

  /**
   * @param protocolVersion if set, the client's `initialize` asks for this
   *   version instead of the SDK's latest (the SDK has no option for it)
   */
  constructor(path: string, protocolVersion?: string) {
    this.#path = path;
    this.#protocolVersion = protocolVersion;
  }

  /** Resolves with the first received message (from `from` on) matching `predicate`. */
  async next(
    predicate: (message: JSONRPCMessage) => boolean,
    from = 0,
  ): Promise<JSONRPCMessage> {
    while (true) {
      const found = this.received.slice(from).find(predicate);
      if (found) return found;
      if (this.#closed) throw new Error("transport closed before a matching message arrived");
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Received notifications with this method. */
  notifications(method: string): { method: string; params?: Record<string, unknown> }[] {
    return this.received.filter((m) =>
      (m as { method?: string }).method === method && !("id" in m)
    ) as {
      method: string;
      params?: Record<string, unknown>;
    }[];
  }

  async start(): Promise<void> {
    this.#conn = await Deno.connect({ transport: "unix", path: this.#path });
    this.#reading = this.#read(this.#conn);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const m = message as { method?: string; params?: Record<string, unknown> };
    if (this.#protocolVersion && m.method === "initialize" && m.params) {
      message = {
        ...message,
        params: { ...m.params, protocolVersion: this.#protocolVersion },
      } as JSONRPCMessage;
    }
    await this.sendRaw(JSON.stringify(message) + "\n");
  }

  /** Write raw text (for malformed-input tests). */
  sendRaw(text: string): Promise<void> {
    return writeAll(this.#conn!, new TextEncoder().encode(text));
  }

  /** Half-close: no more messages from this side. */
  async closeWrite(): Promise<void> {
    await this.#conn!.closeWrite();
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn?.close();
      } catch {
        // Already closed by the peer.
      }
    }
    await this.#reading;
  }

  async #read(conn: Deno.UnixConn): Promise<void> {
    const io = socketDuplex(conn);
    try {
      await forEachLine(() => io.read(), (line) => {
        const message = JSON.parse(line) as JSONRPCMessage;
        this.received.push(message);
        this.onmessage?.(message);
        this.#wake();
      });
    } catch (error) {
      if (!this.#closed) this.onerror?.(error as Error);
    }
    if (!this.#closed) {
      this.#closed = true;
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    this.#wake();
    this.onclose?.();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
