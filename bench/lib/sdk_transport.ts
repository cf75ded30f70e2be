/**
 * An MCP SDK client transport over newline-delimited JSON on a Unix socket
 * or a child's stdio: lets the SDK client (used to compare with the peers,
 * which only the SDK speaks to) talk to the mux and to a direct server.
 *
 * @module
 */

import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import {
  childDuplex,
  type Duplex,
  forEachLine,
  socketDuplex,
} from "../../tests/_helpers/ndjson.ts";
import type { Managed } from "./proc.ts";

const encoder = new TextEncoder();

/** SDK transport over newline-delimited JSON. */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #open: () => Promise<Duplex>;
  #io: Duplex | undefined;
  #closed = false;
  #reading: Promise<void> | undefined;

  private constructor(open: () => Promise<Duplex>) {
    this.#open = open;
  }

  /** Over a Unix socket (connects on `start`). */
  static socket(path: string): LineTransport {
    return new LineTransport(async () =>
      socketDuplex(await Deno.connect({ transport: "unix", path }))
    );
  }

  /** Over a started process's piped stdin/stdout. */
  static child(process: Managed): LineTransport {
    return new LineTransport(() => Promise.resolve(childDuplex(process.child)));
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

  async #read(io: Duplex): Promise<void> {
    try {
      await forEachLine(
        () => io.read(),
        (line) => this.onmessage?.(JSON.parse(line) as JSONRPCMessage),
      );
    } catch (error) {
      if (!this.#closed) this.onerror?.(error as Error);
    }
    this.#closed = true;
    this.onclose?.();
  }
}
