/**
 * Modern (2026-07-28) clients in front of a legacy server: discover
 * synthesized, envelopes stripped, results made modern, the server's
 * questions turned into `input_required` while its call is held open, and
 * streams ended in the mux.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import {
  type FakeClient,
  type Harness,
  harness,
  META,
  type Msg,
  readyHarness,
  subscribe,
  UPSTREAM_RESULT,
} from "../_helpers/router_harness.ts";
import { MRTR_HANDLE_TTL_MS } from "../../src/router/mrtr_bridge.ts";

let ids = 0;
const newId = () => `handle-${++ids}`;

function env(caps: Record<string, unknown> = { elicitation: {}, sampling: {} }, extra = {}) {
  return {
    [META.protocolVersion]: "2026-07-28",
    [META.clientCapabilities]: caps,
    [META.clientInfo]: { name: "modern", version: "2" },
    ...extra,
  };
}

const modernCall = (
  id: unknown,
  name = "echo",
  params: Record<string, unknown> = {},
  meta: Record<string, unknown> = env(),
): Msg => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: {}, ...params, _meta: meta },
});

const elicit = (id: unknown, message = "Sure?") => ({
  jsonrpc: "2.0",
  id,
  method: "elicitation/create",
  params: { mode: "form", message, requestedSchema: { type: "object" } },
});

function modernClient(h: Harness): FakeClient {
  return h.client();
}

/** A modern client's call, forwarded; returns the upstream request. */
async function calling(
  h: Harness,
  client: FakeClient,
  id: unknown,
  name = "confirm",
  meta?: Record<string, unknown>,
) {
  h.fromClient(client, modernCall(id, name, {}, meta));
  return await h.upstream.next((m) => m.method === "tools/call" && m.params.name === name);
}

Deno.test("server/discover in front of a legacy server is synthesized from its initialize answer", () => {
  using h = readyHarness();
  const client = modernClient(h);
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 0,
    method: "server/discover",
    params: { _meta: env() },
  });
  assertEquals(client.answer(0).result, {
    resultType: "complete",
    supportedVersions: ["2026-07-28"],
    capabilities: UPSTREAM_RESULT.capabilities,
    instructions: "be nice",
    ttlMs: 0,
    cacheScope: "private",
    _meta: { [META.serverInfo]: UPSTREAM_RESULT.serverInfo },
  });
  assertEquals(h.upstream.sent, []);
});

Deno.test("a modern client's request reaches a legacy server without its envelope; the answer gets resultType, serverInfo, cache hints", async () => {
  using h = readyHarness();
  const client = modernClient(h);
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 1,
    method: "resources/read",
    params: { uri: "file:///a", _meta: env(undefined, { traceparent: "00-t" }) },
  });
  const read = await h.upstream.next((m) => m.method === "resources/read");
  assertEquals(read.params, { uri: "file:///a", _meta: { traceparent: "00-t" } });
  h.fromServer({ jsonrpc: "2.0", id: read.id, result: { contents: [] } });
  assertEquals(client.answer(1).result, {
    contents: [],
    resultType: "complete",
    _meta: { [META.serverInfo]: UPSTREAM_RESULT.serverInfo },
    ttlMs: 0,
    cacheScope: "private",
  });
  h.fromClient(client, {
    jsonrpc: "2.0",
    id: 2,
    method: "resources/read",
    params: { uri: "file:///gone", _meta: env() },
  });
  const missing = await h.upstream.next((m) => m.method === "resources/read");
  h.fromServer({ jsonrpc: "2.0", id: missing.id, error: { code: -32002, message: "no such" } });
  assertEquals(client.answer(2).error.code, -32602, "resource not found is -32602 now");
});

Deno.test("a legacy server's elicitation becomes input_required for the modern call; the retry answers it and takes over the held call", async () => {
  using h = readyHarness({ newId });
  const client = modernClient(h);
  const upstream = await calling(h, client, 1, "confirm", env(undefined, { progressToken: "p1" }));
  h.fromServer(elicit("srv-1"));
  const answered = client.answer(1).result;
  assertEquals(answered.resultType, "input_required");
  assertEquals(Object.values(answered.inputRequests), [{
    method: "elicitation/create",
    params: { mode: "form", message: "Sure?", requestedSchema: { type: "object" } },
  }]);
  const key = Object.keys(answered.inputRequests)[0]!;
  assertMatch(answered.requestState, /^handle-/);
  assertEquals(h.upstream.sent.filter((m) => m.id === "srv-1"), [], "the server's question waits");
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: upstream.id, progress: 1 },
  });
  assertEquals(client.sent.filter((m) => m.method === "notifications/progress"), [], "parked");
  h.fromClient(
    client,
    modernCall(2, "confirm", {
      inputResponses: { [key]: { action: "accept", content: { ok: true } } },
      requestState: answered.requestState,
    }, env(undefined, { progressToken: "p2" })),
  );
  const reply = await h.upstream.next((m) => m.id === "srv-1");
  assertEquals(reply.result, { action: "accept", content: { ok: true } });
  assertEquals(h.upstream.sent.filter((m) => m.method === "tools/call"), [], "no new call");
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: upstream.id, progress: 2 },
  });
  const progress = client.sent.find((m) => m.method === "notifications/progress");
  assertEquals(progress.params.progressToken, "p2", "the retry's own token");
  h.fromServer({
    jsonrpc: "2.0",
    id: upstream.id,
    result: { content: [{ type: "text", text: "ok" }] },
  });
  assertEquals(client.answer(2).result.content[0].text, "ok");
  assertEquals(client.answer(2).result.resultType, "complete");
  assertEquals(client.session.openRequests, 0);
});

