/**
 * Cancelled requests the server may still be running (`cancelled_calls.ts`):
 * a question the server asks meanwhile may be theirs, so it reaches no other
 * client; serialize mode holds the next turn. Time moves only with the fake
 * clock.
 */

import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import {
  call,
  type FakeClient,
  type Harness,
  type Msg,
  readyHarness,
} from "../_helpers/router_harness.ts";
import { CANCEL_GRACE_MS, CancelledCalls } from "../../src/router/cancelled_calls.ts";
import { RELATED_TASK_META } from "../../src/router/policy.ts";

const CAPS = { sampling: {}, elicitation: {} };

/** A client able to sample and elicit, initialized, with nothing to read. */
function able(h: Harness): FakeClient {
  const client = h.client();
  h.initClient(client, "2025-11-25", "init", CAPS);
  client.take();
  return client;
}

/** `client` calls a tool; returns the upstream request. */
function calls(h: Harness, client: FakeClient, id: number): Msg {
  h.fromClient(client, call(id));
  const sent = h.upstream.take().filter((m) => m.method === "tools/call");
  assertEquals(sent.length, 1, "the call went up");
  return sent[0];
}

function cancels(h: Harness, client: FakeClient, id: number): void {
  h.fromClient(client, {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: id },
  });
}

const sampling = (id: number, params: Record<string, unknown> = {}): Msg => ({
  jsonrpc: "2.0",
  id,
  method: "sampling/createMessage",
  params: { messages: [], maxTokens: 5, ...params },
});

const elicitation = (id: number): Msg => ({
  jsonrpc: "2.0",
  id,
  method: "elicitation/create",
  params: { message: "?", requestedSchema: { type: "object" } },
});

/** What the mux answered the server's request `id` itself, if it did. */
function answered(h: Harness, id: number): Msg | undefined {
  return h.upstream.take().find((m) => m.id === id && m.method === undefined);
}

/** Nothing but a client's own noise: no server request reached it. */
function asked(client: FakeClient): Msg[] {
  return client.take().filter((m) =>
    m.method === "sampling/createMessage" ||
    m.method === "elicitation/create"
  );
}

// ── The table ──────────────────────────────────────────────────────────────

Deno.test("cancelled calls: kept until answered or their grace passes; onEmpty when the last goes", () => {
  let emptied = 0;
  const calls = new CancelledCalls<string>({ onEmpty: () => emptied++ });
  assertStrictEquals(calls.add(1, "a", 0), CANCEL_GRACE_MS);
  calls.add(2, "b", 1_000);
  assertEquals(calls.owners(), ["a", "b"]);
  assertStrictEquals(calls.settle(7), false, "not one of them");
  assertStrictEquals(calls.settle(1), true);
  assertStrictEquals(emptied, 0);
  assertStrictEquals(calls.expire(CANCEL_GRACE_MS + 999), CANCEL_GRACE_MS + 1_000);
  assertStrictEquals(calls.expire(CANCEL_GRACE_MS + 1_000), Infinity);
  assertStrictEquals(calls.size, 0);
  assertStrictEquals(emptied, 1);
  assertStrictEquals(calls.expire(99_999), Infinity, "nothing to expire: no onEmpty");
  assertStrictEquals(emptied, 1);
});

Deno.test("cancelled calls: a departed owner's become nobody's; clear forgets all; the oldest goes past the limit", () => {
  let emptied = 0;
  const calls = new CancelledCalls<string>({ onEmpty: () => emptied++, limit: 2 });
  calls.add(1, "a", 0);
  calls.add(2, "b", 0);
  calls.add(3, "a", 0);
  assertEquals(calls.owners(), ["b", "a"], "the oldest was forgotten");
  calls.release("a");
  assertEquals(calls.owners(), ["b", undefined]);
  calls.clear();
  assertStrictEquals(calls.size, 0);
  assertStrictEquals(emptied, 1);
  calls.clear();
  assertStrictEquals(emptied, 1, "clearing nothing is no event");
});

