/** Log levels, shared upstream (`logging_feature.ts`): one row of docs/routing.md per test. */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { call, logMessage, readyHarness, setLevel } from "../_helpers/router_harness.ts";

Deno.test("logging: the upstream gets the most verbose level; each client is filtered at its own", async () => {
  using h = readyHarness();
  const quiet = h.client();
  const chatty = h.client();
  const silent = h.client(); // never sets a level
  for (const x of [quiet, chatty, silent]) h.initClient(x);
  h.fromClient(quiet, setLevel(1, "error"));
  const first = await h.answerUpstream("logging/setLevel", { result: {} });
  assertEquals(first.params.level, "error");
  await quiet.next((m) => m.id === 1);
  h.fromClient(chatty, setLevel(2, "info"));
  const second = await h.answerUpstream("logging/setLevel", { result: {} });
  assertEquals(second.params.level, "info");
  await chatty.next((m) => m.id === 2);
  for (const level of ["debug", "info", "warning", "error"]) h.fromServer(logMessage(level));
  assertEquals(quiet.take().map((m) => m.params.level), ["error"]);
  assertEquals(chatty.take().map((m) => m.params.level), ["info", "warning", "error"]);
  assertEquals(silent.take().map((m) => m.params.level), ["debug", "info", "warning", "error"]);
  // A less verbose request changes nothing upstream and is answered by the mux.
  h.fromClient(quiet, setLevel(3, "critical"));
  assertEquals(quiet.answer(3).result, {});
  assertEquals(h.upstream.sent.filter((m) => m.method === "logging/setLevel").length, 0);
  // When the chatty client leaves, the upstream is turned down to what is still wanted.
  h.router.disconnect(chatty.session);
  const third = await h.upstream.next((m) => m.method === "logging/setLevel");
  assertEquals(third.params.level, "critical");
});

Deno.test("logging: an invalid level is -32602; a refused level is rolled back", async () => {
  using h = readyHarness();
  const a = h.client();
  h.initClient(a);
  h.fromClient(a, setLevel(1, "loud"));
  const invalid = a.answer(1);
  assertEquals(invalid.error.code, ErrorCode.InvalidParams);
  assert(invalid.error.message.includes("debug, info, notice"));
  h.fromClient(a, setLevel(2, "debug"));
  await h.answerUpstream("logging/setLevel", { error: { code: -32601, message: "no logging" } });
  assertEquals((await a.next((m) => m.id === 2)).error.code, -32601);
  a.take();
  h.fromServer(logMessage("debug"));
  assertEquals(a.take().length, 1, "no level recorded: the client is not filtered");
});

Deno.test("logging: while exactly one client has requests in flight, the server's logs go to it only", async () => {
  using h = readyHarness();
  const caller = h.client();
  const bystander = h.client();
  for (const x of [caller, bystander]) h.initClient(x);
  h.fromClient(caller, call(1, "work"));
  const forwarded = await h.upstream.next((m) => m.method === "tools/call");
  h.fromServer(logMessage("info"));
  assertEquals(caller.take().map((m) => m.params.data), ["info message"]);
  assertEquals(bystander.take(), [], "the bystander never sees the caller's call logs");
  // Two callers: the mux cannot tell whose, so everyone (as before).
  h.fromClient(bystander, call(2, "work"));
  const second = await h.upstream.next((m) => m.method === "tools/call");
  h.fromServer(logMessage("warning"));
  assertEquals(caller.take().length, 1);
  assertEquals(bystander.take().length, 1);
  // The caller is answered: the bystander is the one busy now.
  h.fromServer({ jsonrpc: "2.0", id: forwarded.id, result: {} });
  caller.take();
  h.fromServer(logMessage("error"));
  assertEquals([caller.take().length, bystander.take().length], [0, 1]);
  // Nobody busy: everyone.
  h.fromServer({ jsonrpc: "2.0", id: second.id, result: {} });
  bystander.take();
  h.fromServer(logMessage("notice"));
  assertEquals([caller.take().length, bystander.take().length], [1, 1]);
});
