import { assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { readyHarness } from "../_helpers/router_harness.ts";
import { SerialGate } from "../../src/router/serial_gate.ts";
import { CANCEL_GRACE_MS } from "../../src/router/cancelled_calls.ts";

Deno.test("nobody is active on a fresh gate", () => {
  const gate = new SerialGate<string, number>();
  assertStrictEquals(gate.active, undefined);
  assertStrictEquals(gate.waiting, 0);
});

Deno.test("the first client is let through and becomes active", () => {
  const gate = new SerialGate<string, number>();
  assertStrictEquals(gate.offer("a", 1), true);
  assertStrictEquals(gate.active, "a");
  assertStrictEquals(gate.waiting, 0);
});

Deno.test("the active client's further requests pass too", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  assertStrictEquals(gate.offer("a", 2), true);
  assertStrictEquals(gate.offer("a", 3), true);
  assertStrictEquals(gate.active, "a");
  assertStrictEquals(gate.waiting, 1);
});

Deno.test("other clients are queued while one is active", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  assertStrictEquals(gate.offer("b", 10), false);
  assertStrictEquals(gate.offer("c", 20), false);
  assertStrictEquals(gate.offer("b", 11), false);
  assertStrictEquals(gate.waiting, 3);
  assertStrictEquals(gate.active, "a");
});

Deno.test("a release by a client that is not active does nothing", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  assertStrictEquals(gate.release("b"), undefined);
  assertStrictEquals(gate.release("stranger"), undefined);
  assertStrictEquals(gate.active, "a");
  assertStrictEquals(gate.waiting, 1);
});

Deno.test("releasing hands over to the earliest waiting client with all its queued items in order", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  gate.offer("c", 20);
  gate.offer("b", 11);
  gate.offer("c", 21);
  gate.offer("b", 12);
  assertEquals(gate.release("a"), { client: "b", items: [10, 11, 12] });
  assertStrictEquals(gate.active, "b");
  // c keeps its place and its items.
  assertStrictEquals(gate.waiting, 2);
  assertEquals(gate.release("b"), { client: "c", items: [20, 21] });
  assertStrictEquals(gate.active, "c");
  assertStrictEquals(gate.waiting, 0);
});

Deno.test("the order of waiting clients is their arrival order, not their name", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("z", 26);
  gate.offer("m", 13);
  assertEquals(gate.release("a")?.client, "z");
  assertEquals(gate.release("z")?.client, "m");
});

Deno.test("the new active client's later requests pass while the others still wait", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  gate.offer("c", 20);
  gate.release("a");
  assertStrictEquals(gate.offer("b", 11), true);
  assertStrictEquals(gate.offer("a", 2), false, "the former active client now queues");
  assertEquals(gate.release("b"), { client: "c", items: [20] });
  assertEquals(gate.release("c"), { client: "a", items: [2] });
});

Deno.test("releasing with nobody waiting clears the active client", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  assertStrictEquals(gate.release("a"), undefined);
  assertStrictEquals(gate.active, undefined);
  // The next comer goes straight through.
  assertStrictEquals(gate.offer("b", 10), true);
  assertStrictEquals(gate.active, "b");
});

Deno.test("drop returns a departed waiting client's items and leaves the active one", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  gate.offer("c", 20);
  gate.offer("b", 11);
  assertEquals(gate.drop("b"), { items: [10, 11], next: undefined });
  assertStrictEquals(gate.active, "a");
  assertStrictEquals(gate.waiting, 1);
  assertEquals(gate.release("a"), { client: "c", items: [20] });
});

Deno.test("drop of the active client hands over to the next waiting client", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  gate.offer("b", 11);
  gate.offer("c", 20);
  assertEquals(gate.drop("a"), { items: [], next: { client: "b", items: [10, 11] } });
  assertStrictEquals(gate.active, "b");
  assertStrictEquals(gate.waiting, 1);
});