Deno.test("a second question after the retry is a new input_required round for the retry", async () => {
  using h = readyHarness({ newId });
  const client = modernClient(h);
  const upstream = await calling(h, client, 1);
  h.fromServer(elicit("srv-1", "one"));
  const first = client.answer(1).result;
  h.fromClient(
    client,
    modernCall(2, "confirm", {
      inputResponses: { q1: { action: "accept" } },
      requestState: first.requestState,
    }),
  );
  await h.upstream.next((m) => m.id === "srv-1");
  h.fromServer({
    jsonrpc: "2.0",
    id: "srv-2",
    method: "sampling/createMessage",
    params: { messages: [], maxTokens: 3 },
  });
  const second = client.answer(2).result;
  assertEquals(second.resultType, "input_required");
  assertEquals(Object.values(second.inputRequests).map((r) => (r as Msg).method), [
    "sampling/createMessage",
  ]);
  assert(second.requestState !== first.requestState);
  h.fromClient(
    client,
    modernCall(3, "confirm", {
      inputResponses: { q1: { role: "assistant", content: { type: "text", text: "x" } } },
      requestState: second.requestState,
    }),
  );
  await h.upstream.next((m) => m.id === "srv-2");
  h.fromServer({ jsonrpc: "2.0", id: upstream.id, result: { content: [] } });
  assertEquals(client.answer(3).result.resultType, "complete");
});

Deno.test("handles are single-use, per client, per call; unknown ones get -32602", async () => {
  using h = readyHarness({ newId });
  const client = modernClient(h);
  const other = modernClient(h);
  await calling(h, client, 1);
  h.fromServer(elicit("srv-1"));
  const handle = client.answer(1).result.requestState;
  h.fromClient(other, modernCall(9, "confirm", { requestState: handle }));
  assertMatch(other.answer(9).error.message, /unknown or expired/);
  h.fromClient(client, modernCall(2, "other-tool", { requestState: handle }));
  assertMatch(client.answer(2).error.message, /belongs to another call \(tools\/call "confirm"\)/);
  h.fromClient(client, modernCall(3, "confirm", { requestState: handle }));
  await h.upstream.next((m) => m.id === "srv-1");
  h.fromClient(client, modernCall(4, "confirm", { requestState: handle }));
  assertMatch(client.answer(4).error.message, /unknown or expired/, "used once");
  h.fromClient(client, modernCall(5, "confirm", { requestState: "made-up" }));
  assertEquals(client.answer(5).error.code, -32602);
});

Deno.test("a question the client leaves unanswered is answered 'cancel'; a call that ended meanwhile gives the retry its outcome", async () => {
  using h = readyHarness({ newId });
  const client = modernClient(h);
  const upstream = await calling(h, client, 1);
  h.fromServer(elicit("srv-1"));
  const handle = client.answer(1).result.requestState;
  h.fromServer({ jsonrpc: "2.0", id: upstream.id, error: { code: -32603, message: "timed out" } });
  h.fromClient(client, modernCall(2, "confirm", { inputResponses: {}, requestState: handle }));
  assertEquals(client.answer(2).error.message, "timed out");
  assertEquals(h.upstream.sent.filter((m) => m.id === "srv-1"), [], "the server is done with it");
  await calling(h, client, 3);
  h.fromServer(elicit("srv-2"));
  const next = client.answer(3).result.requestState;
  h.fromClient(client, modernCall(4, "confirm", { inputResponses: {}, requestState: next }));
  const reply = await h.upstream.next((m) => m.id === "srv-2");
  assertEquals(reply.result, { action: "cancel" });
});

