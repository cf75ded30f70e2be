/**
 * Protocol eras over Streamable HTTP: the mux's HTTP endpoint speaks the
 * session-based transport of 2025-11-25 and, on the same path, the
 * sessionless one of 2026-07-28. Legacy clients are served whatever the
 * server's era (the shim runs the same for them); dual-era clients (SDK v2
 * `auto`) go 2026-07-28, or fall back to a session when their probe comes
 * before the server is ready. More in `modern_http_test.ts`.
 */

import { Client as ModernClient } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport as ModernHttp } from "@modelcontextprotocol/client";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { connectHttpClient, startHttpMux } from "../_helpers/http.ts";
import { connectModernHttp } from "../_helpers/modern_http.ts";
import { modernServer, textOf } from "../_helpers/mux.ts";

Deno.test("a legacy HTTP client in front of a modern-only server: its own envelope, its own elicitation", async () => {
  await using m = await startHttpMux(modernServer("--reject-legacy"));
  await using c = await connectHttpClient(m, "http-legacy", { elicitation: {} }, {
    setup: (client) =>
      client.setRequestHandler(ElicitRequestSchema, () => ({
        action: "accept",
        content: { answer: "over http" },
      })),
  });
  const who = JSON.parse(textOf(await c.client.callTool({ name: "whoami", arguments: {} })));
  assertEquals(who.era, "modern");
  assertEquals(who.clientInfo.name, "http-legacy");
  const asked = await c.client.callTool({ name: "confirm", arguments: { question: "ok?" } });
  assertEquals(textOf(asked), "the user said over http");
});

for (const upstream of ["legacy", "modern"] as const) {
  Deno.test(`a dual-era HTTP client (SDK v2 auto) in front of a ${upstream} server goes 2026-07-28: no session`, async () => {
    await using m = await startHttpMux(
      upstream === "modern" ? modernServer("--reject-legacy") : modernServer(),
      { upstreamEra: upstream === "modern" ? "auto" : "legacy" },
    );
    await m.mux.waitFor("running", { timeoutMs: 30_000 });
    await using c = await connectModernHttp(m, "auto", { name: "http-modern" });
    assertEquals(c.client.getNegotiatedProtocolVersion(), "2026-07-28");
    assertEquals(c.transport.sessionId, undefined);
    const echoed = await c.client.callTool({ name: "echo", arguments: { text: "http" } });
    assertEquals(textOf(echoed), "http");
    const who = JSON.parse(textOf(await c.client.callTool({ name: "whoami", arguments: {} })));
    assertEquals(who.era, upstream);
    assertEquals(m.listener.sessions, 0, "no HTTP session was opened");
  });
}

Deno.test("a dual-era HTTP client that probes before the server is ready falls back to an initialize session", async () => {
  // The probe is answered at once, never held for a start: -32601 (404), "use initialize".
  await using m = await startHttpMux(modernServer(), { lazyStart: true });
  const transport = new ModernHttp(new URL(m.url), {
    requestInit: { headers: { authorization: `Bearer ${m.token}` } },
  });
  const client = new ModernClient({ name: "http-early", version: "2" }, {
    versionNegotiation: { mode: "auto" },
  });
  await client.connect(transport);
  try {
    assert(transport.sessionId !== undefined, "an initialize session");
    const echoed = await client.callTool({ name: "echo", arguments: { text: "late" } });
    assertEquals(textOf(echoed), "late");
    assertEquals(m.mux.status().eras.clients.legacy, 1);
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close();
  }
});
