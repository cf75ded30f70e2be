/**
 * Modern (2026-07-28) clients in front of a modern server: era detection
 * per connection, passthrough with ids, tokens and stream tags rewritten,
 * `server/discover` from the cache.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import {
  call,
  DISCOVER_RESULT,
  type FakeClient,
  type Harness,
  harness,
  META,
  modernHarness,
  type Msg,
} from "../_helpers/router_harness.ts";

const CAPS = { elicitation: {}, sampling: {} };

/** The envelope a modern client puts on every request. */
function env(extra: Record<string, unknown> = {}, name = "modern") {
  return {
    [META.protocolVersion]: "2026-07-28",
    [META.clientCapabilities]: CAPS,
    [META.clientInfo]: { name, version: "2" },
    ...extra,
  };
}

const modernCall = (id: unknown, name = "echo", meta: Record<string, unknown> = {}): Msg => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: {}, _meta: env(meta) },
});

const listen = (id: unknown, notifications: Record<string, unknown>): Msg => ({
  jsonrpc: "2.0",
  id,
  method: "subscriptions/listen",
  params: { notifications, _meta: env() },
});

/** A modern client pinned by a first call (answered and consumed). */
async function pinned(h: Harness): Promise<FakeClient> {
  const client = h.client();
  h.fromClient(client, modernCall("first"));
  await h.answerUpstream("tools/call", { result: { content: [], resultType: "complete" } });
  client.take();
  return client;
}

Deno.test("server/discover on a modern server: answered from the cache at once, and it pins nothing", () => {
  using h = modernHarness();
  const client = h.client();
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 0,
    method: "server/discover",
    params: { _meta: env() },
  });
  const answer = client.answer(0).result;
  assertEquals(answer.supportedVersions, ["2026-07-28"]);
  assertEquals(answer.capabilities, DISCOVER_RESULT.capabilities);
  assertEquals(answer._meta[META.serverInfo], DISCOVER_RESULT._meta[META.serverInfo]);
  assertEquals(h.upstream.sent, [], "from the cache");
  assertEquals(client.session.era, undefined);
  const init = h.initClient(client, "2025-11-25", 1);
  assertEquals(init.result.serverInfo.name, "modern-upstream", "initialize still works after it");
});

Deno.test("a request with an envelope pins the client modern; it passes through, only its id and token rewritten", async () => {
  using h = modernHarness();
  const client = h.client();
  h.fromClient(client, modernCall(7, "echo", { progressToken: "tok", traceparent: "00-t" }));
  const forwarded = await h.upstream.next((m) => m.method === "tools/call");
  assertEquals(client.session.era, "modern");
  assertEquals(forwarded.params._meta, {
    ...env({ traceparent: "00-t" }),
    progressToken: forwarded.id,
  });
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: forwarded.id, progress: 1 },
  });
  h.fromServer({
    jsonrpc: "2.0",
    id: forwarded.id,
    result: { content: [], resultType: "complete", _meta: { [META.serverInfo]: { name: "s" } } },
  });
  assertEquals(
    client.sent.find((m) => m.method === "notifications/progress").params.progressToken,
    "tok",
  );
  assertEquals(client.answer(7).result, {
    content: [],
    resultType: "complete",
    _meta: { [META.serverInfo]: { name: "s" } },
  });
  assertEquals(h.router.stats().clientEras, { legacy: 0, modern: 1, unknown: 0 });
});

Deno.test("input_required and its retry pass untouched between a modern client and a modern server", async () => {
  using h = modernHarness();
  const client = await pinned(h);
  h.fromClient(client, modernCall(1, "confirm"));
  const first = await h.upstream.next((m) => m.method === "tools/call");
  const required = {
    resultType: "input_required",
    inputRequests: { q: { method: "elicitation/create", params: { message: "?" } } },
    requestState: "opaque\u2028state",
  };
  h.fromServer({ jsonrpc: "2.0", id: first.id, result: required });
  assertEquals(client.answer(1).result, required, "the client answers it, not the mux");
  const retry = modernCall(2, "confirm");
  retry.params.inputResponses = { q: { action: "accept", content: { a: 1 } } };
  retry.params.requestState = "opaque\u2028state";
  h.fromClient(client, retry);
  const second = await h.upstream.next((m) => m.method === "tools/call");
  assertEquals(second.params.inputResponses, retry.params.inputResponses);
  assertEquals(second.params.requestState, "opaque\u2028state");
});

