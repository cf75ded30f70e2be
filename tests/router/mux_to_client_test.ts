import { deepStrictEqual, notStrictEqual, strictEqual } from "node:assert/strict";
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
  for (const id of ids) strictEqual(typeof id, "number");
  strictEqual(new Set(ids).size, ids.length);
});

Deno.test("ids are not reused after a call is answered", () => {
  const calls = new MuxToClientTable<string>();
  const first = calls.add("a", routed(1));
  calls.take("a", first);
  notStrictEqual(calls.add("a", routed(1)), first);
});

Deno.test("a client's response takes the call it answers, once", () => {
  const calls = new MuxToClientTable<string>();
  const call = routed("srv-1");
  const id = calls.add("a", call);
  strictEqual(calls.take("a", id), call);
  strictEqual(calls.take("a", id), undefined, "a second answer matches nothing");
});

Deno.test("a client cannot answer a call sent to another client", () => {
  const calls = new MuxToClientTable<string>();
  const id = calls.add("a", routed(1));
  strictEqual(calls.take("b", id), undefined);
  // The rightful client still can.
  strictEqual(calls.take("a", id)?.kind, "routed");
});

Deno.test("a response with a string id never matches, even one that looks like the number", () => {
  const calls = new MuxToClientTable<string>();
  const id = calls.add("a", routed(1));
  strictEqual(calls.take("a", String(id)), undefined);
  strictEqual(calls.take("a", null), undefined);
  strictEqual(calls.take("a", undefined), undefined);
  deepStrictEqual(calls.findRouted(1), { client: "a", id }, "the call is still open");
});

Deno.test("findRouted tells where a server request went", () => {
  const calls = new MuxToClientTable<string>();
  const idA = calls.add("a", routed(7));
  const idB = calls.add("b", routed("req-8"));
  deepStrictEqual(calls.findRouted(7), { client: "a", id: idA });
  deepStrictEqual(calls.findRouted("req-8"), { client: "b", id: idB });
  strictEqual(calls.findRouted(9), undefined);
});

Deno.test('findRouted tells the server\'s id 1 from its id "1"', () => {
  const calls = new MuxToClientTable<string>();
  const numeric = calls.add("a", routed(1));
  const text = calls.add("b", routed("1"));
  deepStrictEqual(calls.findRouted(1), { client: "a", id: numeric });
  deepStrictEqual(calls.findRouted("1"), { client: "b", id: text });
  calls.take("a", numeric);
  strictEqual(calls.findRouted(1), undefined);
  deepStrictEqual(calls.findRouted("1"), { client: "b", id: text });
});

Deno.test("an answered call can no longer be found for cancellation", () => {
  const calls = new MuxToClientTable<string>();
  const id = calls.add("a", routed(5));
  calls.take("a", id);
  strictEqual(calls.findRouted(5), undefined);
});

Deno.test("internal calls are never found as server requests", () => {
  const calls = new MuxToClientTable<string>();
  const id = calls.add("a", internal(100));
  strictEqual(calls.findRouted(id), undefined);
});

Deno.test("routedByToken finds a client's routed call by its progress token", () => {
  const calls = new MuxToClientTable<string>();
  const tokened = routed(1, "tok-1");
  calls.add("a", routed(2));
  calls.add("a", tokened);
  calls.add("a", routed(3, 42));
  strictEqual(calls.routedByToken("a", "tok-1"), tokened);
  strictEqual(calls.routedByToken("a", 42)?.upstreamId, 3);
  strictEqual(calls.routedByToken("a", "42"), undefined, "token types are not mixed");
  strictEqual(calls.routedByToken("a", "nope"), undefined);
});

Deno.test("routedByToken does not find another client's call", () => {
  const calls = new MuxToClientTable<string>();
  calls.add("a", routed(1, "tok"));
  strictEqual(calls.routedByToken("b", "tok"), undefined);
});

Deno.test("removeClient returns every open call of a departed client and forgets them", () => {
  const calls = new MuxToClientTable<string>();
  const r = routed(1);
  const i = internal(100);
  const idR = calls.add("a", r);
  calls.add("a", i);
  const other = calls.add("b", routed(2));
  const removed = calls.removeClient("a");
  strictEqual(removed.length, 2);
  strictEqual(removed.includes(r), true);
  strictEqual(removed.includes(i), true);
  strictEqual(calls.findRouted(1), undefined);
  strictEqual(calls.take("a", idR), undefined);
  deepStrictEqual(calls.removeClient("a"), [], "nothing of a's is left");
  strictEqual(calls.nextDeadline(), Infinity);
  // The other client is untouched.
  deepStrictEqual(calls.findRouted(2), { client: "b", id: other });
});

Deno.test("removeClient of a client with no calls returns nothing", () => {
  const calls = new MuxToClientTable<string>();
  deepStrictEqual(calls.removeClient("a"), []);
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
  deepStrictEqual(
    removed.sort((x, y) => x.id - y.id),
    [{ client: "a", id: id1, call: r1 }, { client: "b", id: id2, call: r2 }],
  );
  strictEqual(calls.findRouted(1), undefined);
  strictEqual(calls.findRouted(2), undefined);
  deepStrictEqual(calls.removeRouted(), [], "no routed call is left");
  strictEqual(calls.nextDeadline(), 100);
  strictEqual(calls.take("a", idI), i);
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
  strictEqual(expired.length, 2);
  strictEqual(expired.includes(due), true);
  strictEqual(expired.includes(exact), true, "a deadline equal to now has passed");
  strictEqual(calls.nextDeadline(), 200);
  strictEqual(calls.take("a", idLater), later);
  strictEqual(calls.take("a", idRouted)?.kind, "routed", "routed calls never expire");
});

Deno.test("expire before any deadline returns nothing", () => {
  const calls = new MuxToClientTable<string>();
  calls.add("a", internal(100));
  deepStrictEqual(calls.expire(99), []);
  strictEqual(calls.nextDeadline(), 100);
});

Deno.test("nextDeadline is the earliest internal deadline, routed calls have none", () => {
  const calls = new MuxToClientTable<string>();
  strictEqual(calls.nextDeadline(), Infinity);
  calls.add("a", routed(1));
  strictEqual(calls.nextDeadline(), Infinity);
  calls.add("a", internal(300));
  const early = calls.add("b", internal(120));
  calls.add("a", internal(200));
  strictEqual(calls.nextDeadline(), 120);
  calls.take("b", early);
  strictEqual(calls.nextDeadline(), 200);
});

Deno.test("progress without a token never matches a routed call that has none", () => {
  const calls = new MuxToClientTable<string>();
  calls.add("a", {
    kind: "routed",
    method: "sampling/createMessage",
    upstreamId: 1,
    progressToken: undefined,
  });
  strictEqual(calls.routedByToken("a", undefined), undefined);
});
