import { assert, assertEquals } from "../_helpers/assert.ts";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { call, harness, line, readyHarness, UPSTREAM_RESULT } from "../_helpers/router_harness.ts";

Deno.test("the upstream is initialized once, as the mux itself, with the latest version", () => {
  using h = harness();
  const init = h.upstream.take();
  assertEquals(init.length, 1);
  assertEquals(init[0].method, "initialize");
  assertEquals(init[0].params.protocolVersion, "2025-11-25");
  assertEquals(init[0].params.clientInfo.name, "rmcp-mux");
  // The mux can route all of these to its clients, so it declares them once, for everyone.
  assertEquals(init[0].params.capabilities, {
    roots: { listChanged: true },
    sampling: { tools: {} },
    elicitation: { form: {}, url: {} },
  });
});

Deno.test("clients arriving during the upstream initialize wait for it: single flight", () => {
  using h = harness();
  const a = h.client();
  const b = h.client();
  h.fromClient(a, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "a" } },
  });
  h.fromClient(b, {
    jsonrpc: "2.0",
    id: "b-init",
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "b" } },
  });
  assertEquals(a.sent, []);
  assertEquals(h.upstream.sent.filter((m) => m.method === "initialize").length, 1);
  h.answerInit();
  const answerA = a.answer(1);
  const answerB = b.answer("b-init");
  assertEquals(answerA.result.protocolVersion, "2025-06-18");
  assertEquals(answerB.result.protocolVersion, "2025-11-25");
  assertEquals(answerA.result.serverInfo, UPSTREAM_RESULT.serverInfo);
  assertEquals(answerA.result.instructions, "be nice");
  // The upstream got exactly one initialize and one initialized.
  const methods = h.upstream.sent.map((m) => m.method);
  assertEquals(methods.filter((m) => m === "initialize").length, 1);
  assertEquals(methods.filter((m) => m === "notifications/initialized").length, 1);
});

Deno.test("a client asking for an unknown protocol version gets the upstream's", () => {
  using h = harness();
  h.answerInit();
  const c = h.client();
  const answer = h.initClient(c, "1999-01-01");
  assertEquals(answer.result.protocolVersion, "2025-11-25");
});

Deno.test("each client's notifications/initialized is swallowed", () => {
  using h = harness();
  h.answerInit();
  h.upstream.take();
  h.initClient(h.client());
  h.initClient(h.client());
  assertEquals(h.upstream.take(), []);
});

Deno.test("ping is answered by the mux at any time, before initialize too", () => {
  using h = harness({}, false);
  const c = h.client();
  h.fromClient(c, { jsonrpc: "2.0", id: 7, method: "ping" });
  assertEquals(c.take(), [{ jsonrpc: "2.0", id: 7, result: {} }]);
});

Deno.test("a failed upstream initialize is reported to waiters and never cached", () => {
  using h = harness();
  const c = h.client();
  h.fromClient(c, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {} },
  });
  const init = h.upstream.last("initialize");
  h.fromServer({ jsonrpc: "2.0", id: init.id, error: { code: -32603, message: "nope" } });
  const failed = c.answer(1);
  assertEquals(failed.error.code, ErrorCode.ServerUnavailable);
  assert(failed.error.message.includes("rejected initialize: nope"), failed.error.message);
  // The next initialize tries again rather than replaying the failure.
  c.take();
  h.upstream.take();
  h.fromClient(c, {
    jsonrpc: "2.0",
    id: 2,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {} },
  });
  assertEquals(h.upstream.sent.filter((m) => m.method === "initialize").length, 1);
  h.answerInit();
  assertEquals(c.answer(2).result.protocolVersion, "2025-11-25");
});

Deno.test("ids are rewritten per request and restored with their JSON type", () => {
  using h = harness();
  h.answerInit();
  const a = h.client();
  const b = h.client();
  h.initClient(a);
  h.initClient(b);
  h.upstream.take();
  h.fromClient(a, call(1));
  h.fromClient(b, call(1));
  h.fromClient(b, call("1"));
  const [ua, ub, ubs] = h.upstream.take();
  assertEquals(new Set([ua.id, ub.id, ubs.id]).size, 3);
  // Answer out of order.
  h.fromServer({ jsonrpc: "2.0", id: ubs.id, result: { which: "b-string" } });
  h.fromServer({ jsonrpc: "2.0", id: ua.id, result: { which: "a" } });
  h.fromServer({ jsonrpc: "2.0", id: ub.id, result: { which: "b-number" } });
  assertEquals(a.take(), [{ jsonrpc: "2.0", id: 1, result: { which: "a" } }]);
  assertEquals(b.take(), [
    { jsonrpc: "2.0", id: "1", result: { which: "b-string" } },
    { jsonrpc: "2.0", id: 1, result: { which: "b-number" } },
  ]);
});

