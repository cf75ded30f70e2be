import { assertEquals, assertNotStrictEquals, assertStrictEquals } from "../_helpers/assert.ts";
import {
  type InternalCall,
  MuxToClientTable,
  type RoutedCall,
} from "../../src/router/mux_to_client.ts";
import type { JsonRpcId } from "../../src/jsonrpc/message.ts";

const routed = (
  upstreamId: JsonRpcId,
  progressToken?: JsonRpcId,
  method = "sampling/createMessage",
): RoutedCall => ({ kind: "routed", method, upstreamId, progressToken });

const internal = (deadline: number): InternalCall => ({
  kind: "internal",
  method: "roots/list",
  resolve: () => {},
  deadline,
});

Deno.test("every call gets a fresh numeric id, even across clients", () => {
  const calls = new MuxToClientTable<string>();
  const ids = [
    calls.add("a", routed(1)),
    calls.add("b", routed(2)),
    calls.add("a", internal(100)),
    calls.add("b", internal(100)),
  ];
  for (const id of ids) assertStrictEquals(typeof id, "number");
  assertStrictEquals(new Set(ids).size, ids.length);
});

Deno.test("ids are not reused after a call is answered", () => {
  const calls = new MuxToClientTable<string>();
  const first = calls.add("a", routed(1));
  calls.take("a", first);
  assertNotStrictEquals(calls.add("a", routed(1)), first);
});

Deno.test("a client's response takes the call it answers, once", () => {
  const calls = new MuxToClientTable<string>();
  const call = routed("srv-1");
  const id = calls.add("a", call);
  assertStrictEquals(calls.take("a", id), call);
  assertStrictEquals(calls.take("a", id), undefined, "a second answer matches nothing");
});

Deno.test("a client cannot answer a call sent to another client", () => {
  const calls = new MuxToClientTable<string>();
  const id = calls.add("a", routed(1));
  assertStrictEquals(calls.take("b", id), undefined);
  // The rightful client still can.
  assertStrictEquals(calls.take("a", id)?.kind, "routed");
});

Deno.test("a response with a string id never matches, even one that looks like the number", () => {
  const calls = new MuxToClientTable<string>();
  const id = calls.add("a", routed(1));
  assertStrictEquals(calls.take("a", String(id)), undefined);
  assertStrictEquals(calls.take("a", null), undefined);
  assertStrictEquals(calls.take("a", undefined), undefined);
  assertEquals(calls.findRouted(1), { client: "a", id }, "the call is still open");
});

Deno.test("findRouted tells where a server request went", () => {
  const calls = new MuxToClientTable<string>();
  const idA = calls.add("a", routed(7));
  const idB = calls.add("b", routed("req-8"));
  assertEquals(calls.findRouted(7), { client: "a", id: idA });
  assertEquals(calls.findRouted("req-8"), { client: "b", id: idB });
  assertStrictEquals(calls.findRouted(9), undefined);
});

Deno.test('findRouted tells the server\'s id 1 from its id "1"', () => {
  const calls = new MuxToClientTable<string>();
  const numeric = calls.add("a", routed(1));
  const text = calls.add("b", routed("1"));
  assertEquals(calls.findRouted(1), { client: "a", id: numeric });
  assertEquals(calls.findRouted("1"), { client: "b", id: text });
  calls.take("a", numeric);
  assertStrictEquals(calls.findRouted(1), undefined);
  assertEquals(calls.findRouted("1"), { client: "b", id: text });
});

Deno.test("an answered call can no longer be found for cancellation", () => {
  const calls = new MuxToClientTable<string>();
  const id = calls.add("a", routed(5));
  calls.take("a", id);
  assertStrictEquals(calls.findRouted(5), undefined);
});

Deno.test("internal calls are never found as server requests", () => {
  const calls = new MuxToClientTable<string>();
  const id = calls.add("a", internal(100));
  assertStrictEquals(calls.findRouted(id), undefined);
});

Deno.test("routedByToken finds a client's routed call by its progress token", () => {
  const calls = new MuxToClientTable<string>();
  const tokened = routed(1, "tok-1");
  calls.add("a", routed(2));
  calls.add("a", tokened);
  calls.add("a", routed(3, 42));
  assertStrictEquals(calls.routedByToken("a", "tok-1"), tokened);
  assertStrictEquals(calls.routedByToken("a", 42)?.upstreamId, 3);
  assertStrictEquals(calls.routedByToken("a", "42"), undefined, "token types are not mixed");
  assertStrictEquals(calls.routedByToken("a", "nope"), undefined);
});

