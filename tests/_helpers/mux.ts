/**
 * Shared test scaffolding: a mux on a private temp socket, the real reference
 * server or the fault fixture behind it, and real SDK clients in front.
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { MuxServer } from "../../src/server/mux_server.ts";
import type { MuxOptions } from "../../src/config/options.ts";
import { type Duplex, encodeLine, LineReader, socketDuplex } from "./ndjson.ts";
import { UnixSocketTransport } from "./socket_transport.ts";

/** The project root (where deno.json and node_modules live). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/**
 * The reference server, run through Deno itself (pinned in deno.json).
 * `marker`, an argument the server ignores, makes its process findable with `ps`.
 */
export function everythingServer(marker?: string): Pick<MuxOptions, "cmd" | "args" | "cwd"> {
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      "-A",
      "--quiet",
      "npm:@modelcontextprotocol/server-everything@2026.8.31",
      "stdio",
      ...(marker ? [marker] : []),
    ],
    cwd: ROOT,
  };
}

/**
 * The reference filesystem server, run through Deno (pinned in deno.json).
 * With no directory arguments it serves the roots its client gives it.
 */
export function filesystemServer(...dirs: string[]): Pick<MuxOptions, "cmd" | "args" | "cwd"> {
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      "-A",
      "--quiet",
      "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
      ...dirs,
    ],
    cwd: ROOT,
  };
}

/**
 * The 2026-07-28 fixture (TypeScript SDK v2 `serveStdio`): dual-era, or
 * modern-only with `--reject-legacy`.
 */
export function modernServer(...flags: string[]): Pick<MuxOptions, "cmd" | "args" | "cwd"> {
  return {
    cmd: Deno.execPath(),
    args: ["run", "-A", "--quiet", `${ROOT}tests/fixtures/modern_server.ts`, ...flags],
    cwd: ROOT,
  };
}

/** The fault fixture with the given flags. */
export function fakeServer(...flags: string[]): Pick<MuxOptions, "cmd" | "args" | "cwd"> {
  return {
    cmd: Deno.execPath(),
    args: ["run", "-A", "--quiet", `${ROOT}tests/fixtures/fake_server.ts`, ...flags],
    cwd: ROOT,
  };
}

/** `--cmd … -- …` running the fake server with `flags` (for command lines). */
export function fakeArgs(...flags: string[]): string[] {
  const server = fakeServer(...flags);
  return ["--cmd", server.cmd, "--", ...server.args!];
}

/** A mux on a fresh temp socket; disposing it stops the mux and removes the directory. */
export interface TestMux extends AsyncDisposable {
  mux: MuxServer;
  socket: string;
  dir: string;
}

/** Settings that keep tests fast: quick restarts and stops. */
export const FAST: Partial<MuxOptions> = {
  restartBackoffMs: 20,
  restartBackoffMaxMs: 100,
  stopGraceMs: 500,
  stopTermMs: 500,
  shutdownGraceMs: 200,
};

/** Start a mux in this process. */
export async function startMux(
  server: Pick<MuxOptions, "cmd" | "args" | "cwd">,
  options: Partial<MuxOptions> = {},
): Promise<TestMux> {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-test-" });
  const socket = options.socket ?? `${dir}/svc.sock`;
  const mux = await MuxServer.start({ ...FAST, ...server, ...options, socket });
  return {
    mux,
    socket,
    dir,
    async [Symbol.asyncDispose]() {
      await mux.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A real SDK client connected to the mux socket. */
export interface TestClient extends AsyncDisposable {
  client: Client;
  transport: UnixSocketTransport;
}

/**
 * Connect and initialize an SDK client through the socket. `setup` runs
 * before the handshake: register request handlers there (the mux may ask
 * for roots as soon as the client has initialized).
 */
export async function connectClient(
  socket: string,
  name = "test-client",
  capabilities: ClientCapabilities = {},
  options: { protocolVersion?: string; setup?: (client: Client) => void } = {},
): Promise<TestClient> {
  const transport = new UnixSocketTransport(socket, options.protocolVersion);
  const client = new Client({ name, version: "1.0.0" }, { capabilities });
  options.setup?.(client);
  await client.connect(transport);
  return {
    client,
    transport,
    async [Symbol.asyncDispose]() {
      await client.close();
    },
  };
}

/** The text of a tool result: its text content items, joined by newlines. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  return (content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
}

/** A raw line-oriented connection for malformed-input tests. */
export class RawConnection implements AsyncDisposable {
  readonly #conn: Deno.UnixConn;
  readonly #io: Duplex;
  readonly #lines: LineReader;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
    this.#io = socketDuplex(conn);
    this.#lines = new LineReader(() => this.#io.read());
  }

  static async open(socket: string): Promise<RawConnection> {
    return new RawConnection(await Deno.connect({ transport: "unix", path: socket }));
  }

  write(text: string | Uint8Array): Promise<void> {
    return this.#io.write(typeof text === "string" ? new TextEncoder().encode(text) : text);
  }

  /** Send one message as a line. */
  send(message: unknown): Promise<void> {
    return this.#io.write(encodeLine(message));
  }

  /** The next line, parsed; `null` at end of stream. */
  async next(): Promise<Record<string, unknown> | unknown[] | null> {
    const line = await this.#lines.next();
    return line === null ? null : JSON.parse(line);
  }

  /** Read lines until one has the given id (skipping notifications). */
  async answer(id: unknown): Promise<Record<string, unknown>> {
    while (true) {
      const message = await this.next();
      if (message === null) throw new Error(`connection closed before an answer to ${id}`);
      if (!Array.isArray(message) && message.id === id) return message;
    }
  }

  /** Initialize like a client would; returns the result. */
  async initialize(protocolVersion = "2025-11-25", id: unknown = "init"): Promise<
    Record<string, unknown>
  > {
    await this.send({
      jsonrpc: "2.0",
      id,
      method: "initialize",
      params: { protocolVersion, capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    const answer = await this.answer(id);
    await this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return answer.result as Record<string, unknown>;
  }

  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#io.close();
    return Promise.resolve();
  }
}
