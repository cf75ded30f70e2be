import { assertEquals, assertMatch } from "../_helpers/assert.ts";
import { UpstreamHandshake } from "../../src/router/upstream_handshake.ts";

const INFO = { name: "rmcp-mux", version: "1" };
const refusal = {
  jsonrpc: "2.0" as const,
  id: 1,
  error: { code: -32022, message: "no", data: { supported: ["2026-07-28"] } },
};
const discovered = {
  jsonrpc: "2.0" as const,
  id: 2,
  result: {
    supportedVersions: ["2026-07-28"],
    capabilities: { tools: {} },
    _meta: { "io.modelcontextprotocol/serverInfo": { name: "m", version: "1" } },
  },
};

Deno.test("handshake: auto starts with initialize, switches to discover on a modern-only refusal, and remembers it", () => {
  const h = new UpstreamHandshake("auto", INFO, { roots: {} });
  assertEquals(h.first().method, "initialize");
  const next = h.answer(refusal);
  assertEquals(next.kind, "next");
  assertEquals(next.kind === "next" && next.step.method, "server/discover");
  const ready = h.answer(discovered);
  assertEquals(ready.kind === "ready" && [ready.era, ready.protocol], ["modern", "2026-07-28"]);
  assertEquals(ready.kind === "ready" && ready.result.serverInfo, { name: "m", version: "1" });
  assertEquals(h.era, "modern");
  assertEquals(h.first().method, "server/discover", "a restarted process is discovered at once");
});

Deno.test("handshake: legacy never switches; modern never initializes; legacy answers pin legacy", () => {
  const legacy = new UpstreamHandshake("legacy", INFO, {});
  legacy.first();
  const failed = legacy.answer(refusal);
  assertEquals(failed.kind, "failed");
  assertMatch(failed.kind === "failed" ? failed.why : "", /speaks only MCP 2026-07-28/);
  const modern = new UpstreamHandshake("modern", INFO, {});
  const step = modern.first();
  assertEquals(step.method, "server/discover");
  assertEquals(
    (step.params._meta as Record<string, unknown>)["io.modelcontextprotocol/protocolVersion"],
    "2026-07-28",
  );
  const auto = new UpstreamHandshake("auto", INFO, {});
  auto.first();
  const ready = auto.answer({
    jsonrpc: "2.0",
    id: 1,
    result: { protocolVersion: "2025-11-25", capabilities: {}, serverInfo: { name: "l" } },
  });
  assertEquals(ready.kind === "ready" && ready.era, "legacy");
  assertEquals(auto.first().method, "initialize");
});

Deno.test("handshake: a discover answer without a shared version or capabilities fails in words", () => {
  const h = new UpstreamHandshake("modern", INFO, {});
  h.first();
  const bad = h.answer({ jsonrpc: "2.0", id: 1, result: { supportedVersions: ["2030-01-01"] } });
  assertMatch(bad.kind === "failed" ? bad.why : "", /offers \["2030-01-01"\]/);
  h.first();
  const refused = h.answer({ jsonrpc: "2.0", id: 1, error: { code: -32601, message: "nope" } });
  assertEquals(
    refused.kind === "failed" && refused.why,
    "refused server/discover: nope (code -32601)",
  );
});
