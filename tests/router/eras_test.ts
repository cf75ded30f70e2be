import { assertEquals, assertMatch } from "../_helpers/assert.ts";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { harness, UPSTREAM_RESULT } from "../_helpers/router_harness.ts";
import { describeInitRejection } from "../../src/router/eras.ts";

const META = "io.modelcontextprotocol/protocolVersion";
const discover = (id: unknown) => ({
  jsonrpc: "2.0",
  id,
  method: "server/discover",
  params: { _meta: { [META]: "2026-07-28" } },
});

Deno.test("server/discover is answered -32601 by the mux at once: no upstream, no lazy start", () => {
  let demanded = 0;
  using h = harness({ onDemand: () => demanded++ }, false);
  const client = h.client();
  h.fromClient(client, discover(1));
  const answer = client.answer(1);
  assertEquals(answer.error.code, ErrorCode.MethodNotFound);
  assertMatch(answer.error.message, /server\/discover.*use initialize/);
  assertEquals(h.upstream.sent, [], "the probe never reaches the server");
  assertEquals(demanded, 0, "a probe does not start a lazy server");
});

Deno.test("server/discover is answered even while the client waits for a slot", () => {
  using h = harness();
  const waiting = h.client(false);
  h.fromClient(waiting, discover("p"));
  assertEquals(waiting.answer("p").error.code, ErrorCode.MethodNotFound);
});

Deno.test("initialize right after a probe works on the same connection", () => {
  using h = harness();
  h.answerInit();
  const client = h.client();
  h.fromClient(client, discover(0));
  assertEquals(client.answer(0).result.supportedVersions, ["2026-07-28"], "the probe is answered");
  assertEquals(client.session.era, undefined, "and pins nothing");
  const init = h.initClient(client, "2025-11-25", 1);
  assertEquals(init.result.protocolVersion, "2025-11-25");
  assertEquals(init.result.serverInfo, UPSTREAM_RESULT.serverInfo);
});

Deno.test("an initialize answer never carries a 2026 version, whatever client and server said", () => {
  using h = harness();
  // A dual-era server that wrongly echoes the modern version in its initialize answer.
  h.answerInit({ ...UPSTREAM_RESULT, protocolVersion: "2026-07-28" });
  const modernAsker = h.client();
  assertEquals(h.initClient(modernAsker, "2026-07-28", 1).result.protocolVersion, "2025-11-25");
  const older = h.client();
  assertEquals(h.initClient(older, "2025-06-18", 2).result.protocolVersion, "2025-06-18");
  const unknown = h.client();
  assertEquals(h.initClient(unknown, "1999-01-01", 3).result.protocolVersion, "2025-11-25");
});

Deno.test("a client pinned to 2026-07-28 (envelope, no initialize) is served by a legacy server", async () => {
  using h = harness();
  h.answerInit();
  h.upstream.take();
  const client = h.client();
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 7,
    method: "tools/call",
    params: {
      name: "echo",
      arguments: {},
      _meta: { [META]: "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} },
    },
  });
  const forwarded = await h.upstream.next((m) => m.method === "tools/call");
  assertEquals(forwarded.params, { name: "echo", arguments: {} }, "the envelope is stripped");
  h.fromServer({ jsonrpc: "2.0", id: forwarded.id, result: { content: [] } });
  assertEquals(client.answer(7).result.resultType, "complete");
});

Deno.test("an initialized client's requests are forwarded as before, envelope or not", async () => {
  using h = harness();
  h.answerInit();
  const client = h.client();
  h.initClient(client);
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 8,
    method: "tools/list",
    params: { _meta: { [META]: "2026-07-28" } },
  });
  const forwarded = await h.upstream.next((m) => m.method === "tools/list");
  assertEquals(forwarded.params._meta[META], "2026-07-28");
});

Deno.test("upstream_era legacy: a server that refuses initialize as modern-only is reported as such, in words", () => {
  using h = harness({ upstreamEra: "legacy" });
  const init = h.upstream.last("initialize");
  const client = h.client();
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c" } },
  });
  h.fromServer({
    jsonrpc: "2.0",
    id: init.id,
    error: {
      code: -32022,
      message: "Unsupported protocol version",
      data: { supported: ["2026-07-28"], requested: "2025-11-25" },
    },
  });
  const answer = client.answer(1);
  assertEquals(answer.error.code, ErrorCode.ServerUnavailable);
  assertMatch(answer.error.message, /speaks only MCP 2026-07-28/);
  assertMatch(answer.error.message, /set it to auto .* or modern \(--upstream-era\)/);
  assertEquals(h.upstream.sent.filter((m) => m.method === "server/discover"), [], "no switch");
});

Deno.test("describeInitRejection: modern-only in words, anything else as it came", () => {
  assertMatch(
    describeInitRejection({ code: -32022, message: "no", data: { supported: ["2026-07-28"] } }),
    /^speaks only MCP 2026-07-28 and refused the mux's initialize: no \(code -32022\)/,
  );
  // FastMCP ≥ 4 says it in its message, with a generic code.
  assertMatch(
    describeInitRejection({
      code: -32600,
      message: "connection is serving the 2026-07-28 protocol; initialize is not accepted",
    }),
    /^speaks only MCP 2026-07-28/,
  );
  assertEquals(
    describeInitRejection({ code: -32603, message: "missing API key" }),
    "rejected initialize: missing API key (code -32603)",
  );
  // -32022 that lists legacy versions is a version quarrel, not a modern-only server.
  assertMatch(
    describeInitRejection({ code: -32022, message: "x", data: { supported: ["2025-06-18"] } }),
    /^rejected initialize/,
  );
});