Deno.test("no retry within MRTR_HANDLE_TTL_MS: the server's question is answered 'cancel' and its call cancelled", async () => {
  using h = readyHarness({ newId, requestTimeoutMs: 60_000 });
  const client = modernClient(h);
  const upstream = await calling(h, client, 1);
  h.fromServer(elicit("srv-1"));
  h.clock.advance(60_000);
  assertEquals(
    h.upstream.sent.filter((m) => m.id === "srv-1"),
    [],
    "the handle governs, not the request timeout",
  );
  h.clock.advance(MRTR_HANDLE_TTL_MS);
  const reply = await h.upstream.next((m) => m.id === "srv-1");
  assertEquals(reply.result, { action: "cancel" });
  const cancel = await h.upstream.next((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params.requestId, upstream.id);
});

Deno.test("a modern client that leaves with a question out: the server is answered at once and its call cancelled", async () => {
  using h = readyHarness({ newId });
  const client = modernClient(h);
  const upstream = await calling(h, client, 1);
  h.fromServer(elicit("srv-1"));
  h.router.disconnect(client.session);
  const reply = await h.upstream.next((m) => m.id === "srv-1");
  assertEquals(reply.result, { action: "cancel" });
  const cancel = await h.upstream.next((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params.requestId, upstream.id);
});

Deno.test("attribution: only calls that may carry input_required and whose capabilities cover the question; else the server is answered", async () => {
  using h = readyHarness({ newId });
  const lister = modernClient(h);
  h.fromClient(lister, {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/list",
    params: { _meta: env() },
  });
  await h.upstream.next((m) => m.method === "tools/list");
  h.fromServer(elicit("srv-1"));
  const refused = await h.upstream.next((m) => m.id === "srv-1");
  assertEquals(refused.result, { action: "cancel" }, "a list call cannot be asked anything");
  const noSampling = modernClient(h);
  await calling(h, noSampling, 2, "confirm", env({ elicitation: {} }));
  h.fromServer({
    jsonrpc: "2.0",
    id: "srv-2",
    method: "sampling/createMessage",
    params: { messages: [], maxTokens: 1 },
  });
  const error = await h.upstream.next((m) => m.id === "srv-2");
  assertEquals(error.error.code, -32603);
  assertEquals(noSampling.sent.filter((m) => m.id === 2), [], "its call goes on");
});

Deno.test("with two modern clients in flight the most recent caller is asked (policy rule 3); --serialize makes it exact", async () => {
  {
    using h = readyHarness({ newId });
    const a = modernClient(h);
    const b = modernClient(h);
    await calling(h, a, 1);
    await calling(h, b, 1);
    h.fromServer(elicit("srv-1"));
    assertEquals(b.answer(1).result.resultType, "input_required");
    assertEquals(a.sent, []);
  }
  {
    using h = readyHarness({ newId, serialize: true });
    const a = modernClient(h);
    const b = modernClient(h);
    const first = await calling(h, a, 1);
    h.fromClient(b, modernCall(1, "confirm"));
    h.fromServer(elicit("srv-1"));
    assertEquals(a.answer(1).result.resultType, "input_required", "b waits its turn");
    assertEquals(b.sent, []);
    const handle = a.answer(1).result.requestState;
    h.fromClient(a, modernCall(2, "confirm", { inputResponses: {}, requestState: handle }));
    h.fromServer({ jsonrpc: "2.0", id: first.id, result: { content: [] } });
    assertEquals(a.answer(2).result.resultType, "complete");
    const second = await h.upstream.next((m) => m.method === "tools/call");
    assert(second.id !== first.id, "then b's call goes");
  }
});

Deno.test("-32042 (URL elicitation required) becomes input_required; the retry sends the call again", async () => {
  using h = readyHarness({ newId });
  const client = modernClient(h);
  const upstream = await calling(h, client, 1, "login");
  h.fromServer({
    jsonrpc: "2.0",
    id: upstream.id,
    error: {
      code: -32042,
      message: "auth needed",
      data: {
        elicitations: [{ mode: "url", elicitationId: "e1", url: "https://x", message: "Log in" }],
      },
    },
  });
  const answered = client.answer(1).result;
  assertEquals(Object.values(answered.inputRequests), [{
    method: "elicitation/create",
    params: { mode: "url", url: "https://x", message: "Log in" },
  }]);
  h.fromClient(
    client,
    modernCall(2, "login", {
      inputResponses: { url1: { action: "accept" } },
      requestState: answered.requestState,
    }),
  );
  const again = await h.upstream.next((m) => m.method === "tools/call");
  assertEquals(again.params, { name: "login", arguments: {} });
});

Deno.test("streams end in the mux in front of a legacy server: honored filter, tagged notifications, shared subscriptions", () => {
  using h = readyHarness();
  const modern = modernClient(h);
  const legacy = h.initialized();
  h.fromClient(modern, {
    jsonrpc: "2.0",
    id: "L",
    method: "subscriptions/listen",
    params: {
      notifications: {
        toolsListChanged: true,
        promptsListChanged: true,
        resourceSubscriptions: ["file:///r"],
      },
      _meta: env(),
    },
  });
  const ack = modern.sent.find((m) => m.method === "notifications/subscriptions/acknowledged");
  assertEquals(ack.params, {
    notifications: { toolsListChanged: true },
    _meta: { [META.subscriptionId]: "L" },
  }, "prompts declare no listChanged, resources no subscribe");
  h.fromServer({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
  const changed = modern.sent.find((m) => m.method === "notifications/tools/list_changed");
  assertEquals(changed.params._meta[META.subscriptionId], "L");
  assertEquals(
    legacy.sent.filter((m) => m.method === "notifications/tools/list_changed").length,
    1,
  );
  h.fromClient(modern, {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: "L" },
  });
  h.fromServer({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
  assertEquals(
    modern.sent.filter((m) => m.method === "notifications/tools/list_changed").length,
    1,
  );
  assertEquals(modern.session.openRequests, 0);
});

Deno.test("a stream's URIs share the server subscription with legacy clients; updates tagged; the last one out unsubscribes", async () => {
  using s = harness();
  s.answerInit({
    ...UPSTREAM_RESULT,
    capabilities: { resources: { subscribe: true, listChanged: true } },
  });
  s.upstream.take();
  const modern = s.client();
  const legacy = s.initialized();
  s.fromClient(modern, {
    jsonrpc: "2.0",
    id: 4,
    method: "subscriptions/listen",
    params: { notifications: { resourceSubscriptions: ["file:///r"] }, _meta: env() },
  });
  const sub = await s.answerUpstream("resources/subscribe", { result: {} });
  assertEquals(sub.params, { uri: "file:///r" });
  s.fromClient(legacy, subscribe(1, "file:///r"));
  assertEquals((await legacy.next((m) => m.id === 1)).result, {});
  s.fromServer({
    jsonrpc: "2.0",
    method: "notifications/resources/updated",
    params: { uri: "file:///r" },
  });
  const tagged = modern.sent.find((m) => m.method === "notifications/resources/updated");
  assertEquals(tagged.params, { uri: "file:///r", _meta: { [META.subscriptionId]: 4 } });
  assertEquals(legacy.sent.find((m) => m.method === "notifications/resources/updated").params, {
    uri: "file:///r",
  });
  s.router.disconnect(legacy.session);
  assertEquals(s.upstream.sent.filter((m) => m.method === "resources/unsubscribe"), []);
  s.fromClient(modern, {
    jsonrpc: "2.0",
    id: 5,
    method: "subscriptions/listen",
    params: { notifications: { resourcesListChanged: true }, _meta: env() },
  });
  s.fromClient(modern, {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: 4 },
  });
  const unsubscribe = await s.upstream.next((m) => m.method === "resources/unsubscribe");
  assertEquals(unsubscribe.params, { uri: "file:///r" });
  s.router.close();
  assertEquals(modern.answer(5).result._meta[META.subscriptionId], 5, "graceful end on shutdown");
  assertEquals(modern.sent.filter((m) => m.id === 4), [], "a cancelled stream gets no result");
});

Deno.test("a log line reaches a modern client only when its request is the one opted in", async () => {
  using h = readyHarness();
  const a = modernClient(h);
  const b = modernClient(h);
  await calling(h, a, 1, "log", env(undefined, { [META.logLevel]: "info" }));
  const line = {
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { level: "info", data: 1 },
  };
  h.fromServer(line);
  assertEquals(a.sent.filter((m) => m.method === "notifications/message").length, 1);
  await calling(h, b, 1, "log", env(undefined, { [META.logLevel]: "debug" }));
  h.fromServer(line);
  assertEquals(a.sent.filter((m) => m.method === "notifications/message").length, 1, "ambiguous");
  assertEquals(b.sent.filter((m) => m.method === "notifications/message").length, 0);
});

Deno.test("a modern client that cancels its call after input_required: the server's question is answered 'cancel', its call cancelled", async () => {
  using h = readyHarness({ newId });
  const client = modernClient(h);
  const upstream = await calling(h, client, 1);
  h.fromServer(elicit("srv-1"));
  assertEquals(client.answer(1).result.resultType, "input_required");
  h.fromClient(client, {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: 1 },
  });
  const cancel = await h.upstream.next((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params.requestId, upstream.id);
  const reply = await h.upstream.next((m) => m.id === "srv-1");
  assertEquals(reply.result, { action: "cancel" });
  assertEquals(client.session.openRequests, 0);
});
