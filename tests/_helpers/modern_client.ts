/**
 * The real TypeScript SDK v2 client (`@modelcontextprotocol/client`
 * 2.4.0) over the mux socket. The socket transport is a custom
 * stdio-shaped transport, so an `auto` client probes `server/discover` in
 * place, on the connection itself.
 */

import { Client as ModernClient, type ClientCapabilities } from "@modelcontextprotocol/client";
import { UnixSocketTransport } from "./socket_transport.ts";

/** A connected (or connectable) v2 client and what it sent and received. */
export interface TestModernClient extends AsyncDisposable {
  client: ModernClient;
  transport: UnixSocketTransport;
  /** Every message the client sent, in order. */
  sent: { method?: string; id?: unknown; params?: Record<string, unknown> }[];
  connect(): Promise<void>;
}

/**
 * A v2 client for `socket`: `mode` `auto` probes and falls back, `{ pin }`
 * speaks only that revision. `setup` registers handlers before connecting.
 */
export function modernClient(
  socket: string,
  mode: "auto" | "legacy" | { pin: string },
  options: {
    name?: string;
    capabilities?: ClientCapabilities;
    setup?: (client: ModernClient) => void;
  } = {},
): TestModernClient {
  const transport = new UnixSocketTransport(socket);
  const sent: TestModernClient["sent"] = [];
  const send = transport.send.bind(transport);
  transport.send = (message) => {
    sent.push(message as TestModernClient["sent"][number]);
    return send(message);
  };
  const client = new ModernClient({ name: options.name ?? "modern-host", version: "2.4.0" }, {
    versionNegotiation: { mode },
    capabilities: options.capabilities ?? {},
  });
  options.setup?.(client);
  return {
    client,
    transport,
    sent,
    // The v2 client takes any transport of the same shape as the v1 SDK's.
    connect: () => client.connect(transport as unknown as Parameters<typeof client.connect>[0]),
    async [Symbol.asyncDispose]() {
      await client.close();
    },
  };
}

/** Connect a v2 client and return it. */
export async function connectModern(
  socket: string,
  mode: "auto" | "legacy" | { pin: string },
  options: Parameters<typeof modernClient>[2] = {},
): Promise<TestModernClient> {
  const c = modernClient(socket, mode, options);
  await c.connect();
  return c;
}
