/** Roots, merged for the server (`roots_feature.ts`): one row of docs/routing.md per test. */

import { assertEquals } from "../_helpers/assert.ts";
import { readyHarness } from "../_helpers/router_harness.ts";

Deno.test("roots: the server gets the union of clients' roots, and list_changed when it changes", async () => {
  using h = readyHarness();
  const a = h.client();
  const b = h.client();
  const noRoots = h.client();
  h.initClient(a, "2025-11-25", "init", { roots: { listChanged: true } });
  const askA = await a.next((m) => m.method === "roots/list");
  h.fromClient(a, { jsonrpc: "2.0", id: askA.id, result: { roots: [{ uri: "file:///a" }] } });
  await h.upstream.next((m) => m.method === "notifications/roots/list_changed");
  h.initClient(b, "2025-11-25", "init", { roots: {} });
  const askB = await b.next((m) => m.method === "roots/list");
  h.fromClient(b, {
    jsonrpc: "2.0",
    id: askB.id,
    result: { roots: [{ uri: "file:///b" }, { uri: "file:///a" }] },
  });
  await h.upstream.next((m) => m.method === "notifications/roots/list_changed");
  h.initClient(noRoots);
  assertEquals(noRoots.take(), [], "a client without roots is never asked");
  h.fromServer({ jsonrpc: "2.0", id: 7, method: "roots/list" });
  const answer = await h.upstream.next((m) => m.id === 7);
  assertEquals(answer.result.roots.map((r: { uri: string }) => r.uri), ["file:///a", "file:///b"]);
  // A client announcing a change is asked again.
  h.fromClient(b, { jsonrpc: "2.0", method: "notifications/roots/list_changed" });
  const again = await b.next((m) => m.method === "roots/list");
  h.fromClient(b, { jsonrpc: "2.0", id: again.id, result: { roots: [] } });
  await h.upstream.next((m) => m.method === "notifications/roots/list_changed");
  // Leaving changes the union too.
  h.router.disconnect(a.session);
  await h.upstream.next((m) => m.method === "notifications/roots/list_changed");
  h.fromServer({ jsonrpc: "2.0", id: 8, method: "roots/list" });
  assertEquals((await h.upstream.next((m) => m.id === 8)).result.roots, []);
});
