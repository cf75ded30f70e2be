/**
 * HTTP test scaffolding: a mux with an HTTP listener in front of it (the
 * real listener, on a loopback port), real SDK clients over the SDK's
 * `StreamableHTTPClientTransport`, and raw `fetch` for bad-input tests.
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ClientCapabilities, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { MuxOptions } from "../../src/config/options.ts";
import { HttpListener } from "../../src/http/listener.ts";
import type { HttpOptions } from "../../src/http/options.ts";
import { startMux, type TestMux } from "./mux.ts";

/** A mux, its listener, and the token (when auth is on). */
export interface HttpTestMux extends TestMux {
  listener: HttpListener;
  /** The service's endpoint URL. */
  url: string;
  /** The bearer token ("" with auth none). */
  token: string;
}

/**
 * Start a mux and an HTTP listener for it on 127.0.0.1 (a free port). The
 * token lives in the test's temp directory.
 */
export async function startHttpMux(
  server: Pick<MuxOptions, "cmd" | "args" | "cwd">,
  options: Partial<MuxOptions> = {},
  http: Partial<HttpOptions> = {},
): Promise<HttpTestMux> {
  const m = await startMux(server, options);
  const tokenFile = `${m.dir}/state/http.token`;
  let listener: HttpListener;
  try {
    listener = await HttpListener.start(
      { listen: "127.0.0.1:0", tokenFile, ...http },
      { get: (name) => (name === m.mux.service ? m.mux : undefined), names: () => [m.mux.service] },
    );
  } catch (error) {
    await m[Symbol.asyncDispose]();
    throw error;
  }
  m.mux.httpUrl = listener.urlFor(m.mux.service);
  const token = (http.auth ?? "token") === "token"
    ? (await Deno.readTextFile(tokenFile)).trim()
    : "";
  return {
    ...m,
    listener,
    url: listener.urlFor(m.mux.service),
    token,
    async [Symbol.asyncDispose]() {
      await listener.close();
      await m[Symbol.asyncDispose]();
    },
  };
}

/** Every message an SDK transport hands its client, in order, with a way to await one. */
export class Received {
  readonly messages: JSONRPCMessage[] = [];
  #waiters: (() => void)[] = [];

  push(message: JSONRPCMessage): void {
    this.messages.push(message);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** The first message (from index `from` on) matching `predicate`. */
  async next(predicate: (message: JSONRPCMessage) => boolean, from = 0): Promise<JSONRPCMessage> {
    while (true) {
      const found = this.messages.slice(from).find(predicate);
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Received notifications with this method. */
  notifications(method: string): { method: string; params?: Record<string, unknown> }[] {
    return this.messages.filter((m) =>
      (m as { method?: string }).method === method && !("id" in m)
    ) as {
      method: string;
      params?: Record<string, unknown>;
    }[];
  }
}

/** Record what reaches the client from now on (call after it connected). */
function record(transport: StreamableHTTPClientTransport, received: Received): void {
  const handler = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage, extra?: unknown) => {
    received.push(message);
    (handler as ((m: JSONRPCMessage, e?: unknown) => void) | undefined)?.(message, extra);
  };
}

/** A real SDK client over Streamable HTTP. */
export interface HttpTestClient extends AsyncDisposable {
  client: Client;
  transport: StreamableHTTPClientTransport;
  received: Received;
}

/** Connect and initialize an SDK client over HTTP (`setup` runs before the handshake). */
export async function connectHttpClient(
  m: { url: string; token: string },
  name = "http-client",
  capabilities: ClientCapabilities = {},
  options: { setup?: (client: Client) => void; url?: string } = {},
): Promise<HttpTestClient> {
  const transport = new StreamableHTTPClientTransport(new URL(options.url ?? m.url), {
    requestInit: m.token ? { headers: { authorization: `Bearer ${m.token}` } } : {},
  });
  const received = new Received();
  const client = new Client({ name, version: "1.0.0" }, { capabilities });
  options.setup?.(client);
  await client.connect(transport);
  record(transport, received);
  return {
    client,
    transport,
    received,
    async [Symbol.asyncDispose]() {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/** Headers a well-behaved client sends on a POST. */
export function postHeaders(
  token: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...extra,
  };
}

/** A raw POST; returns the status, headers and body text (always consumed). */
export async function rawPost(
  url: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Open a raw session: initialize and initialized; returns the session id. */
export async function rawSession(url: string, token: string, version = "2025-11-25"): Promise<
  string
> {
  const init = await rawPost(
    url,
    JSON.stringify({
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: {
        protocolVersion: version,
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    }),
    postHeaders(token),
  );
  const id = init.headers.get("mcp-session-id");
  if (init.status !== 200 || !id) throw new Error(`initialize failed: ${init.status} ${init.text}`);
  const done = await rawPost(
    url,
    JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    postHeaders(token, { "mcp-session-id": id }),
  );
  if (done.status !== 202) throw new Error(`initialized got ${done.status}`);
  return id;
}

/** Parse an answer that came as JSON or as SSE: every JSON-RPC message in it. */
export function messagesOf(text: string, contentType: string | null): Record<string, unknown>[] {
  if (contentType?.startsWith("application/json")) {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value : [value];
  }
  return text.split("\n\n").flatMap((event) => {
    const data = event.split("\n").filter((l) => l.startsWith("data:")).map((l) =>
      l.slice(5).trimStart()
    ).join("\n");
    return data ? [JSON.parse(data)] : [];
  });
}

/** Resolves once `check` holds (re-checked every 20 ms); rejects after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | false,
  timeoutMs = 10_000,
  what = "a condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
