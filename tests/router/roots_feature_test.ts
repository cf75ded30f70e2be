/** Roots, merged for the server (`roots_feature.ts`): one row of docs/routing.md per test. */

import { assertEquals } from "../_helpers/assert.ts";
import { call, readyHarness } from "../_helpers/router_harness.ts";

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

/** Let the mux read an answer it awaits (a promise continuation). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("roots stay fresh: a client that answered with an error is asked again when the server asks, and on its next request", async () => {
  using h = readyHarness();
  const late = h.client();
  h.initClient(late, "2025-11-25", "init", { roots: {} });
  const first = await late.next((m) => m.method === "roots/list");
  h.fromClient(late, {
    jsonrpc: "2.0",
    id: first.id,
    error: { code: -32601, message: "Method not found" },
  });
  await settle();
  // The server asks: the mux asks the client again before answering (its handler exists now).
  h.fromServer({ jsonrpc: "2.0", id: 7, method: "roots/list" });
  const again = await late.next((m) => m.method === "roots/list");
  assertEquals(h.upstream.take().filter((m) => m.id === 7), [], "the server waits for the answer");
  h.fromClient(late, {
    jsonrpc: "2.0",
    id: again.id,
    result: { roots: [{ uri: "file:///late" }] },
  });
  const answer = await h.upstream.next((m) => m.id === 7);
  assertEquals(answer.result.roots, [{ uri: "file:///late" }]);

  // Another client that errs is asked again on its next request (a server that never asks).
  const other = h.client();
  h.initClient(other, "2025-11-25", "init", { roots: {} });
  const ask = await other.next((m) => m.method === "roots/list");
  h.fromClient(other, { jsonrpc: "2.0", id: ask.id, error: { code: -32601, message: "no" } });
  await settle();
  h.fromClient(other, call(1));
  const retry = await other.next((m) => m.method === "roots/list");
  h.fromClient(other, { jsonrpc: "2.0", id: retry.id, result: { roots: [{ uri: "file:///o" }] } });
  await h.upstream.next((m) => m.method === "notifications/roots/list_changed");
  h.fromServer({ jsonrpc: "2.0", id: 8, method: "roots/list" });
  const both = await h.upstream.next((m) => m.id === 8);
  assertEquals(both.result.roots.map((r: { uri: string }) => r.uri), ["file:///late", "file:///o"]);
});

Deno.test("roots: clients of different projects sharing a roots-using server are warned about, once", async () => {
  using h = readyHarness();
  const rooted = async (uri: string) => {
    const c = h.client();
    h.initClient(c, "2025-11-25", "init", { roots: {} });
    const ask = await c.next((m) => m.method === "roots/list");
    h.fromClient(c, { jsonrpc: "2.0", id: ask.id, result: { roots: [{ uri }] } });
    return c;
  };
  await rooted("file:///a");
  const b = await rooted("file:///b");
  assertEquals(h.router.warnings(), [], "not until the server shows it uses roots");
  h.fromServer({ jsonrpc: "2.0", id: 7, method: "roots/list" });
  await h.upstream.next((m) => m.id === 7);
  assertEquals(h.router.warnings(), [
    "roots from 2 projects are merged; consider isolation: roots",
  ]);
  h.router.disconnect(b.session);
  assertEquals(h.router.warnings(), []);
});
