/** Resource subscriptions, shared upstream (`resources_feature.ts`): one row of docs/routing.md per test. */

import { assertEquals } from "../_helpers/assert.ts";
import { readyHarness, subscribe, unsubscribe, updated } from "../_helpers/router_harness.ts";

Deno.test("subscriptions: forwarded on 0→1 and 1→0 only; updates reach subscribers only", async () => {
  using h = readyHarness();
  const a = h.client();
  const b = h.client();
  const c = h.client();
  for (const x of [a, b, c]) h.initClient(x);
  h.fromClient(a, subscribe(1, "file:///x"));
  await h.answerUpstream("resources/subscribe", { result: {} });
  assertEquals((await a.next((m) => m.id === 1)).result, {});
  h.fromClient(b, subscribe(2, "file:///x"));
  assertEquals(b.answer(2).result, {}, "answered locally: already subscribed upstream");
  assertEquals(h.upstream.sent.filter((m) => m.method === "resources/subscribe").length, 0);
  b.take();
  h.fromServer(updated("file:///x"));
  assertEquals(a.take().map((m) => m.params.uri), ["file:///x"]);
  assertEquals(b.take().map((m) => m.params.uri), ["file:///x"]);
  assertEquals(c.take(), [], "a client that never subscribed sees nothing");
  // One unsubscribe does not end the other's updates.
  h.fromClient(a, unsubscribe(3, "file:///x"));
  assertEquals(a.answer(3).result, {});
  assertEquals(h.upstream.sent.filter((m) => m.method === "resources/unsubscribe").length, 0);
  a.take();
  h.fromServer(updated("file:///x"));
  assertEquals(a.take(), []);
  assertEquals(b.take().length, 1);
  h.fromClient(b, unsubscribe(4, "file:///x"));
  await h.answerUpstream("resources/unsubscribe", { result: {} });
  assertEquals((await b.next((m) => m.id === 4)).result, {});
});

Deno.test("subscriptions: a refused subscribe is rolled back, for everyone who waited", async () => {
  using h = readyHarness();
  const a = h.client();
  const b = h.client();
  h.initClient(a);
  h.initClient(b);
  h.fromClient(a, subscribe(1, "file:///nope"));
  h.fromClient(b, subscribe(1, "file:///nope")); // arrives while the first is in flight
  await h.answerUpstream("resources/subscribe", {
    error: { code: -32002, message: "Resource not found" },
  });
  assertEquals((await a.next((m) => m.id === 1)).error.code, -32002);
  assertEquals((await b.next((m) => m.id === 1)).error.code, -32002);
  h.fromServer(updated("file:///nope"));
  assertEquals([a.take(), b.take()], [[], []]);
  // Nothing is counted: the next subscribe goes upstream again.
  h.fromClient(a, subscribe(2, "file:///nope"));
  await h.answerUpstream("resources/subscribe", { result: {} });
  assertEquals((await a.next((m) => m.id === 2)).result, {});
});

Deno.test("subscriptions: released when a client leaves; the last one out unsubscribes upstream", async () => {
  using h = readyHarness();
  const a = h.client();
  h.initClient(a);
  h.fromClient(a, subscribe(1, "file:///x"));
  await h.answerUpstream("resources/subscribe", { result: {} });
  await a.next((m) => m.id === 1);
  h.router.disconnect(a.session);
  const request = await h.upstream.next((m) => m.method === "resources/unsubscribe");
  assertEquals(request.params, { uri: "file:///x" });
});

Deno.test("subscriptions: updates for a sub-resource reach the parent's subscribers", async () => {
  using h = readyHarness();
  const a = h.client();
  h.initClient(a);
  h.fromClient(a, subscribe(1, "file:///dir"));
  await h.answerUpstream("resources/subscribe", { result: {} });
  await a.next((m) => m.id === 1);
  h.fromServer(updated("file:///dir/file.txt"));
  h.fromServer(updated("file:///directory-sibling"));
  assertEquals(a.take().map((m) => m.params.uri), ["file:///dir/file.txt"]);
});