Deno.test("a modern client gets clear errors: legacy-only methods -32601, initialize after the pin -32022, a bad envelope -32602/-32022", async () => {
  using h = modernHarness();
  const client = await pinned(h);
  for (const [id, method] of [[1, "ping"], [2, "logging/setLevel"], [3, "resources/subscribe"]]) {
    h.fromClient(client, { jsonrpc: "2.0", id, method, params: { _meta: env() } });
    assertEquals(client.answer(id).error.code, -32601);
    assertMatch(client.answer(id).error.message, /not part of MCP 2026-07-28/);
  }
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 4,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x" } },
  });
  assertEquals(client.answer(4).error.code, -32022);
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 5,
    method: "tools/list",
    params: { _meta: { [META.protocolVersion]: "2026-07-28" } },
  });
  assertEquals(client.answer(5).error.code, -32602);
  h.fromClient(client, { jsonrpc: "2.0", id: 6, method: "tools/list" });
  assertEquals(client.answer(6).error.code, -32602, "every request of a pinned client needs one");
  const fresh = h.client();
  h.fromClient(fresh, {
    jsonrpc: "2.0",
    id: 7,
    method: "tools/list",
    params: { _meta: { [META.protocolVersion]: "2027-01-01", [META.clientCapabilities]: {} } },
  });
  assertEquals(fresh.answer(7).error.code, -32022);
  assertEquals(fresh.session.era, undefined, "a refused request pins nothing");
  assertEquals(h.upstream.sent.filter((m) => m.method !== "tools/call"), []);
});

Deno.test("listens pass through under the mux's ids; the ack, stream notifications, closing result and server cancel carry each client's own id", async () => {
  using h = modernHarness();
  const a = await pinned(h);
  const b = await pinned(h);
  h.fromClient(a, listen("listen:1", { toolsListChanged: true }));
  h.fromClient(b, listen("listen:1", { resourceSubscriptions: ["file:///r"] }));
  const upA = await h.upstream.next((m) => m.method === "subscriptions/listen");
  const upB = await h.upstream.next((m) => m.method === "subscriptions/listen");
  assert(upA.id !== upB.id, "unique upstream");
  assertEquals(
    upA.params._meta[META.clientInfo].name,
    "modern",
    "the client's envelope reaches the server",
  );
  const tag = (id: unknown) => ({ [META.subscriptionId]: id });
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/subscriptions/acknowledged",
    params: { notifications: { toolsListChanged: true }, _meta: tag(upA.id) },
  });
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/tools/list_changed",
    params: { _meta: tag(upA.id) },
  });
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/resources/updated",
    params: { uri: "file:///r", _meta: tag(upB.id) },
  });
  assertEquals(a.sent.map((m) => [m.method, m.params._meta[META.subscriptionId]]), [
    ["notifications/subscriptions/acknowledged", "listen:1"],
    ["notifications/tools/list_changed", "listen:1"],
  ]);
  assertEquals(b.sent.map((m) => [m.method, m.params._meta[META.subscriptionId]]), [
    ["notifications/resources/updated", "listen:1"],
  ]);
  h.fromServer({
    jsonrpc: "2.0",
    id: upA.id,
    result: { resultType: "complete", _meta: tag(upA.id) },
  });
  assertEquals(a.answer("listen:1").result._meta[META.subscriptionId], "listen:1");
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: upB.id },
  });
  const cancel = b.sent.find((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params.requestId, "listen:1");
  assertEquals(h.router.stats().pendingRequests, 0, "streams are not requests in flight");
});

