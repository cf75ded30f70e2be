/**
 * An MCP SDK client transport over newline-delimited JSON on a Unix socket
 * or a child's stdio: lets the SDK client (used to compare with the peers,
 * which only the SDK speaks to) talk to the mux and to a direct server.
 *
 * @module
 */

import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Managed } from "./proc.ts";

interface Io {
  read(): Promise<Uint8Array | null>;
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
}

const encoder = new TextEncoder();

/** SDK transport over newline-delimited JSON. */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #open: () => Promise<Io>;
  #io: Io | undefined;
  #closed = false;
  #reading: Promise<void> | undefined;

  private constructor(open: () => Promise<Io>) {
    this.#open = open;
  }

  /** Over a Unix socket (connects on `start`). */
  static socket(path: string): LineTransport {
    return new LineTransport(async () => {
      const conn = await Deno.connect({ transport: "unix", path });
      const buffer = new Uint8Array(64 * 1024);
      return {
        read: async () => {
          const n = await conn.read(buffer);
          return n === null ? null : buffer.subarray(0, n);
        },
        write: async (bytes) => {
          let offset = 0;
          while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
        },
        close: () => {
          try {
            conn.close();
          } catch {
            // Already closed.
          }
        },
      };
    });
  }

  /** Over a started process's piped stdin/stdout. */
  static child(process: Managed): LineTransport {
    return new LineTransport(() => {
      const reader = process.child.stdout.getReader();
      const writer = process.child.stdin.getWriter();
      return Promise.resolve({
        read: async () => {
          const { value, done } = await reader.read();
          return done ? null : value;
        },
        write: (bytes) => writer.write(bytes),
        close: () => {
          writer.close().catch(() => {});
          reader.cancel().catch(() => {});
        },
      });
    });
  }

  async start(): Promise<void> {
    this.#io = await this.#open();
    this.#reading = this.#read(this.#io);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.#io || this.#closed) throw new Error("transport not open");
    await this.#io.write(encoder.encode(JSON.stringify(message) + "\n"));
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#io?.close();
    }
    await this.#reading;
  }

  async #read(io: Io): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      while (true) {
        const chunk = await io.read();
        if (chunk === null) break;
        buffered += decoder.decode(chunk, { stream: true });
        let nl;
        while ((nl = buffered.indexOf("\n")) !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) this.onmessage?.(JSON.parse(line) as JSONRPCMessage);
        }
      }
    } catch (error) {
      if (!this.#closed) this.onerror?.(error as Error);
    }
    this.#closed = true;
    this.onclose?.();
  }
}