Deno.test("a request id still in flight cannot be reused by the same client", () => {
  using h = harness();
  h.answerInit();
  const c = h.client();
  h.initClient(c);
  h.fromClient(c, call(5));
  h.fromClient(c, call(5));
  const refused = c.answer(5);
  assertEquals(refused.error.code, ErrorCode.InvalidRequest);
  assert(refused.error.message.includes("already used"));
});

Deno.test("responses for clients that left are dropped, and their work is cancelled", () => {
  using h = harness();
  h.answerInit();
  const a = h.client();
  const b = h.client();
  h.initClient(a);
  h.initClient(b);
  h.upstream.take();
  h.fromClient(a, call(1));
  const sent = h.upstream.take()[0];
  h.router.disconnect(a.session);
  const cancel = h.upstream.take();
  assertEquals(cancel, [{
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: sent.id, reason: "client disconnected" },
  }]);
  h.fromServer({ jsonrpc: "2.0", id: sent.id, result: {} });
  assertEquals(a.take().length, 0);
  assertEquals(b.take().length, 0);
});

Deno.test("progress tokens are made unique upstream and restored for their owner only", () => {
  using h = harness();
  h.answerInit();
  const a = h.client();
  const b = h.client();
  h.initClient(a);
  h.initClient(b);
  a.take();
  b.take();
  h.upstream.take();
  // Both clients use token 0, as the TypeScript SDK does (token = its request id).
  h.fromClient(a, call(0, "echo", { _meta: { progressToken: 0 } }));
  h.fromClient(b, call(0, "echo", { _meta: { progressToken: 0 } }));
  const [ua, ub] = h.upstream.take();
  assert(ua.params._meta.progressToken !== ub.params._meta.progressToken);
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: ub.params._meta.progressToken, progress: 1, total: 2 },
  });
  assertEquals(a.take(), []);
  assertEquals(b.take(), [{
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: 0, progress: 1, total: 2 },
  }]);
  // Unknown and finished tokens never reach anyone.
  h.fromServer({ jsonrpc: "2.0", id: ub.id, result: {} });
  b.take();
  for (const token of [ub.params._meta.progressToken, 12345, "zzz"]) {
    h.fromServer({
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: token, progress: 2 },
    });
  }
  assertEquals(a.take(), []);
  assertEquals(b.take(), []);
});

Deno.test("a client's cancel goes upstream with the upstream id; unknown ids are ignored", () => {
  using h = harness();
  h.answerInit();
  const a = h.client();
  const b = h.client();
  h.initClient(a);
  h.initClient(b);
  h.upstream.take();
  h.fromClient(a, call(3));
  h.fromClient(b, call(3));
  const [ua] = h.upstream.take();
  h.fromClient(a, {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: 3, reason: "user" },
  });
  assertEquals(h.upstream.take(), [{
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: ua.id, reason: "user" },
  }]);
  h.fromClient(a, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 99 } });
  assertEquals(h.upstream.take(), []);
});

Deno.test("server notifications reach every initialized client, unchanged", () => {
  using h = harness();
  h.answerInit();
  const a = h.client();
  const b = h.client();
  const notYet = h.client();
  h.initClient(a);
  h.initClient(b);
  a.take();
  b.take();
  const note = { jsonrpc: "2.0", method: "notifications/message", params: { level: "info" } };
  h.fromServer(note);
  assertEquals(a.take(), [note]);
  assertEquals(b.take(), [note]);
  assertEquals(notYet.take(), []);
});