Deno.test("a client's cancel ends its stream upstream; a restart re-sends open streams and swallows the second ack", async () => {
  using h = modernHarness();
  const a = await pinned(h);
  h.fromClient(a, listen(9, { toolsListChanged: true }));
  h.fromClient(a, listen(10, { toolsListChanged: true }));
  const first = await h.upstream.next((m) => m.method === "subscriptions/listen");
  const second = await h.upstream.next((m) => m.method === "subscriptions/listen");
  const ack = (id: unknown) =>
    h.fromServer({
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: { toolsListChanged: true }, _meta: { [META.subscriptionId]: id } },
    });
  ack(second.id);
  h.fromClient(a, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 9 } });
  const cancel = await h.upstream.next((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params.requestId, first.id);
  h.router.detachUpstream("killed");
  h.router.attachUpstream(h.upstream);
  h.answerDiscover();
  const again = await h.upstream.next((m) =>
    m.method === "subscriptions/listen" && m.params.notifications.toolsListChanged &&
    m.id === second.id
  );
  ack(again.id);
  assertEquals(
    a.sent.filter((m) => m.method === "notifications/subscriptions/acknowledged").length,
    1,
    "the client's stream just goes on",
  );
  assertEquals(a.sent.filter((m) => m.id === 10), [], "and is not ended");
});

Deno.test("modern clients hear only their own streams: never the legacy clients' list changes or server requests", async () => {
  using h = harness();
  h.answerDiscover();
  const lists = await h.upstream.next((m) => m.method === "subscriptions/listen");
  const legacy = h.initialized();
  const modern = await pinned(h);
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/tools/list_changed",
    params: { _meta: { [META.subscriptionId]: lists.id } },
  });
  assertEquals(legacy.sent.length, 1);
  assertEquals(modern.sent, []);
});

Deno.test("a modern server's log line goes to the modern client whose request opted in", async () => {
  using h = modernHarness();
  const loud = await pinned(h);
  const quiet = await pinned(h);
  h.fromClient(loud, modernCall(1, "log", { [META.logLevel]: "info" }));
  h.fromClient(quiet, modernCall(1, "other"));
  await h.upstream.next((m) => m.params?.name === "log");
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { level: "info", data: "x" },
  });
  assertEquals(loud.sent.filter((m) => m.method === "notifications/message").length, 1);
  assertEquals(quiet.sent, []);
});

Deno.test("shutdown ends every stream gracefully; --serialize never holds a client's turn for a stream", async () => {
  using h = modernHarness({ serialize: true });
  const a = await pinned(h);
  const b = await pinned(h);
  h.fromClient(a, listen("l", { toolsListChanged: true }));
  await h.upstream.next((m) => m.method === "subscriptions/listen");
  h.fromClient(b, modernCall(3));
  await h.upstream.next((m) => m.method === "tools/call");
  h.router.close();
  const closed = a.answer("l");
  assertEquals(closed.result, {
    resultType: "complete",
    _meta: {
      [META.subscriptionId]: "l",
      [META.serverInfo]: DISCOVER_RESULT._meta[META.serverInfo],
    },
  });
});

Deno.test("tasks are not bridged: the tasks extension leaves the client's envelope and the discover answer", async () => {
  using h = harness();
  h.answerDiscover({
    ...DISCOVER_RESULT,
    capabilities: { tools: {}, extensions: { "io.modelcontextprotocol/tasks": {} } },
  });
  const client = h.client();
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 0,
    method: "server/discover",
    params: { _meta: env() },
  });
  assertEquals(client.answer(0).result.capabilities, { tools: {} });
  const request = call(1);
  request.params._meta = env({
    [META.clientCapabilities]: {
      sampling: {},
      extensions: { "io.modelcontextprotocol/tasks": {} },
    },
  });
  h.fromClient(client, request);
  const forwarded = await h.upstream.next((m) => m.method === "tools/call");
  assertEquals(forwarded.params._meta[META.clientCapabilities], { sampling: {} });
});
