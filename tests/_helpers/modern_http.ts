/**
 * MCP 2026-07-28 over the mux's HTTP endpoint: the real SDK v2 client
 * (`@modelcontextprotocol/client` 2.4.0) over its own Streamable HTTP
 * transport, recording what it sends and receives, and raw POSTs with the
 * transport's headers built from the body (for bad-input tests).
 */

import {
  Client as ModernClient,
  type ClientCapabilities,
  StreamableHTTPClientTransport as ModernHttp,
} from "@modelcontextprotocol/client";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { Received } from "./http.ts";

/** A message as recorded (either direction). */
export type Recorded = {
  id?: unknown;
  method?: string;
  params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  result?: Record<string, unknown>;
};

/** A v2 client over HTTP and what it sent and received. */
export interface ModernHttpClient extends AsyncDisposable {
  client: ModernClient;
  transport: ModernHttp;
  /** Every message it sent, in order. */
  sent: Recorded[];
  /** Every message that reached it (after connecting), in order. */
  received: Received;
}

/**
 * Connect a v2 client to `m.url` over Streamable HTTP: `mode` `auto` probes
 * and falls back, `{ pin }` speaks only that revision. `setup` registers
 * handlers before connecting.
 */
export async function connectModernHttp(
  m: { url: string; token: string },
  mode: "auto" | { pin: string },
  options: {
    name?: string;
    capabilities?: ClientCapabilities;
    setup?: (client: ModernClient) => void;
  } = {},
): Promise<ModernHttpClient> {
  const transport = new ModernHttp(new URL(m.url), {
    requestInit: m.token ? { headers: { authorization: `Bearer ${m.token}` } } : {},
  });
  const sent: Recorded[] = [];
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    sent.push(message as Recorded);
    return send(message, options);
  };
  const client = new ModernClient({ name: options.name ?? "modern-http", version: "2.4.0" }, {
    versionNegotiation: { mode },
    capabilities: options.capabilities ?? {},
  });
  options.setup?.(client);
  await client.connect(transport);
  const received = new Received();
  const handler = transport.onmessage;
  transport.onmessage = (message) => {
    received.push(message as unknown as JSONRPCMessage);
    handler?.(message);
  };
  return {
    client,
    transport,
    sent,
    received,
    async [Symbol.asyncDispose]() {
      await client.close();
    },
  };
}

/** The `_meta` envelope of a 2026-07-28 request. */
export function envelope(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
    ...extra,
  };
}

/** A 2026-07-28 request body with its envelope. */
export function modernRequest(
  id: number | string,
  method: string,
  params: Record<string, unknown> = {},
): Record<string, unknown> {
  return { jsonrpc: "2.0", id, method, params: { ...params, _meta: envelope() } };
}

/**
 * The headers a conforming client sends with `body`: the token, the media
 * types, `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`; `extra` wins
 * (a `null` value removes a header).
 */
export function modernHeaders(
  token: string,
  body: Record<string, unknown>,
  extra: Record<string, string | null> = {},
): Record<string, string> {
  const params = body.params as Record<string, unknown> | undefined;
  const version = (params?._meta as Record<string, unknown> | undefined)?.[
    "io.modelcontextprotocol/protocolVersion"
  ];
  const name = body.method === "resources/read" ? params?.uri : params?.name;
  const headers: Record<string, string | null> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(typeof version === "string" ? { "mcp-protocol-version": version } : {}),
    ...(typeof body.method === "string" ? { "mcp-method": body.method } : {}),
    ...(typeof name === "string" ? { "mcp-name": name } : {}),
    ...extra,
  };
  return Object.fromEntries(
    Object.entries(headers).filter((e): e is [string, string] => e[1] !== null),
  );
}

/** An answer to a raw POST: status, headers, and the JSON-RPC message(s) it carried. */
export interface ModernAnswer {
  status: number;
  headers: Headers;
  /** The body: one JSON object, or the messages of an event stream. */
  messages: Recorded[] & { error?: { code: number; message: string; data?: unknown } }[];
  text: string;
}

/** POST `body` with a conforming client's headers (`extra` overrides); read the whole answer. */
export async function modernPost(
  url: string,
  token: string,
  body: Record<string, unknown>,
  extra: Record<string, string | null> = {},
): Promise<ModernAnswer> {
  const response = await fetch(url, {
    method: "POST",
    headers: modernHeaders(token, body, extra),
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  const messages = type.startsWith("text/event-stream")
    ? text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)))
    : text
    ? [JSON.parse(text)]
    : [];
  return { status: response.status, headers: response.headers, messages, text };
}