Deno.test("server requests: ping answered; no able client → elicitation cancelled, sampling refused", () => {
  using h = harness();
  h.answerInit();
  const c = h.client();
  h.initClient(c); // declares neither sampling nor elicitation
  c.take();
  h.upstream.take();
  h.fromServer({ jsonrpc: "2.0", id: 40, method: "ping" });
  h.fromServer({ jsonrpc: "2.0", id: 41, method: "sampling/createMessage", params: {} });
  h.fromServer({
    jsonrpc: "2.0",
    id: 42,
    method: "elicitation/create",
    params: { message: "?", requestedSchema: { type: "object", properties: {} } },
  });
  h.fromServer({ jsonrpc: "2.0", id: 43, method: "custom/thing" });
  const [pong, sampling, elicitation, unknown] = h.upstream.take();
  assertEquals(pong, { jsonrpc: "2.0", id: 40, result: {} });
  assertEquals(sampling.id, 41);
  assertEquals(sampling.error.code, ErrorCode.InternalError);
  assert(sampling.error.message.includes("no connected client can do sampling"));
  assertEquals(elicitation, { jsonrpc: "2.0", id: 42, result: { action: "cancel" } });
  assertEquals(unknown.error.code, ErrorCode.MethodNotFound);
  assertEquals(c.take(), [], "no client was shown anything");
});

Deno.test("a client's response to a request it never received is ignored", () => {
  using h = harness();
  h.answerInit();
  const c = h.client();
  h.initClient(c);
  h.upstream.take();
  h.fromClient(c, { jsonrpc: "2.0", id: 1, result: {} });
  assertEquals(h.upstream.take(), []);
});

Deno.test("bad input gets clear errors and the session keeps working", () => {
  using h = readyHarness();
  const c = h.initialized();
  h.router.receive(c.session, { kind: "line", text: "{not json" });
  h.router.receive(c.session, { kind: "invalid_utf8", bytes: 3 });
  h.fromClient(c, { jsonrpc: "1.0", id: 9, method: "x" });
  h.fromClient(c, "hello");
  h.fromClient(c, { jsonrpc: "2.0", id: null, method: "tools/list" });
  const [parse, utf8, version, notObject, nullId] = c.take();
  assertEquals([parse.id, parse.error.code], [null, ErrorCode.ParseError]);
  assertEquals([utf8.id, utf8.error.code], [null, ErrorCode.ParseError]);
  assertEquals([version.id, version.error.code], [9, ErrorCode.InvalidRequest]);
  assertEquals([notObject.id, notObject.error.code], [null, ErrorCode.InvalidRequest]);
  assertEquals([nullId.id, nullId.error.code], [null, ErrorCode.InvalidRequest]);
  h.fromClient(c, { jsonrpc: "2.0", id: 10, method: "ping" });
  assertEquals(c.answer(10).result, {});
});

Deno.test("an over-long message is answered with an error carrying its recovered id", () => {
  using h = readyHarness();
  const c = h.initialized();
  h.router.receive(c.session, {
    kind: "too_long",
    bytes: 5_000_000,
    head: '{"method":"tools/call","params":{"arguments":{"text":"xxxx',
    tail: 'xxxx"}},"jsonrpc":"2.0","id":17}',
  });
  const [error] = c.take();
  assertEquals(error.id, 17);
  assertEquals(error.error.code, ErrorCode.MessageTooLarge);
  assert(error.error.message.includes("--max-request-bytes"));
});

Deno.test("batches are answered as one array for 2025-03-26 clients", () => {
  using h = harness();
  h.answerInit();
  const c = h.client();
  h.initClient(c, "2025-03-26");
  c.take();
  h.upstream.take();
  h.fromClient(c, [
    { jsonrpc: "2.0", id: 1, method: "ping" },
    call(2),
    { jsonrpc: "2.0", method: "notifications/roots/list_changed" },
    { bogus: true },
  ]);
  assertEquals(c.take(), []); // waits for the upstream's part
  const [forwarded] = h.upstream.take();
  h.fromServer({ jsonrpc: "2.0", id: forwarded.id, result: { ok: true } });
  const [batch] = c.take();
  assert(Array.isArray(batch));
  assertEquals(batch.length, 3);
  assertEquals(batch[0], { jsonrpc: "2.0", id: 1, result: {} });
  assertEquals(batch[1], { jsonrpc: "2.0", id: 2, result: { ok: true } });
  assertEquals(batch[2].error.code, ErrorCode.InvalidRequest);
});