// ── Through the router ─────────────────────────────────────────────────────

Deno.test("cancelled: a question after a client's cancel never reaches another busy client; sampling gets an error saying so", () => {
  using h = readyHarness();
  const a = able(h);
  const b = able(h);
  calls(h, a, 1);
  calls(h, b, 1);
  cancels(h, a, 1);
  h.upstream.take();
  h.fromServer(sampling(50));
  assertEquals(asked(b), [], "b is busy, but the question may be a's cancelled call's");
  assertEquals(asked(a), []);
  const refused = answered(h, 50);
  assertEquals(refused?.error.code, -32603);
  assert(
    /call that asked may have been cancelled/.test(refused.error.message),
    refused.error.message,
  );
  h.router.close();
  assertStrictEquals(h.clock.armed, 0, "no timer survives close");
});

Deno.test("cancelled: after a client leaves, an elicitation is answered cancel, not shown to the busy bystander", () => {
  using h = readyHarness();
  const a = able(h);
  const b = able(h);
  calls(h, a, 1);
  calls(h, b, 1);
  h.router.disconnect(a.session);
  h.upstream.take();
  h.fromServer(elicitation(51));
  assertEquals(asked(b), []);
  assertEquals(answered(h, 51)?.result, { action: "cancel" });
});

Deno.test("cancelled: the client that cancelled, alone at the server, is not asked either (the user cancelled that call)", () => {
  using h = readyHarness();
  const a = able(h);
  calls(h, a, 1);
  cancels(h, a, 1);
  h.upstream.take();
  h.fromServer(sampling(52));
  assertEquals(asked(a), []);
  const refused = answered(h, 52);
  assert(/call that asked was cancelled/.test(refused?.error.message), refused?.error.message);
});

Deno.test("cancelled: a timed-out request stays at the server; its question reaches nobody, not the latest active client", () => {
  using h = readyHarness({ requestTimeoutMs: 1_000 });
  const a = able(h);
  const b = able(h);
  calls(h, a, 1);
  const other = calls(h, b, 1); // b is the most recently active…
  h.fromServer({ jsonrpc: "2.0", id: other.id, result: {} }); // …and idle again
  h.clock.advance(1_000);
  assertEquals(a.take().map((m) => m.error?.code), [-32001]);
  assertEquals(h.upstream.take().map((m) => m.method), ["notifications/cancelled"]);
  h.fromServer(sampling(53));
  assertEquals(asked(b), []);
  assertEquals(asked(a), []);
  assertEquals(answered(h, 53)?.error.code, -32603);
});

Deno.test("cancelled: unambiguous questions still go through — the canceller's own live call, a task's owner", () => {
  using h = readyHarness();
  const a = able(h);
  const b = able(h);
  calls(h, a, 1);
  calls(h, a, 2);
  cancels(h, a, 1);
  h.upstream.take();
  // Only a has anything at the server, live or cancelled: the question is a's either way.
  h.fromServer(sampling(54));
  assertEquals(asked(a).map((m) => m.method), ["sampling/createMessage"]);
  assertEquals(asked(b), []);
  // A task names its owner: b's task, asked about while a's cancelled call is still there.
  h.fromClient(b, call(9, "echo", { task: { ttl: 60_000 } }));
  const created = h.upstream.take().find((m) => m.method === "tools/call");
  h.fromServer({
    jsonrpc: "2.0",
    id: created.id,
    result: { task: { taskId: "t-b", status: "working", createdAt: "now", ttl: 60_000 } },
  });
  b.take();
  h.fromServer(sampling(55, { _meta: { [RELATED_TASK_META]: { taskId: "t-b" } } }));
  assertEquals(asked(b).map((m) => m.method), ["sampling/createMessage"]);
  // Without a link, with b busy too, it could be a's cancelled call: nobody.
  calls(h, b, 10);
  h.fromServer(sampling(56));
  assertEquals(asked(a), []);
  assertEquals(asked(b), []);
  assertEquals(answered(h, 56)?.error.code, -32603);
});