Deno.test("drop of the active client with nobody waiting leaves the gate free", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  assertEquals(gate.drop("a"), { items: [], next: undefined });
  assertStrictEquals(gate.active, undefined);
  assertStrictEquals(gate.offer("b", 10), true);
});

Deno.test("drop of an unknown client changes nothing", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  assertEquals(gate.drop("stranger"), { items: [], next: undefined });
  assertStrictEquals(gate.active, "a");
  assertStrictEquals(gate.waiting, 1);
});

Deno.test("clients are compared by identity", () => {
  const a = { name: "a" };
  const gate = new SerialGate<{ name: string }, string>();
  gate.offer(a, "x");
  assertStrictEquals(gate.offer({ name: "a" }, "y"), false);
  assertStrictEquals(gate.release({ name: "a" }), undefined);
  assertStrictEquals(gate.active, a);
});

Deno.test("a held release gives the turn to nobody, not even the releasing client, until resume", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  assertStrictEquals(gate.release("a", true), undefined);
  assertStrictEquals(gate.active, undefined);
  assertStrictEquals(gate.held, true);
  assertStrictEquals(gate.offer("a", 2), false, "a waits too, behind b");
  assertStrictEquals(gate.offer("c", 20), false);
  assertEquals(gate.resume(), { client: "b", items: [10] });
  assertStrictEquals(gate.held, false);
  assertStrictEquals(gate.resume(), undefined, "nothing held: nothing to resume");
  assertEquals(gate.release("b"), { client: "a", items: [2] });
});

Deno.test("a held drop keeps the turn from the next client; drain ends the hold", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  assertEquals(gate.drop("a", true), { items: [], next: undefined });
  assertStrictEquals(gate.held, true);
  assertEquals(gate.drain(), [10]);
  assertStrictEquals(gate.held, false);
  assertStrictEquals(gate.offer("c", 20), true);
});

// ── Through the router ───────────────────────────────────────────────────

Deno.test("serialize: one client's requests upstream at a time, the next in arrival order", () => {
  using h = readyHarness({ serialize: true });
  const a = h.client();
  const b = h.client();
  const c = h.client();
  for (const x of [a, b, c]) h.initClient(x);
  const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: {} });
  h.fromClient(a, call(1));
  h.fromClient(a, call(2)); // the same client's requests travel together
  h.fromClient(b, call(1));
  h.fromClient(c, call(1));
  h.fromClient(b, call(2));
  const first = h.upstream.take();
  assertEquals(first.length, 2);
  for (const m of first) h.fromServer({ jsonrpc: "2.0", id: m.id, result: {} });
  const second = h.upstream.take();
  assertEquals(second.length, 2, "b's two requests, together");
  assertEquals(c.take(), []);
  for (const m of second) h.fromServer({ jsonrpc: "2.0", id: m.id, result: {} });
  assertEquals(h.upstream.take().length, 1, "then c's");
  assertEquals(b.take().map((m) => m.id), [1, 2]);
});

Deno.test("serialize: a callback goes to the client whose requests are upstream, not to one held back", async () => {
  using h = readyHarness({ serialize: true });
  const a = h.client();
  const b = h.client();
  h.initClient(a, "2025-11-25", "init", { sampling: {} });
  h.initClient(b, "2025-11-25", "init", { sampling: {} });
  h.fromClient(a, { jsonrpc: "2.0", id: 1, method: "tools/call", params: {} });
  h.fromClient(b, { jsonrpc: "2.0", id: 1, method: "tools/call", params: {} }); // held: b asked last
  assertEquals(h.upstream.take().length, 1);
  h.fromServer({ jsonrpc: "2.0", id: 7, method: "sampling/createMessage", params: {} });
  assertEquals(b.take(), []);
  assertEquals((await a.next((m) => m.method === "sampling/createMessage")).params, {});
});