Deno.test("batches are refused with -32600 for 2025-06-18 and later clients", () => {
  using h = harness();
  h.answerInit();
  const c = h.client();
  h.initClient(c, "2025-06-18");
  c.take();
  h.fromClient(c, [{ jsonrpc: "2.0", id: 1, method: "ping" }]);
  const [error] = c.take();
  assertEquals(error.id, null);
  assertEquals(error.error.code, ErrorCode.InvalidRequest);
  assert(error.error.message.includes("batches"));
});

Deno.test("past MAX_PENDING a request gets an immediate 'overloaded' error", () => {
  using h = readyHarness({ maxPending: 2 });
  const c = h.initialized();
  h.fromClient(c, call(1));
  h.fromClient(c, call(2));
  h.fromClient(c, call(3));
  const [overloaded] = c.take();
  assertEquals(overloaded.id, 3);
  assertEquals(overloaded.error.code, ErrorCode.Overloaded);
  assert(overloaded.error.message.includes("MAX_PENDING=2"));
});

Deno.test("traffic is held until the upstream is initialized, then released in order", () => {
  using h = harness();
  const c = h.client();
  h.fromClient(c, call(1));
  h.fromClient(c, { jsonrpc: "2.0", method: "notifications/roots/list_changed" });
  h.fromClient(c, { jsonrpc: "2.0", method: "notifications/custom" });
  h.fromClient(c, call(2));
  assertEquals(h.upstream.sent.map((m) => m.method), ["initialize"]);
  h.answerInit();
  assertEquals(
    h.upstream.take().map((m) => m.method),
    ["initialize", "notifications/initialized", "tools/call", "notifications/custom", "tools/call"],
  );
});

Deno.test("when the server exits, in-flight requests fail at once; held ones wait", () => {
  using h = readyHarness();
  const c = h.initialized();
  h.fromClient(c, call(1));
  h.router.detachUpstream("exit code 1");
  const [failed] = c.take();
  assertEquals(failed.id, 1);
  assertEquals(failed.error.code, ErrorCode.ServerUnavailable);
  assert(failed.error.message.includes('Server "svc" exited (exit code 1)'));
  // A request while the server is down is held for the next process.
  h.fromClient(c, call(2));
  assertEquals(c.take(), []);
  h.upstream.take();
  h.router.attachUpstream(h.upstream);
  h.answerInit();
  const replay = h.upstream.take().map((m) => m.method);
  assertEquals(replay, ["initialize", "notifications/initialized", "tools/call"]);
  // Clients are told to refresh what the new process lists.
  assertEquals(c.take().map((m) => m.method), [
    "notifications/tools/list_changed",
    "notifications/resources/list_changed",
  ]);
});

Deno.test("a failed service answers everything at once, initialize included", () => {
  using h = harness();
  h.answerInit();
  const c = h.client();
  h.initClient(c);
  h.fromClient(c, call(1));
  c.take();
  h.router.detachUpstream("exit code 1");
  h.fromClient(c, call(2));
  c.take();
  h.router.fail("exit code 1; it exited 6 times within 10 min (--max-restarts 5)");
  const [held] = c.take();
  assertEquals(held.id, 2);
  assert(held.error.message.includes("failed: exit code 1"));
  const d = h.client();
  h.fromClient(d, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {} },
  });
  assertEquals(d.answer(1).error.code, ErrorCode.ServerUnavailable);
});

Deno.test("a request unanswered within the timeout fails and is cancelled upstream", async () => {
  using h = readyHarness({ requestTimeoutMs: 30 });
  const c = h.initialized();
  h.fromClient(c, call(1));
  const [sent] = h.upstream.take();
  const settled = new Promise<void>((resolve) => c.session.onSettled = resolve);
  h.clock.advance(29);
  assertEquals(c.take(), [], "not yet");
  h.clock.advance(1);
  await settled;
  const [timeout] = c.take();
  assertEquals(timeout.id, 1);
  assertEquals(timeout.error.code, ErrorCode.RequestTimeout);
  assertEquals(h.upstream.take(), [{
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: sent.id, reason: "rmcp-mux request timeout" },
  }]);
});

