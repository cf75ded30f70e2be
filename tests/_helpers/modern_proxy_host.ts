/**
 * A 2026-07-28 host as hosts are: the real SDK v2 client
 * (`@modelcontextprotocol/client` 2.4.0) pinned to 2026-07-28, launching
 * `rmcp-mux proxy` through the SDK's own stdio transport, recording every
 * message it receives and the proxy's stderr (its notices: lost,
 * reconnected…).
 */

import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { MAIN } from "./cli.ts";
import { ROOT } from "./mux.ts";

/** A JSON-RPC message as received. */
export type Received = {
  id?: unknown;
  method?: string;
  params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
};

/** An SDK v2 client pinned to 2026-07-28, talking through a real `rmcp-mux proxy` process. */
export class ModernProxyHost implements AsyncDisposable {
  readonly client: Client;
  readonly stdio: StdioClientTransport;
  /** Every message received since the client connected, in order. */
  readonly received: Received[] = [];
  /** The proxy's stderr lines so far. */
  readonly stderr: string[] = [];
  /** Every message the client sent, in order. */
  readonly sent: Received[] = [];
  #waiters: (() => void)[] = [];
  #stderrDone: Promise<void> = Promise.resolve();

  private constructor(stdio: StdioClientTransport, client: Client) {
    this.stdio = stdio;
    this.client = client;
  }

  /** Launch `rmcp-mux <args>` (a proxy) and connect a pinned v2 client through it. */
  static async start(
    args: string[],
    options: { env?: Record<string, string>; name?: string } = {},
  ): Promise<ModernProxyHost> {
    const stdio = new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", "-A", "--quiet", MAIN, ...args],
      cwd: ROOT,
      env: { ...Deno.env.toObject(), ...options.env },
      stderr: "pipe",
    });
    const client = new Client({ name: options.name ?? "modern-proxy-host", version: "2.4.0" }, {
      versionNegotiation: { mode: { pin: "2026-07-28" } },
      capabilities: {},
    });
    const host = new ModernProxyHost(stdio, client);
    host.#readStderr();
    // The client passes options (and the transport, extras) these types do not declare: pass all.
    type Loose = {
      send: (...args: unknown[]) => Promise<void>;
      onmessage?: (...args: unknown[]) => void;
    };
    const loose = stdio as unknown as Loose;
    const send = loose.send.bind(stdio);
    loose.send = (...args) => {
      host.sent.push(args[0] as Received);
      return send(...args);
    };
    await client.connect(stdio);
    // Recorded from here on: the client's handler is in place.
    const deliver = loose.onmessage!;
    loose.onmessage = (...args) => {
      host.received.push(args[0] as Received);
      host.#wake();
      deliver(...args);
    };
    stdio.onclose = ((close) => () => {
      host.#wake();
      close?.();
    })(stdio.onclose);
    return host;
  }

  /** The first message received from index `from` on that matches `predicate`. */
  async next(predicate: (message: Received) => boolean, from = 0): Promise<Received> {
    while (true) {
      const found = this.received.slice(from).find(predicate);
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Received notifications with this method (from index `from` on). */
  notifications(method: string, from = 0): Received[] {
    return this.received.slice(from).filter((m) => m.method === method && m.id === undefined);
  }

  /** Wait for a stderr line matching `pattern` (from line `from` on); returns it. */
  async waitForStderr(pattern: RegExp, from = 0): Promise<string> {
    while (true) {
      const found = this.stderr.slice(from).find((line) => pattern.test(line));
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #readStderr(): void {
    const stream = this.stdio.stderr as unknown as AsyncIterable<Uint8Array | string> | null;
    if (!stream) return;
    this.#stderrDone = (async () => {
      const decoder = new TextDecoder();
      let buffered = "";
      for await (const chunk of stream) {
        buffered += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        this.stderr.push(...lines);
        this.#wake();
      }
    })().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.client.close().catch(() => {});
    await this.#stderrDone;
  }
}
