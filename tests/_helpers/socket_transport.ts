/**
 * An MCP SDK client transport over a Unix socket: the real SDK client talks to
 * the real mux socket, framed the way MCP stdio is (one JSON message per line).
 * It also records every raw message it receives, so tests can count at the
 * transport (the SDK's `onprogress` can miss a notification that arrives in
 * the same chunk as the reply).
 */

import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

export class UnixSocketTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Every message received, in order. */
  readonly received: JSONRPCMessage[] = [];
  readonly #path: string;
  #conn: Deno.UnixConn | undefined;
  #reading: Promise<void> | undefined;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
  }

  async start(): Promise<void> {
    this.#conn = await Deno.connect({ transport: "unix", path: this.#path });
    this.#reading = this.#read(this.#conn);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    await this.sendRaw(JSON.stringify(message) + "\n");
  }

  /** Write raw text (for malformed-input tests). */
  async sendRaw(text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text);
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn!.write(bytes.subarray(offset));
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
    const decoder = new TextDecoder();
    let buffered = "";
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        buffered += decoder.decode(buffer.subarray(0, n), { stream: true });
        let nl;
        while ((nl = buffered.indexOf("\n")) !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!line.trim()) continue;
          const message = JSON.parse(line) as JSONRPCMessage;
          this.received.push(message);
          this.onmessage?.(message);
        }
      }
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
    this.onclose?.();
  }
}
