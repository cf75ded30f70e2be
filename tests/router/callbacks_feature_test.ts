/** Server → client requests (`callbacks_feature.ts`): one row of docs/routing.md per test. */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { readyHarness } from "../_helpers/router_harness.ts";

Deno.test("callbacks: sampling goes to the client with the request in flight, ids mapped both ways", async () => {
  using h = readyHarness();
  const a = h.client();
  const b = h.client();
  h.initClient(a, "2025-11-25", "init", { sampling: {} });
  h.initClient(b, "2025-11-25", "init", { sampling: {} });
  h.fromClient(b, { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "x" } });
  await h.upstream.next((m) => m.method === "tools/call");
  h.fromServer({
    jsonrpc: "2.0",
    id: 0,
    method: "sampling/createMessage",
    params: { messages: [] },
  });
  assertEquals(a.take(), []);
  const asked = await b.next((m) => m.method === "sampling/createMessage");
  assert(typeof asked.id === "number");
  h.fromClient(b, { jsonrpc: "2.0", id: asked.id, result: { model: "b", role: "assistant" } });
  const answer = await h.upstream.next((m) => m.id === 0);
  assertEquals(answer.result.model, "b");
  // An answer from a client that was not asked is ignored.
  h.fromClient(a, { jsonrpc: "2.0", id: asked.id, result: { model: "a" } });
  assertEquals(h.upstream.take(), []);
});

Deno.test("callbacks: the only busy client cannot sample → an error, never another client's screen", () => {
  using h = readyHarness();
  const able = h.client();
  const busy = h.client();
  h.initClient(able, "2025-11-25", "init", { sampling: {} });
  h.initClient(busy); // no sampling
  h.fromClient(busy, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } });
  h.upstream.take();
  h.fromServer({ jsonrpc: "2.0", id: 3, method: "sampling/createMessage", params: {} });
  assertEquals(able.take(), []);
  const [refused] = h.upstream.take();
  assertEquals(refused.id, 3);
  assert(refused.error.message.includes("cannot do sampling"));
});

Deno.test("callbacks: URL elicitation only reaches a client that declared it", () => {
  using h = readyHarness();
  const form = h.client();
  const url = h.client();
  h.initClient(form, "2025-11-25", "init", { elicitation: {} });
  h.initClient(url, "2025-11-25", "init", { elicitation: { form: {}, url: {} } });
  const request = {
    jsonrpc: "2.0",
    id: 9,
    method: "elicitation/create",
    params: { mode: "url", url: "https://x", message: "go", elicitationId: "e1" },
  };
  h.fromServer(request);
  assertEquals(form.take(), []);
  assertEquals(url.take().map((m) => m.params.elicitationId), ["e1"]);
  // Completion goes to that client only.
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/elicitation/complete",
    params: { elicitationId: "e1" },
  });
  assertEquals(form.take(), []);
  assertEquals(url.take().map((m) => m.method), ["notifications/elicitation/complete"]);
});

Deno.test("callbacks: the server's cancel reaches the one client asked, with its id", async () => {
  using h = readyHarness();
  const a = h.client();
  h.initClient(a, "2025-11-25", "init", { elicitation: {} });
  h.fromServer({
    jsonrpc: "2.0",
    id: "s1",
    method: "elicitation/create",
    params: { message: "?" },
  });
  const asked = await a.next((m) => m.method === "elicitation/create");
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: "s1", reason: "timeout" },
  });
  const cancel = await a.next((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params, { requestId: asked.id, reason: "timeout" });
});

Deno.test("callbacks: a client that leaves mid-question is answered for: cancel / error", async () => {
  using h = readyHarness();
  const a = h.client();
  h.initClient(a, "2025-11-25", "init", { elicitation: {}, sampling: {} });
  h.fromServer({ jsonrpc: "2.0", id: 1, method: "elicitation/create", params: { message: "?" } });
  h.fromServer({ jsonrpc: "2.0", id: 2, method: "sampling/createMessage", params: {} });
  await a.next((m) => m.method === "sampling/createMessage");
  h.router.disconnect(a.session);
  const answers = [
    await h.upstream.next((m) => m.id === 1),
    await h.upstream.next((m) => m.id === 2),
  ];
  assertEquals(answers[0].result, { action: "cancel" });
  assert(answers[1].error.message.includes("disconnected"));
});

Deno.test("restarts: a question the dead server asked a client is cancelled for that client", async () => {
  using h = readyHarness();
  const a = h.client();
  h.initClient(a, "2025-11-25", "init", { elicitation: {} });
  h.fromServer({ jsonrpc: "2.0", id: 4, method: "elicitation/create", params: { message: "?" } });
  const asked = await a.next((m) => m.method === "elicitation/create");
  h.router.detachUpstream("exit code 1");
  const cancel = await a.next((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params.requestId, asked.id);
  assert(cancel.params.reason.includes("exit code 1"));
  // Its late answer goes nowhere.
  h.fromClient(a, { jsonrpc: "2.0", id: asked.id, result: { action: "accept" } });
  assertEquals(h.upstream.take().filter((m) => m.id === 4), []);
});