Deno.test("progress resets the request timeout", () => {
  using h = readyHarness({ requestTimeoutMs: 1_000 });
  const c = h.initialized();
  h.fromClient(c, call(1, "sleep", { _meta: { progressToken: "p" } }));
  const [sent] = h.upstream.take();
  h.clock.advance(900);
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: sent.params._meta.progressToken, progress: 1 },
  });
  h.clock.advance(999); // past the first deadline (1 000), just within the renewed one (1 900)
  h.fromServer({ jsonrpc: "2.0", id: sent.id, result: { done: true } });
  const answers = c.take();
  assertEquals(answers.map((m) => m.result?.done ?? m.params?.progress), [1, true]);
  // Without more progress, the renewed deadline holds.
  h.fromClient(c, call(2, "sleep", { _meta: { progressToken: "q" } }));
  h.clock.advance(1_000);
  assertEquals(c.answer(2).error.code, ErrorCode.RequestTimeout);
});

Deno.test("an upstream that never answers initialize is reported as broken", () => {
  using h = harness({ initTimeoutMs: 20 });
  h.clock.advance(19);
  assertEquals(h.broken.length, 0);
  h.clock.advance(1);
  assertEquals(h.broken.length, 1);
  assert(h.broken[0]!.includes("did not answer initialize within 0.02 s"), h.broken[0]);
  // An answer in time clears the deadline.
  using ok = harness({ initTimeoutMs: 20 });
  ok.clock.advance(19);
  ok.answerInit();
  ok.clock.advance(1_000);
  assertEquals(ok.broken, []);
});

Deno.test("junk from the server is skipped, never fatal", () => {
  using h = harness();
  h.router.upstreamReceive({ kind: "line", text: "Starting server v1..." });
  h.router.upstreamReceive({ kind: "line", text: "[1,2]" });
  h.router.upstreamReceive({ kind: "invalid_utf8", bytes: 4 });
  h.answerInit();
  const c = h.client();
  assertEquals(h.initClient(c).result.serverInfo.name, "upstream");
});

Deno.test("an oversized server answer fails that request with a clear error", () => {
  using h = readyHarness();
  const c = h.initialized();
  h.fromClient(c, call("big"));
  const [sent] = h.upstream.take();
  h.router.upstreamReceive({
    kind: "too_long",
    bytes: 99_000_000,
    head: '{"result":{"content":[{"type":"text","text":"xxx',
    tail: `xxx"}]},"jsonrpc":"2.0","id":${sent.id}}`,
  });
  const [error] = c.take();
  assertEquals(error.id, "big");
  assertEquals(error.error.code, ErrorCode.MessageTooLarge);
});

Deno.test("the queue toward the server is bounded: readers are told to pause", async () => {
  using h = harness({ maxQueue: 2 }, false);
  const c = h.client();
  h.fromClient(c, call(1));
  assert(h.router.hasRoom);
  h.fromClient(c, call(2));
  assert(!h.router.hasRoom);
  const room = h.router.waitForRoom();
  h.router.attachUpstream(h.upstream);
  h.answerInit();
  await room;
  assert(h.router.hasRoom);
});

Deno.test("the health check is a real ping round trip, and reports why when down", async () => {
  using h = harness({}, false);
  const c = h.client();
  h.router.setServerState({
    phase: "restarting",
    nextAttemptAt: h.clock.now() + 4_000,
    attempt: 2,
  });
  h.fromClient(c, { jsonrpc: "2.0", id: 1, method: "rmcp-mux/health" });
  const down = c.answer(1);
  assert(
    down.error.message.includes("restarting (restart 2, next try in 4 s)"),
    down.error.message,
  );
  c.take();
  h.router.attachUpstream(h.upstream);
  h.answerInit();
  h.router.setServerState({ phase: "running", pid: 42 });
  h.upstream.take();
  h.fromClient(c, { jsonrpc: "2.0", id: 2, method: "rmcp-mux/health" });
  const ping = await h.upstream.next((m) => m.method === "ping");
  assertEquals(c.take(), []);
  h.router.upstreamReceive(line({ jsonrpc: "2.0", id: ping.id, result: {} }));
  const ok = await c.next((m) => m.id === 2);
  assertEquals([ok.result.status, ok.result.pid], ["ok", 42]);
});

