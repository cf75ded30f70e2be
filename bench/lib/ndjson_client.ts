/**
 * A raw MCP client: newline-delimited JSON-RPC over a Unix socket or over a
 * child's stdio, with requests pipelined (any number in flight) and writes
 * batched. No schema validation, no SDK: the client must not be what limits
 * the numbers. Answers are matched to requests by id; verification of their
 * content is up to the caller.
 *
 * @module
 */

import {
  childDuplex,
  type Duplex,
  forEachLine,
  socketDuplex,
} from "../../tests/_helpers/ndjson.ts";
import type { Managed } from "./proc.ts";

/** One JSON-RPC message as received. */
export interface Message {
  jsonrpc?: string;
  id?: number | string | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

const encoder = new TextEncoder();

/** The `initialize` request every benchmark client sends. */
export function initializeParams(name = "bench-client"): Record<string, unknown> {
  return {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name, version: "1.0.0" },
  };
}

/** A pipelining NDJSON MCP client. */
export class RawClient {
  readonly #io: Duplex;
  readonly #pending = new Map<number | string, (message: Message) => void>();
  #nextId = 1;
  #queue: string[] = [];
  #writing = false;
  #closed = false;
  #error: Error | undefined;
  /** Called for every notification (message with a method and no id). */
  onNotification: ((message: Message) => void) | undefined;
  /** Resolves when the stream from the other side ends. */
  readonly ended: Promise<void>;

  private constructor(io: Duplex) {
    this.#io = io;
    this.ended = this.#readLoop();
  }

  /** Connect to a Unix socket. */
  static async overSocket(path: string): Promise<RawClient> {
    return new RawClient(
      socketDuplex(await Deno.connect({ transport: "unix", path }), 256 * 1024),
    );
  }

  /** Talk to a process over its stdin/stdout (both must be piped). */
  static overChild(process: Managed): RawClient {
    return new RawClient(childDuplex(process.child));
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Send a request; resolves with the whole response message (result or error). */
  request(method: string, params?: Record<string, unknown>): Promise<Message> {
    if (this.#closed) return Promise.resolve(lostAnswer(null, this.#error));
    const id = this.#nextId++;
    const line = params === undefined
      ? `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)}}`
      : `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${
        JSON.stringify(params)
      }}`;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#send(line);
    });
  }

  /** Send a notification. */
  notify(method: string, params?: Record<string, unknown>): void {
    this.#send(JSON.stringify({ jsonrpc: "2.0", method, ...(params ? { params } : {}) }));
  }

  /** `initialize` then `notifications/initialized`; returns the result or throws the error. */
  async initialize(name?: string): Promise<Record<string, unknown>> {
    const answer = await this.request("initialize", initializeParams(name));
    if (!answer.result) throw new Error(`initialize failed: ${JSON.stringify(answer.error)}`);
    this.notify("notifications/initialized");
    return answer.result;
  }

  /** Close the connection (a child's stdin). Requests still open get connection-lost errors. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#io.close();
  }

  #send(line: string): void {
    this.#queue.push(line);
    if (!this.#writing) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.#io.write(encoder.encode(batch.join("\n") + "\n"));
      }
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
    this.#writing = false;
  }

  #fail(error: Error): void {
    this.#error ??= error;
    this.#closed = true;
    const pending = [...this.#pending.entries()];
    this.#pending.clear();
    for (const [id, resolve] of pending) resolve(lostAnswer(id, error));
  }

  async #readLoop(): Promise<void> {
    try {
      await forEachLine(() => this.#io.read(), (line) => this.#dispatch(JSON.parse(line)));
    } catch (error) {
      if (!this.#closed) this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
    this.#fail(new Error("the other side closed the connection"));
  }

  #dispatch(message: Message): void {
    if (message.method === undefined) {
      const id = message.id;
      if (id === undefined || id === null) return;
      const resolve = this.#pending.get(id);
      if (!resolve) return;
      this.#pending.delete(id);
      resolve(message);
      return;
    }
    if (message.id === undefined) {
      this.onNotification?.(message);
      return;
    }
    // A request from the server: answer ping, refuse the rest.
    const answer = message.method === "ping"
      ? { jsonrpc: "2.0", id: message.id, result: {} }
      : { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "not supported" } };
    this.#send(JSON.stringify(answer));
  }
}

/** Error code of the answers a client makes up for requests its connection lost. */
export const CONNECTION_LOST = -1;

function lostAnswer(id: number | string | null, error: Error | undefined): Message {
  return {
    jsonrpc: "2.0",
    id,
    error: { code: CONNECTION_LOST, message: `connection lost: ${error ?? "closed"}` },
  };
}

/** The echo tool call (the reference server's `echo` and the fast fixture's agree). */
export function echoParams(message: string): Record<string, unknown> {
  return { name: "echo", arguments: { message } };
}

/** True when `answer` is the echo of `message`. */
export function isEcho(answer: Message, message: string): boolean {
  const content = (answer.result as { content?: { text?: string }[] } | undefined)?.content;
  return content?.[0]?.text === `Echo: ${message}`;
}