Deno.test("serialize: a waiting client whose requests were all cancelled does not stall the gate", () => {
  using h = readyHarness({ serialize: true });
  const [a, b, c] = [h.client(), h.client(), h.client()];
  for (const x of [a, b, c]) h.initClient(x);
  const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: {} });
  h.fromClient(a, call(1));
  h.fromClient(b, call(1)); // waits behind a…
  h.fromClient(b, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
  h.fromClient(c, call(1)); // …and so does c
  const [first] = h.upstream.take();
  h.fromServer({ jsonrpc: "2.0", id: first.id, result: {} });
  assertEquals(h.upstream.take().length, 1, "c's request went up: b's empty turn was skipped");
});

Deno.test("serialize: when the client whose turn it is leaves, the next one's requests go up once the server is done with its call", () => {
  using h = readyHarness({ serialize: true });
  const [a, b] = [h.client(), h.client()];
  for (const x of [a, b]) h.initClient(x);
  const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: {} });
  h.fromClient(a, call(1));
  h.fromClient(b, call(7)); // waits behind a
  const [first] = h.upstream.take();
  h.router.disconnect(a.session);
  assertEquals(h.upstream.take().map((m) => m.method), ["notifications/cancelled"]);
  // The server answers the cancelled call after all (it went on): b's turn.
  h.fromServer({ jsonrpc: "2.0", id: first.id, result: {} });
  const [next] = h.upstream.take();
  assertEquals(next.method, "tools/call");
  h.fromServer({ jsonrpc: "2.0", id: next.id, result: {} });
  assertEquals(b.take().map((m) => m.id), [7]);
});

Deno.test("serialize switched live: off sends what waited for its turn; on makes the next client wait", () => {
  using h = readyHarness({ serialize: true });
  const [a, b] = [h.client(), h.client()];
  for (const x of [a, b]) h.initClient(x);
  const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: {} });
  h.fromClient(a, call(1));
  h.fromClient(b, call(2)); // waits for a's turn
  h.fromClient(b, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 2 } });
  h.fromClient(b, call(3)); // waits too
  assertEquals(h.upstream.take().length, 1);
  h.router.configure({ serialize: false });
  const released = h.upstream.take();
  assertEquals(released.length, 1, "b's live request, not the one it cancelled");
  for (const m of released) h.fromServer({ jsonrpc: "2.0", id: m.id, result: {} });
  assertEquals(b.take().map((m) => m.id), [3]);
  h.fromClient(b, call(4));
  assertEquals(h.upstream.take().length, 1, "no gate: b's request goes up while a's is out");
  h.router.configure({ serialize: true });
  h.fromClient(a, call(5)); // a takes the turn…
  h.fromClient(b, call(6)); // …and b waits for it
  assertEquals(h.upstream.take().length, 1);
});

Deno.test("serialize: the server hears a cancel (a departure, a timeout) before the next client's request, which waits out the grace", () => {
  for (const how of ["cancel", "disconnect", "timeout"] as const) {
    using h = readyHarness({ serialize: true, requestTimeoutMs: 60_000 });
    const [a, b] = [h.client(), h.client()];
    for (const x of [a, b]) h.initClient(x);
    h.fromClient(a, { jsonrpc: "2.0", id: 1, method: "tools/call", params: {} });
    h.clock.advance(30_000); // b's request times out well after a's
    h.fromClient(b, { jsonrpc: "2.0", id: 1, method: "tools/call", params: {} }); // waits for a
    const [first] = h.upstream.take();
    if (how === "cancel") {
      h.fromClient(a, {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 1 },
      });
    } else if (how === "disconnect") h.router.disconnect(a.session);
    else h.clock.advance(30_000);
    const after = h.upstream.take();
    assertEquals(after.map((m) => m.method), ["notifications/cancelled"], `${how}: the cancel`);
    assertEquals((after[0]!.params as { requestId: unknown }).requestId, first!.id);
    h.clock.advance(CANCEL_GRACE_MS);
    assertEquals(h.upstream.take().map((m) => m.method), ["tools/call"], `${how}: then b's`);
  }
});