Deno.test("cancelled: the server's late answer, or the grace, ends it — questions are routed again", () => {
  for (const end of ["late answer", "grace"] as const) {
    using h = readyHarness();
    const a = able(h);
    const b = able(h);
    const first = calls(h, a, 1);
    cancels(h, a, 1);
    calls(h, b, 1);
    h.upstream.take();
    h.fromServer(sampling(57));
    assertEquals(asked(b), [], `${end}: still ambiguous`);
    assertEquals(answered(h, 57)?.error.code, -32603);
    if (end === "late answer") {
      h.fromServer({ jsonrpc: "2.0", id: first.id, result: { content: [] } });
      assertEquals(a.take(), [], "the late answer is dropped");
    } else {
      h.clock.advance(CANCEL_GRACE_MS - 1);
      h.fromServer(sampling(58));
      assertEquals(asked(b), [], "one millisecond before the grace passes: still nobody");
      h.clock.advance(1);
    }
    h.fromServer(sampling(59));
    assertEquals(asked(b).map((m) => m.method), ["sampling/createMessage"], `${end}: b's again`);
  }
});

Deno.test("serialize: after a cancel the next turn waits for the server's late answer (or the grace); a question meanwhile reaches nobody", () => {
  using h = readyHarness({ serialize: true });
  const a = able(h);
  const b = able(h);
  const first = calls(h, a, 1);
  h.fromClient(b, call(1)); // waits for a's turn
  cancels(h, a, 1);
  assertEquals(h.upstream.take().map((m) => m.method), ["notifications/cancelled"]);
  h.fromServer(elicitation(60)); // the cancelled call goes on, and asks
  assertEquals(asked(b), []);
  assertEquals(answered(h, 60)?.result, { action: "cancel" });
  h.fromClient(a, call(2)); // a waits now too, behind b
  assertEquals(h.upstream.take(), []);
  h.fromServer({ jsonrpc: "2.0", id: first.id, result: {} }); // the server is done with it
  const next = h.upstream.take();
  assertEquals(next.map((m) => m.method), ["tools/call"], "b's turn");
  h.fromServer(sampling(61));
  assertEquals(asked(b).map((m) => m.method), ["sampling/createMessage"], "b's own question");
  // A server that never answers the cancelled call holds the turn for the grace only.
  b.take();
  h.fromClient(b, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
  assertEquals(h.upstream.take().map((m) => m.method), ["notifications/cancelled"]);
  h.clock.advance(CANCEL_GRACE_MS - 1);
  assertEquals(h.upstream.take(), [], "a's turn is still held");
  h.clock.advance(1);
  assertEquals(h.upstream.take().map((m) => m.method), ["tools/call"], "a's turn at last");
});

// ── The grace as a setting (--cancel-grace-ms) ─────────────────────────────

Deno.test("cancelled calls: a grace of 0 keeps none; a new grace applies to those kept, counted from each one's cancel", () => {
  let emptied = 0;
  const none = new CancelledCalls<string>({ graceMs: 0, onEmpty: () => emptied++ });
  assertStrictEquals(none.add(1, "a", 0), Infinity, "nothing to forget later");
  assertStrictEquals(none.size, 0);
  assertStrictEquals(none.settle(1), false, "its late answer is just an unknown one");
  const calls = new CancelledCalls<string>({ onEmpty: () => emptied++ });
  calls.add(1, "a", 0);
  calls.add(2, "b", 3_000);
  assertStrictEquals(calls.setGrace(4_000, 3_500), 4_000, "longer: 1 is kept until 0 + 4000");
  assertStrictEquals(calls.setGrace(1_000, 3_500), 4_000, "shorter: 1 is gone, 2 ends at 4000");
  assertEquals(calls.owners(), ["b"]);
  assertStrictEquals(emptied, 0);
  assertStrictEquals(calls.add(3, "c", 3_600), 4_600);
  assertStrictEquals(calls.setGrace(0, 3_700), Infinity, "none: all gone at once");
  assertStrictEquals(calls.size, 0);
  assertStrictEquals(emptied, 1);
});

Deno.test("cancel grace: a shorter one ends sooner — under --serialize the next turn starts after 1 s, and questions reach their client again", () => {
  using h = readyHarness({ serialize: true, cancelGraceMs: 1_000 });
  const a = able(h);
  const b = able(h);
  calls(h, a, 1);
  h.fromClient(b, call(1)); // waits for a's turn
  cancels(h, a, 1);
  assertEquals(h.upstream.take().map((m) => m.method), ["notifications/cancelled"]);
  h.fromServer(sampling(70));
  assertEquals(asked(b), [], "within the grace: nobody");
  assertEquals(answered(h, 70)?.error.code, -32603);
  h.clock.advance(999);
  assertEquals(h.upstream.take(), [], "b's turn still waits");
  h.clock.advance(1);
  assertEquals(h.upstream.take().map((m) => m.method), ["tools/call"], "b's turn after 1 s");
  h.fromServer(sampling(71));
  assertEquals(asked(b).map((m) => m.method), ["sampling/createMessage"], "b's own question");
});

Deno.test("cancel grace 0: nothing is held — the next turn starts with the cancel, and a question the cancelled call asks may reach another client", () => {
  for (const serialize of [true, false]) {
    using h = readyHarness({ serialize, cancelGraceMs: 0 });
    const a = able(h);
    const b = able(h);
    const first = calls(h, a, 1);
    h.fromClient(b, call(1));
    cancels(h, a, 1);
    assertEquals(
      h.upstream.take().map((m) => m.method),
      serialize
        ? ["notifications/cancelled", "tools/call"]
        : ["tools/call", "notifications/cancelled"],
      `serialize ${serialize}: b's call is at the server at once`,
    );
    h.fromServer(sampling(72)); // a's cancelled call goes on and asks: nothing says so
    assertEquals(
      asked(b).map((m) => m.method),
      ["sampling/createMessage"],
      `serialize ${serialize}: what 0 gives up — b, the one busy client, is asked`,
    );
    assertEquals(asked(a), []);
    h.fromServer({ jsonrpc: "2.0", id: first.id, result: {} });
    assertEquals(a.take(), [], "a late answer is still dropped");
  }
});

Deno.test("cancel grace: configure (a reload) applies to the next cancel, and to a turn held now", () => {
  using h = readyHarness({ serialize: true });
  const a = able(h);
  const b = able(h);
  h.router.configure({ cancelGraceMs: 2_000 });
  calls(h, a, 1);
  h.fromClient(b, call(1));
  cancels(h, a, 1);
  assertEquals(h.upstream.take().map((m) => m.method), ["notifications/cancelled"]);
  h.clock.advance(1_999);
  assertEquals(h.upstream.take(), [], "the new grace holds the turn");
  h.clock.advance(1);
  assertEquals(h.upstream.take().map((m) => m.method), ["tools/call"], "b's turn after 2 s");
  // b cancels too, with a waiting: shortening the grace while the turn is held ends it sooner.
  h.fromClient(a, call(2));
  cancels(h, b, 1);
  assertEquals(h.upstream.take().map((m) => m.method), ["notifications/cancelled"]);
  h.clock.advance(500);
  h.router.configure({ cancelGraceMs: 800 });
  h.clock.advance(299);
  assertEquals(h.upstream.take(), [], "800 ms after b's cancel: not yet");
  h.clock.advance(1);
  assertEquals(h.upstream.take().map((m) => m.method), ["tools/call"], "a's turn at 800 ms");
  // And 0 ends a hold at once.
  h.fromClient(b, call(3));
  h.router.configure({ cancelGraceMs: 5_000 });
  cancels(h, a, 2);
  assertEquals(h.upstream.take().map((m) => m.method), ["notifications/cancelled"]);
  h.router.configure({ cancelGraceMs: 0 });
  assertEquals(h.upstream.take().map((m) => m.method), ["tools/call"], "b's turn at once");
});