Deno.test("routedByToken does not find another client's call", () => {
  const calls = new MuxToClientTable<string>();
  calls.add("a", routed(1, "tok"));
  assertStrictEquals(calls.routedByToken("b", "tok"), undefined);
});

Deno.test("removeClient returns every open call of a departed client and forgets them", () => {
  const calls = new MuxToClientTable<string>();
  const r = routed(1);
  const i = internal(100);
  const idR = calls.add("a", r);
  calls.add("a", i);
  const other = calls.add("b", routed(2));
  const removed = calls.removeClient("a");
  assertStrictEquals(removed.length, 2);
  assertStrictEquals(removed.includes(r), true);
  assertStrictEquals(removed.includes(i), true);
  assertStrictEquals(calls.findRouted(1), undefined);
  assertStrictEquals(calls.take("a", idR), undefined);
  assertEquals(calls.removeClient("a"), [], "nothing of a's is left");
  assertStrictEquals(calls.nextDeadline(), Infinity);
  // The other client is untouched.
  assertEquals(calls.findRouted(2), { client: "b", id: other });
});

Deno.test("removeClient of a client with no calls returns nothing", () => {
  const calls = new MuxToClientTable<string>();
  assertEquals(calls.removeClient("a"), []);
});

Deno.test("removeRouted returns every routed call and leaves the mux's own calls", () => {
  const calls = new MuxToClientTable<string>();
  const r1 = routed(1);
  const r2 = routed(2);
  const i = internal(100);
  const id1 = calls.add("a", r1);
  const idI = calls.add("a", i);
  const id2 = calls.add("b", r2);
  const removed = calls.removeRouted();
  assertEquals(
    removed.sort((x, y) => x.id - y.id),
    [{ client: "a", id: id1, call: r1 }, { client: "b", id: id2, call: r2 }],
  );
  assertStrictEquals(calls.findRouted(1), undefined);
  assertStrictEquals(calls.findRouted(2), undefined);
  assertEquals(calls.removeRouted(), [], "no routed call is left");
  assertStrictEquals(calls.nextDeadline(), 100);
  assertStrictEquals(calls.take("a", idI), i);
});

Deno.test("expire returns the mux's own calls past their deadline, and only those", () => {
  const calls = new MuxToClientTable<string>();
  const due = internal(100);
  const exact = internal(150);
  const later = internal(200);
  calls.add("a", due);
  calls.add("b", exact);
  const idLater = calls.add("a", later);
  const idRouted = calls.add("a", routed(1));
  const expired = calls.expire(150);
  assertStrictEquals(expired.length, 2);
  assertStrictEquals(expired.includes(due), true);
  assertStrictEquals(expired.includes(exact), true, "a deadline equal to now has passed");
  assertStrictEquals(calls.nextDeadline(), 200);
  assertStrictEquals(calls.take("a", idLater), later);
  assertStrictEquals(calls.take("a", idRouted)?.kind, "routed", "routed calls never expire");
});

Deno.test("expire before any deadline returns nothing", () => {
  const calls = new MuxToClientTable<string>();
  calls.add("a", internal(100));
  assertEquals(calls.expire(99), []);
  assertStrictEquals(calls.nextDeadline(), 100);
});

Deno.test("nextDeadline is the earliest internal deadline, routed calls have none", () => {
  const calls = new MuxToClientTable<string>();
  assertStrictEquals(calls.nextDeadline(), Infinity);
  calls.add("a", routed(1));
  assertStrictEquals(calls.nextDeadline(), Infinity);
  calls.add("a", internal(300));
  const early = calls.add("b", internal(120));
  calls.add("a", internal(200));
  assertStrictEquals(calls.nextDeadline(), 120);
  calls.take("b", early);
  assertStrictEquals(calls.nextDeadline(), 200);
});

Deno.test("progress without a token never matches a routed call that has none", () => {
  const calls = new MuxToClientTable<string>();
  calls.add("a", {
    kind: "routed",
    method: "sampling/createMessage",
    upstreamId: 1,
    progressToken: undefined,
  });
  assertStrictEquals(calls.routedByToken("a", undefined), undefined);
});
