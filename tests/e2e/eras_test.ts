/**
 * The 2026-07-28 era at the door: dual-era clients probe with
 * `server/discover` (answered at once, falling back when the server is not
 * ready), pinned clients are served, a modern-only server is named as such
 * when the mux is told to speak only the initialize era.
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

Deno.test("a dual-era client that probes before the server is ready falls back to initialize and uses it", async () => {
  await using t = await startMux(everythingServer(), { lazyStart: true });
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

Deno.test("a probe before the server is ready is told to use initialize at once, and starts nothing", async () => {
  await using t = await startMux(everythingServer(), { lazyStart: true });
  const modern = modernClient(t.socket, { pin: "2026-07-28" });
  try {
    await assertRejects(() => modern.connect(), /did not offer pinned protocol version 2026-07-28/);
    const answer = modern.transport.received[0] as { error: { message: string } };
    assertMatch(answer.error.message, /not ready yet.*use initialize/);
    assertEquals(t.mux.status().server.phase, "idle", "nothing reached (or started) the server");
  } finally {
    await modern.client.close();
  }
});

Deno.test("a pinned client that skips the probe is served by a legacy server (started for it)", async () => {
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
  const answer = await raw.answer(5) as { result: Record<string, unknown> };
  assertEquals(answer.result.resultType, "complete");
  assertEquals(answer.result.content, [{ type: "text", text: "Echo: x" }]);
  assertEquals(t.mux.status().eras.clients.modern, 1);
});

Deno.test("probe-only connections come and go; the next client is served normally", async () => {
  await using t = await startMux(everythingServer());
  await t.mux.waitFor("running", { timeoutMs: 30_000 });
  for (let i = 0; i < 3; i++) {
    await using probe = await RawConnection.open(t.socket);
    await probe.send({
      jsonrpc: "2.0",
      id: 0,
      method: "server/discover",
      params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
    });
    const answer = await probe.answer(0) as { result: { supportedVersions: string[] } };
    assertEquals(answer.result.supportedVersions, ["2026-07-28"], "synthesized by the mux");
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

// Hosts launched with the daemon connect while its server starts (a proxy that started the
// daemon, ten sessions at login): the probe they send once it is up must get its answer.
for (
  const [label, server] of [
    ["a modern-only", modernServer("--reject-legacy")],
    ["a legacy", everythingServer()],
  ] as const
) {
  Deno.test(`a client connected while ${label} server starts gets the discover answer once it is up`, async () => {
    await using t = await startMux(server);
    await using early = await RawConnection.open(t.socket);
    await early.send({ jsonrpc: "2.0", id: 0, method: "ping" });
    await early.answer(0);
    assertEquals(t.mux.status().server.phase, "starting", "connected before the handshake");
    await t.mux.waitFor("running", { timeoutMs: 30_000 });
    await early.send({
      jsonrpc: "2.0",
      id: 1,
      method: "server/discover",
      params: {
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    });
    const answer = await early.answer(1) as { result?: { supportedVersions: string[] } };
    assertEquals(answer.result?.supportedVersions, ["2026-07-28"], JSON.stringify(answer));
    await early.send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/list",
      params: {
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    });
    const tools = await early.answer(2) as { result: { resultType: string } };
    assertEquals(tools.result.resultType, "complete");
    assertEquals(t.mux.status().eras.clients.modern, 1);
  });
}