Deno.test("a cancelled element of a batch does not hold back the batch's other answers", () => {
  using h = harness();
  h.answerInit();
  const c = h.client();
  h.initClient(c, "2025-03-26");
  c.take();
  h.upstream.take();
  h.fromClient(c, [call(1), { jsonrpc: "2.0", id: 2, method: "ping" }]);
  h.fromClient(c, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
  assertEquals(c.take(), [[{ jsonrpc: "2.0", id: 2, result: {} }]]);
});

Deno.test("an answer whose numeric id the server echoed as a string still reaches its client", () => {
  using h = readyHarness();
  const c = h.initialized();
  h.fromClient(c, call(9));
  const [sent] = h.upstream.take();
  h.fromServer({ jsonrpc: "2.0", id: String(sent.id), result: { ok: 1 } });
  assertEquals(c.take(), [{ jsonrpc: "2.0", id: 9, result: { ok: 1 } }]);
});

Deno.test("a request cancelled while held for the server never reaches it", () => {
  using h = harness();
  const c = h.client();
  h.fromClient(c, call(1));
  h.fromClient(c, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
  h.fromClient(c, call(2, "kept"));
  h.answerInit();
  const calls = h.upstream.take().filter((m) => m.method === "tools/call");
  assertEquals(calls.map((m) => m.params.name), ["kept"]);
  h.fromServer({ jsonrpc: "2.0", id: calls[0].id, result: {} });
  assertEquals(c.take(), [{ jsonrpc: "2.0", id: 2, result: {} }], "nothing for the cancelled one");
});

Deno.test("what a departed client had held stops taking room in the queue", async () => {
  using h = harness({ maxQueue: 2 }, false);
  const c = h.client();
  h.fromClient(c, call(1));
  h.fromClient(c, { jsonrpc: "2.0", method: "notifications/custom" });
  assert(!h.router.hasRoom);
  const room = h.router.waitForRoom();
  h.router.disconnect(c.session);
  assertEquals(h.router.stats().queueDepth, 0);
  assert(h.router.hasRoom);
  await room;
});

Deno.test("a request timeout changed live applies to requests from then on, in the error's words too", () => {
  using h = readyHarness({ requestTimeoutMs: 0 });
  const c = h.initialized();
  h.fromClient(c, call(1));
  h.router.configure({ requestTimeoutMs: 2_000 });
  h.fromClient(c, call(2));
  h.clock.advance(2_000);
  const [timeout, ...rest] = c.take();
  assertEquals([timeout.id, timeout.error.code, rest], [2, ErrorCode.RequestTimeout, []]);
  assert(timeout.error.message.includes("within 2 s"), timeout.error.message);
  assertEquals(timeout.error.data.timeoutMs, 2_000);
});

Deno.test("whenDrained waits for the requests at the server only; held traffic and resumed traffic behave", async () => {
  using h = readyHarness();
  const c = h.initialized();
  await h.router.whenDrained(); // nothing at the server
  h.fromClient(c, call(1));
  const [sent] = h.upstream.take();
  h.router.holdTraffic();
  h.fromClient(c, call(2));
  assertEquals(h.upstream.take(), [], "held while the old process drains");
  let drained = false;
  const drain = h.router.whenDrained().then(() => drained = true);
  await Promise.resolve();
  assert(!drained, "request 1 is still at the server");
  h.fromServer({ jsonrpc: "2.0", id: sent.id, result: {} });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert(drained, "drained once its answer went out (the held request does not count)");
  await drain;
  h.router.resumeTraffic();
  assertEquals(h.upstream.take().map((m) => m.method), ["tools/call"], "the held request goes up");
});

Deno.test("the last client leaving: its work is cancelled upstream before the process is called idle", () => {
  const seenAtIdle: string[][] = [];
  let upstreamSent: () => string[] = () => [];
  using h = readyHarness({ onIdle: () => seenAtIdle.push(upstreamSent()) });
  upstreamSent = () => h.upstream.sent.map((m) => String(m.method));
  const client = h.initialized();
  h.fromClient(client, call(1));
  h.router.disconnect(client.session);
  assertEquals(seenAtIdle.length, 1, "idle once");
  assertEquals(seenAtIdle[0]!.at(-1), "notifications/cancelled", "cancelled before idle");
});
