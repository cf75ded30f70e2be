/**
 * Legacy clients in front of a modern (2026-07-28) server: the handshake
 * switch, envelopes per client, answers made legacy, and what the mux
 * answers itself.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import {
  call,
  DISCOVER_RESULT,
  harness,
  META,
  modernHarness,
  setLevel,
  subscribe,
} from "../_helpers/router_harness.ts";

const serverInfo = DISCOVER_RESULT._meta[META.serverInfo];

Deno.test("auto: a server refusing initialize as modern-only is switched to server/discover on the same process", () => {
  using h = harness();
  const client = h.client();
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c" } },
  });
  h.answerDiscover();
  const discover = h.upstream.last("server/discover");
  assertEquals(discover.params._meta[META.protocolVersion], "2026-07-28");
  assertEquals(discover.params._meta[META.clientCapabilities], {});
  assertEquals(discover.params._meta[META.clientInfo].name, "rmcp-mux");
  assertEquals(
    h.upstream.sent.filter((m) => m.method === "notifications/initialized"),
    [],
    "the modern era has no initialized notification",
  );
  const answer = client.answer(1);
  assertEquals(answer.result, {
    protocolVersion: "2025-06-18",
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      logging: {},
    },
    serverInfo,
    instructions: "be modern",
  });
  assertEquals(h.router.stats().upstreamEra, "modern");
});

Deno.test("upstream_era modern: only server/discover is sent; legacy: only initialize", () => {
  {
    using h = harness({ upstreamEra: "modern" });
    assertEquals(h.upstream.sent.map((m) => m.method), ["server/discover"]);
  }
  {
    using h = harness({ upstreamEra: "legacy" });
    assertEquals(h.upstream.sent.map((m) => m.method), ["initialize"]);
  }
});

Deno.test("a server whose discover answer shares no version with the mux is reported in words", () => {
  using h = harness({ upstreamEra: "modern" });
  const client = h.client();
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c" } },
  });
  h.answerDiscover({ ...DISCOVER_RESULT, supportedVersions: ["2027-01-01"] });
  assertMatch(
    client.answer(1).error.message,
    /answered server\/discover without .* a version the mux speaks \(it offers \["2027-01-01"\]/,
  );
});

Deno.test("each legacy client's request carries its own envelope: capabilities (minus tasks), identity, log level", async () => {
  using h = modernHarness();
  const a = h.client();
  h.initClient(a, "2025-11-25", "init", { sampling: {}, tasks: { requests: {} } });
  const b = h.client();
  h.fromClient(b, {
    jsonrpc: "2.0",
    id: "init",
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: { elicitation: {} },
      clientInfo: { name: "other", version: "7" },
    },
  });
  h.fromClient(b, setLevel(2, "warning"));
  assertEquals(b.answer(2).result, {}, "setLevel is answered by the mux");
  h.fromClient(a, call(1, "echo", { _meta: { progressToken: "p", traceparent: "00-t" } }));
  h.fromClient(b, call(1));
  const fromA = await h.upstream.next((m) => m.method === "tools/call");
  const fromB = await h.upstream.next((m) => m.method === "tools/call");
  assertEquals(fromA.params._meta, {
    progressToken: fromA.id,
    traceparent: "00-t",
    [META.protocolVersion]: "2026-07-28",
    [META.clientCapabilities]: { sampling: {} },
    [META.clientInfo]: { name: "c", version: "1" },
  });
  assertEquals(fromB.params._meta, {
    [META.protocolVersion]: "2026-07-28",
    [META.clientCapabilities]: { elicitation: {} },
    [META.clientInfo]: { name: "other", version: "7" },
    [META.logLevel]: "warning",
  });
  assertEquals(h.upstream.sent.filter((m) => m.method === "logging/setLevel"), []);
});

Deno.test("answers reach legacy clients without resultType, cache hints or serverInfo", async () => {
  using h = modernHarness();
  const client = h.initialized();
  h.fromClient(client, { jsonrpc: "2.0", id: 5, method: "tools/list" });
  await h.answerUpstream("tools/list", {
    result: {
      tools: [{ name: "t", inputSchema: { type: "object" }, outputSchema: { type: "array" } }],
      resultType: "complete",
      ttlMs: 0,
      cacheScope: "private",
      _meta: { [META.serverInfo]: serverInfo },
    },
  });
  assertEquals(client.answer(5).result, {
    tools: [{
      name: "t",
      inputSchema: { type: "object" },
      outputSchema: {
        type: "object",
        properties: { result: { type: "array" } },
        required: ["result"],
      },
    }],
  });
  h.fromClient(client, call(6));
  await h.answerUpstream("tools/call", {
    result: { content: [], structuredContent: 42, resultType: "complete" },
  });
  assertEquals(client.answer(6).result, { content: [], structuredContent: { result: 42 } });
});

Deno.test("ping and logging/setLevel are answered by the mux; nothing reaches a modern server", () => {
  using h = modernHarness();
  const client = h.initialized();
  h.fromClient(client, { jsonrpc: "2.0", id: 1, method: "ping" });
  h.fromClient(client, setLevel(2, "debug"));
  assertEquals(client.answer(1).result, {});
  assertEquals(client.answer(2).result, {});
  assertEquals(h.upstream.sent, []);
});

Deno.test("health checks a modern server with server/discover, not ping", async () => {
  using h = modernHarness();
  const client = h.client();
  h.fromClient(client, { jsonrpc: "2.0", id: 1, method: "rmcp-mux/health" });
  const probe = await h.upstream.next((m) => m.method === "server/discover");
  assertEquals(probe.params._meta[META.protocolVersion], "2026-07-28");
  h.fromServer({ jsonrpc: "2.0", id: probe.id, result: DISCOVER_RESULT });
  const answer = await client.next((m) => m.id === 1);
  assertEquals(answer.result.status, "ok");
  assertEquals(answer.result.era, "modern");
  assertEquals(h.upstream.sent.filter((m) => m.method === "ping"), []);
});

Deno.test("a request held before the server's era was known gets its client's envelope once it is", async () => {
  using h = harness();
  const client = h.client();
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: "i",
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: { roots: {} },
      clientInfo: { name: "c" },
    },
  });
  h.fromClient(client, call(2));
  assertEquals(h.upstream.sent.filter((m) => m.method === "tools/call"), [], "held");
  h.answerDiscover();
  const forwarded = await h.upstream.next((m) => m.method === "tools/call");
  assertEquals(forwarded.params._meta[META.clientCapabilities], { roots: {} });
  h.fromServer({
    jsonrpc: "2.0",
    id: forwarded.id,
    result: { content: [], resultType: "complete" },
  });
  assertEquals(client.answer(2).result, { content: [] });
});

Deno.test("a modern server's log line reaches the client whose request opted in, at its level", async () => {
  using h = modernHarness();
  const quiet = h.initialized();
  const loud = h.initialized();
  h.fromClient(loud, setLevel(1, "info"));
  h.fromClient(loud, call(2, "log"));
  h.fromClient(quiet, call(2, "other"));
  const request = await h.upstream.next((m) => m.params?.name === "log");
  assertEquals(request.params._meta[META.logLevel], "info");
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { level: "debug", data: "x" },
  });
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { level: "error", data: "y" },
  });
  assertEquals(
    loud.sent.filter((m) => m.method === "notifications/message").map((m) => m.params.data),
    [
      "y",
    ],
  );
  assertEquals(quiet.sent.filter((m) => m.method === "notifications/message"), []);
  assert(
    loud.sent.every((m) => m.method !== "notifications/message" || m.params.level === "error"),
  );
});

Deno.test("resources/subscribe on a modern server: one listen stream per URI, shared, released by the last one", async () => {
  using h = modernHarness();
  const a = h.initialized();
  const b = h.initialized();
  h.fromClient(a, subscribe(1, "file:///x"));
  const listen = await h.upstream.next((m) => m.method === "subscriptions/listen");
  assertEquals(listen.params.notifications, { resourceSubscriptions: ["file:///x"] });
  assertEquals(listen.params._meta[META.protocolVersion], "2026-07-28");
  assertEquals(a.sent.filter((m) => m.id === 1), [], "answered once the server acknowledges");
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/subscriptions/acknowledged",
    params: {
      notifications: { resourceSubscriptions: ["file:///x"] },
      _meta: { [META.subscriptionId]: listen.id },
    },
  });
  await Promise.resolve();
  assertEquals(a.answer(1).result, {});
  h.fromClient(b, subscribe(2, "file:///x"));
  assertEquals(b.answer(2).result, {});
  assertEquals(h.upstream.sent.filter((m) => m.method === "subscriptions/listen").length, 0);
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/resources/updated",
    params: { uri: "file:///x", _meta: { [META.subscriptionId]: listen.id } },
  });
  for (const client of [a, b]) {
    const update = client.sent.find((m) => m.method === "notifications/resources/updated");
    assertEquals(update.params, { uri: "file:///x" }, "untagged for a legacy client");
  }
  h.fromClient(a, {
    jsonrpc: "2.0",
    id: 3,
    method: "resources/unsubscribe",
    params: { uri: "file:///x" },
  });
  assertEquals(h.upstream.sent.filter((m) => m.method === "notifications/cancelled"), []);
  h.fromClient(b, {
    jsonrpc: "2.0",
    id: 3,
    method: "resources/unsubscribe",
    params: { uri: "file:///x" },
  });
  await Promise.resolve();
  const cancel = h.upstream.sent.find((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params.requestId, listen.id);
  assertEquals(b.answer(3).result, {});
});

Deno.test("a subscription the modern server does not honor is refused and rolled back", async () => {
  using h = modernHarness();
  const a = h.initialized();
  h.fromClient(a, subscribe(1, "file:///nope"));
  const listen = await h.upstream.next((m) => m.method === "subscriptions/listen");
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/subscriptions/acknowledged",
    params: { notifications: {}, _meta: { [META.subscriptionId]: listen.id } },
  });
  await Promise.resolve();
  assertEquals(a.answer(1).error.code, -32601);
  assertEquals(h.router.stats().subscriptions, 0);
});

Deno.test("list changes come from the mux's own stream to every legacy client, untagged; it is re-opened after a restart", async () => {
  using h = harness();
  h.answerDiscover();
  const a = h.initialized();
  const lists = await h.upstream.next((m) => m.method === "subscriptions/listen");
  assertEquals(lists.params.notifications, { toolsListChanged: true, resourcesListChanged: true });
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/tools/list_changed",
    params: { _meta: { [META.subscriptionId]: lists.id } },
  });
  const changed = a.sent.find((m) => m.method === "notifications/tools/list_changed");
  assertEquals(changed.params, {});
  // The server restarts: the stream is opened again on the new process.
  h.router.detachUpstream("killed");
  h.router.attachUpstream(h.upstream);
  h.answerDiscover();
  const again = await h.upstream.next((m) => m.method === "subscriptions/listen");
  assert(again.id !== lists.id);
});

Deno.test("a stream the server keeps ending is re-opened a few times, then given up", async () => {
  using h = modernHarness();
  const a = h.initialized();
  h.fromClient(a, subscribe(1, "file:///x"));
  let listen = await h.upstream.next((m) => m.method === "subscriptions/listen");
  for (let i = 0; i < 3; i++) {
    h.fromServer({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: listen.id },
    });
    listen = await h.upstream.next((m) => m.method === "subscriptions/listen");
  }
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: listen.id },
  });
  await Promise.resolve();
  assertEquals(a.answer(1).error.code, -32601);
  assertEquals(h.upstream.sent.filter((m) => m.method === "subscriptions/listen"), []);
});
