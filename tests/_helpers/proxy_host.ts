/**
 * A host as MCP hosts are: the real SDK client launching `rmcp-mux proxy`
 * through the SDK's own stdio transport, recording every message it receives
 * and the proxy's stderr (its notices: lost, reconnected…).
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { ClientCapabilities, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { MAIN } from "./cli.ts";
import { ROOT } from "./mux.ts";

/** A JSON-RPC notification as received. */
export type Note = { method?: string; params?: Record<string, unknown> };

/** Wraps a transport to keep every message received. */
class RecordingTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly received: JSONRPCMessage[] = [];
  readonly #inner: Transport;
  #waiters: (() => void)[] = [];

  constructor(inner: Transport) {
    this.#inner = inner;
    inner.onmessage = (message: JSONRPCMessage) => {
      this.received.push(message);
      this.onmessage?.(message);
      this.#wake();
    };
    inner.onclose = () => {
      this.#wake();
      this.onclose?.();
    };
    inner.onerror = (error: Error) => this.onerror?.(error);
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.#inner.send(message);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /** The first message from `from` on matching `predicate`. */
  async next(predicate: (message: JSONRPCMessage) => boolean, from = 0): Promise<JSONRPCMessage> {
    while (true) {
      const found = this.received.slice(from).find(predicate);
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** An SDK client talking through a real `rmcp-mux proxy` process. */
export class ProxyHost implements AsyncDisposable {
  readonly client: Client;
  readonly transport: RecordingTransport;
  readonly stdio: StdioClientTransport;
  /** The proxy's stderr lines so far. */
  readonly stderr: string[] = [];
  #stderrWaiters: (() => void)[] = [];
  #stderrDone: Promise<void> = Promise.resolve();

  private constructor(stdio: StdioClientTransport, client: Client) {
    this.stdio = stdio;
    this.transport = new RecordingTransport(stdio);
    this.client = client;
  }

  /** Launch `rmcp-mux <args>` (a proxy) and initialize an SDK client through it. */
  static async start(
    args: string[],
    options: {
      env?: Record<string, string>;
      name?: string;
      capabilities?: ClientCapabilities;
      /** Runs before the client connects (request handlers: roots, sampling…). */
      setup?: (client: Client) => void;
    } = {},
  ): Promise<ProxyHost> {
    const stdio = new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", "-A", "--quiet", MAIN, ...args],
      cwd: ROOT,
      env: { ...Deno.env.toObject(), ...options.env },
      stderr: "pipe",
    });
    const client = new Client(
      { name: options.name ?? "proxy-host", version: "1.0.0" },
      { capabilities: options.capabilities ?? {} },
    );
    options.setup?.(client);
    const host = new ProxyHost(stdio, client);
    host.#readStderr();
    await client.connect(host.transport);
    return host;
  }

  /** Wait for a stderr line matching `pattern` (from line `from` on); returns it. */
  async waitForStderr(pattern: RegExp, from = 0): Promise<string> {
    while (true) {
      const found = this.stderr.slice(from).find((line) => pattern.test(line));
      if (found) return found;
      await new Promise<void>((resolve) => this.#stderrWaiters.push(resolve));
    }
  }

  /** The proxy's process id. */
  get pid(): number | null {
    return this.stdio.pid;
  }

  #readStderr(): void {
    const stream = this.stdio.stderr as (NodeJS.ReadableStream & AsyncIterable<Uint8Array>) | null;
    if (!stream) return;
    this.#stderrDone = (async () => {
      const decoder = new TextDecoder();
      let buffered = "";
      for await (const chunk of stream) {
        buffered += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        this.stderr.push(...lines);
        const waiters = this.#stderrWaiters;
        this.#stderrWaiters = [];
        for (const wake of waiters) wake();
      }
    })().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.client.close().catch(() => {});
    await this.#stderrDone;
  }
}

/** `rmcp-mux proxy` as a raw process: lines in on stdin, lines out of stdout. */
export class RawProxy implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffered = "";
  /** Stderr lines so far. */
  readonly stderrLines: string[] = [];
  #stderrWaiters: (() => void)[] = [];
  readonly #stderrDone: Promise<void>;

  /** @param program the Deno to run it with (a link to it named like the Rust tool's proxy, say) */
  constructor(args: string[], env?: Record<string, string>, program: string = Deno.execPath()) {
    this.child = new Deno.Command(program, {
      args: ["run", "-A", "--quiet", MAIN, ...args],
      cwd: ROOT,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    this.#reader = this.child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const stderr = this.child.stderr;
    this.#stderrDone = (async () => {
      let partial = "";
      for await (const chunk of stderr.pipeThrough(new TextDecoderStream())) {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop()!;
        this.stderrLines.push(...lines);
        const waiters = this.#stderrWaiters;
        this.#stderrWaiters = [];
        for (const wake of waiters) wake();
      }
      if (partial) this.stderrLines.push(partial);
      for (const wake of this.#stderrWaiters) wake();
    })().catch(() => {});
  }

  /** Wait for a stderr line matching `pattern` (the `nth` such line, 1 by default); returns it. */
  async waitForStderr(pattern: RegExp, nth = 1): Promise<string> {
    while (true) {
      const found = this.stderrLines.filter((line) => pattern.test(line))[nth - 1];
      if (found) return found;
      await new Promise<void>((resolve) => this.#stderrWaiters.push(resolve));
    }
  }

  send(message: unknown): Promise<void> {
    return this.#writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
  }

  /** Initialize like a host: initialize, then notifications/initialized. */
  async initialize(name = "raw-host"): Promise<Record<string, unknown>> {
    await this.send({
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name, version: "1" },
      },
    });
    const answer = await this.answer("init");
    await this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return answer;
  }

  /** Close stdin (the host is done) and wait for the exit code. */
  async end(): Promise<number> {
    await this.#writer.close().catch(() => {});
    return (await this.child.status).code;
  }

  /** Close stdin (the host is done, or shutting down) without waiting for the exit. */
  async closeStdin(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }

  /** Kill the proxy with `signal` and wait for it to be gone. */
  async kill(signal: Deno.Signal = "SIGKILL"): Promise<Deno.CommandStatus> {
    try {
      this.child.kill(signal);
    } catch {
      // Exited.
    }
    return await this.child.status;
  }

  async answer(id: unknown): Promise<Record<string, unknown>> {
    return await this.message((message) => message.id === id, `an answer to ${id}`);
  }

  /** The next message matching `predicate` (those before it are read and passed over). */
  async message(
    predicate: (message: Record<string, unknown>) => boolean,
    what = "the message awaited",
  ): Promise<Record<string, unknown>> {
    while (true) {
      const line = await this.#line();
      if (line === null) throw new Error(`stdout ended before ${what}`);
      const message = JSON.parse(line); // a blank line fails here, as it would in a host
      if (predicate(message)) return message;
    }
  }

  /** Read stdout to its end: the lines not read yet, as they came (blank ones too). */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    for (let line = await this.#line(); line !== null; line = await this.#line()) {
      lines.push(line);
    }
    return lines;
  }

  async #line(): Promise<string | null> {
    while (true) {
      const nl = this.#buffered.indexOf("\n");
      if (nl !== -1) {
        const line = this.#buffered.slice(0, nl);
        this.#buffered = this.#buffered.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buffered += value;
    }
  }

  /** All of stderr, once the process has exited. */
  async stderr(): Promise<string> {
    await this.child.status;
    await this.#stderrDone;
    return this.stderrLines.join("\n") + "\n";
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#writer.close().catch(() => {});
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await this.#reader.cancel().catch(() => {});
    await this.child.status;
    await this.#stderrDone;
  }
}
