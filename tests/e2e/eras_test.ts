/**
 * The 2026-07-28 era meets a mux of the initialize era: dual-era clients
 * probe with `server/discover` and fall back; pinned modern clients are told
 * which versions are served; a modern-only server is named as such.
 * Real peers: the TypeScript SDK v2 client and server (2.4.0).
 */

import { modernClient } from "../_helpers/modern_client.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import {
  connectClient,
  everythingServer,
  modernServer,
  RawConnection,
  startMux,
  textOf,
} from "../_helpers/mux.ts";
import { checkHealth } from "../../src/health/check.ts";

Deno.test("a dual-era client probes, falls back to initialize, and uses the server", async () => {
  await using t = await startMux(everythingServer());
  const modern = modernClient(t.socket, "auto");
  await modern.connect();
  try {
    assertEquals(modern.sent[0]?.method, "server/discover", "it probed first, in place");
    const probeAnswer = modern.transport.received[0] as { error?: { code: number } };
    assertEquals(probeAnswer.error?.code, -32601);
    assert(modern.sent.some((m) => m.method === "initialize"), "then it fell back");
    const result = await modern.client.callTool({ name: "echo", arguments: { message: "hi" } });
    assertEquals(textOf(result), "Echo: hi");
    assertEquals(modern.client.getServerVersion()?.name, "mcp-servers/everything");
  } finally {
    await modern.client.close();
  }
});

Deno.test("a client pinned to 2026-07-28 fails at connect, told which versions are served", async () => {
  await using t = await startMux(everythingServer(), { lazyStart: true });
  const modern = modernClient(t.socket, { pin: "2026-07-28" });
  try {
    await assertRejects(() => modern.connect(), /did not offer pinned protocol version 2026-07-28/);
    const answer = modern.transport.received[0] as { error: { message: string } };
    assertMatch(answer.error.message, /serves MCP 2024-11-05, .*2025-11-25: use initialize/);
    assertEquals(t.mux.status().server.phase, "idle", "nothing reached (or started) the server");
  } finally {
    await modern.client.close();
  }
});

Deno.test("a pinned client that skips the probe gets -32022 naming the served versions", async () => {
  await using t = await startMux(everythingServer(), { lazyStart: true });
  await using raw = await RawConnection.open(t.socket);
  await raw.send({
    jsonrpc: "2.0",
    id: 5,
    method: "tools/call",
    params: {
      name: "echo",
      arguments: { message: "x" },
      _meta: {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
      },
    },
  });
  const answer = await raw.answer(5) as { error: { code: number; data: { supported: string[] } } };
  assertEquals(answer.error.code, -32022);
  assertEquals(answer.error.data.supported, [
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
  ]);
  assertEquals(t.mux.status().server.phase, "idle", "not forwarded, not even started");
});

Deno.test("probe-only connections come and go; the next client is served normally", async () => {
  await using t = await startMux(everythingServer());
  for (let i = 0; i < 3; i++) {
    await using probe = await RawConnection.open(t.socket);
    await probe.send({
      jsonrpc: "2.0",
      id: 0,
      method: "server/discover",
      params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
    });
    const answer = await probe.answer(0) as { error: { code: number } };
    assertEquals(answer.error.code, -32601);
  }
  await t.mux.waitForStatus((s) => s.clients.connected === 0);
  await using c = await connectClient(t.socket);
  const result = await c.client.callTool({ name: "echo", arguments: { message: "after" } });
  assertEquals(textOf(result), "Echo: after");
});

Deno.test("upstream_era legacy: a modern-only server behind the mux is reported as such, in words", async () => {
  await using t = await startMux(modernServer("--reject-legacy"), { upstreamEra: "legacy" });
  const raw = await RawConnection.open(t.socket);
  try {
    await raw.send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "h" } },
    });
    const answer = await raw.answer(1) as { error: { message: string } };
    assertMatch(
      answer.error.message,
      /speaks only MCP 2026-07-28 and refused the mux's initialize/,
    );
    const health = await checkHealth(t.socket, { timeoutMs: 5_000 });
    assertEquals(health.ok, false);
    assertMatch(health.message, /speaks only MCP 2026-07-28/);
  } finally {
    await raw[Symbol.asyncDispose]();
  }
});

Deno.test("a dual-era server (SDK v2, default) is served in the initialize era", async () => {
  await using t = await startMux(modernServer());
  await using c = await connectClient(t.socket);
  assertEquals(c.client.getServerVersion()?.name, "modern-fixture");
  const result = await c.client.callTool({ name: "echo", arguments: { text: "legacy era" } });
  assertEquals(textOf(result), "legacy era");
});
