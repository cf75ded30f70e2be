/**
 * The legacy shim: a modern server's `input_required` asked of the legacy
 * client whose call it is, then the call retried.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { call, type Harness, META, modernHarness, type Msg } from "../_helpers/router_harness.ts";
import {
  MRTR_LEG_TIMEOUT_MS,
  MRTR_MAX_ROUNDS,
  MRTR_STATE_ONLY_PAUSE_MS,
} from "../../src/router/mrtr_shim.ts";

const elicit = {
  method: "elicitation/create",
  params: { mode: "form", message: "Name?", requestedSchema: { type: "object" } },
};

function inputRequired(request: Msg, extra: Record<string, unknown> = {}) {
  return {
    jsonrpc: "2.0",
    id: request.id,
    result: { resultType: "input_required", ...extra },
  };
}

async function firstCall(h: Harness, name = "confirm") {
  const caller = h.initialized("2025-11-25", { elicitation: {}, sampling: {} });
  const bystander = h.initialized("2025-11-25", { elicitation: {}, sampling: {} });
  h.fromClient(caller, call(7, name, { arguments: { q: 1 }, _meta: { progressToken: "pt" } }));
  const request = await h.upstream.next((m) => m.method === "tools/call");
  return { caller, bystander, request };
}

Deno.test("input_required asks the calling client only; the retry carries its answer and requestState, byte for byte, under a new id", async () => {
  using h = modernHarness();
  const { caller, bystander, request } = await firstCall(h);
  h.fromServer(inputRequired(request, { inputRequests: { q: elicit }, requestState: "s\u2028é" }));
  const asked = await caller.next((m) => m.method === "elicitation/create");
  assertEquals(asked.params, elicit.params);
  assertEquals(bystander.sent, [], "never another client's screen");
  h.fromClient(caller, {
    jsonrpc: "2.0",
    id: asked.id,
    result: { action: "accept", content: { n: "x" } },
  });
  const retry = await h.upstream.next((m) => m.method === "tools/call");
  assert(retry.id !== request.id, "a new id");
  assertEquals(retry.params.name, "confirm");
  assertEquals(retry.params.arguments, { q: 1 });
  assertEquals(retry.params.inputResponses, { q: { action: "accept", content: { n: "x" } } });
  assertEquals(retry.params.requestState, "s\u2028é");
  assertEquals(retry.params._meta.progressToken, retry.id);
  assertEquals(retry.params._meta[META.clientCapabilities], { elicitation: {}, sampling: {} });
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: retry.id, progress: 1 },
  });
  assertEquals(
    caller.sent.find((m) => m.method === "notifications/progress").params.progressToken,
    "pt",
  );
  h.fromServer({ jsonrpc: "2.0", id: retry.id, result: { content: [], resultType: "complete" } });
  assertEquals(caller.answer(7).result, { content: [] });
});

Deno.test("several questions in one round are all asked; the call is retried once, when all are answered", async () => {
  using h = modernHarness();
  const { caller, request } = await firstCall(h);
  h.fromServer(inputRequired(request, {
    inputRequests: {
      a: elicit,
      b: { method: "sampling/createMessage", params: { messages: [], maxTokens: 5 } },
    },
  }));
  const first = await caller.next((m) => m.method === "elicitation/create");
  const second = await caller.next((m) => m.method === "sampling/createMessage");
  h.fromClient(caller, {
    jsonrpc: "2.0",
    id: second.id,
    result: { role: "assistant", content: { type: "text", text: "hi" } },
  });
  await Promise.resolve();
  assertEquals(
    h.upstream.sent.filter((m) => m.method === "tools/call"),
    [],
    "one answer still out",
  );
  h.fromClient(caller, { jsonrpc: "2.0", id: first.id, result: { action: "decline" } });
  const retry = await h.upstream.next((m) => m.method === "tools/call");
  assertEquals(Object.keys(retry.params.inputResponses).sort(), ["a", "b"]);
  assertEquals("requestState" in retry.params, false, "none came, none goes");
});

Deno.test("a client that cannot answer fails the call: a tool error for tools/call, -32603 for others", async () => {
  using h = modernHarness();
  const { caller, request } = await firstCall(h);
  h.fromServer(inputRequired(request, { inputRequests: { q: elicit } }));
  const asked = await caller.next((m) => m.method === "elicitation/create");
  h.fromClient(caller, { jsonrpc: "2.0", id: asked.id, error: { code: -32601, message: "no" } });
  await Promise.resolve();
  const answer = caller.answer(7);
  assertEquals(answer.result.isError, true);
  assertMatch(answer.result.content[0].text, /did not answer the server's elicitation\/create: no/);
  const prompt = h.initialized("2025-11-25", { roots: {} });
  h.fromClient(prompt, { jsonrpc: "2.0", id: 9, method: "prompts/get", params: { name: "p" } });
  const get = await h.upstream.next((m) => m.method === "prompts/get");
  h.fromServer(inputRequired(get, { inputRequests: { r: { method: "roots/list" } } }));
  const roots = await prompt.next((m) => m.method === "roots/list");
  h.fromClient(prompt, { jsonrpc: "2.0", id: roots.id, error: { code: -32603, message: "x" } });
  await Promise.resolve();
  assertEquals(prompt.answer(9).error.code, -32603);
});

Deno.test("a question the client never answers times out (MRTR_LEG_TIMEOUT_MS) and fails the call", async () => {
  using h = modernHarness();
  const { caller, request } = await firstCall(h);
  h.fromServer(inputRequired(request, { inputRequests: { q: elicit } }));
  await caller.next((m) => m.method === "elicitation/create");
  h.clock.advance(MRTR_LEG_TIMEOUT_MS);
  await Promise.resolve();
  assertEquals(caller.answer(7).result.isError, true);
});

Deno.test("rounds are capped at MRTR_MAX_ROUNDS", async () => {
  using h = modernHarness();
  const { caller, request: first } = await firstCall(h);
  for (let round = 1; round <= MRTR_MAX_ROUNDS + 1; round++) {
    const request = round === 1 ? first : await h.upstream.next((m) => m.method === "tools/call");
    h.fromServer(
      inputRequired(request, { inputRequests: { q: elicit }, requestState: `r${round}` }),
    );
    if (round > MRTR_MAX_ROUNDS) break;
    const asked = await caller.next((m) => m.method === "elicitation/create");
    h.fromClient(caller, { jsonrpc: "2.0", id: asked.id, result: { action: "accept" } });
  }
  const answer = caller.answer(7);
  assertMatch(answer.result.content[0].text, /more than 8 times/);
});

Deno.test("a round with only requestState is retried after a short pause", async () => {
  using h = modernHarness();
  const { request } = await firstCall(h);
  h.fromServer(inputRequired(request, { requestState: "later" }));
  assertEquals(h.upstream.sent.filter((m) => m.method === "tools/call"), []);
  h.clock.advance(MRTR_STATE_ONLY_PAUSE_MS);
  const retry = await h.upstream.next((m) => m.method === "tools/call");
  assertEquals(retry.params.requestState, "later");
  assertEquals("inputResponses" in retry.params, false);
});

Deno.test("the client's cancel between rounds withdraws its open question; nothing is answered or retried", async () => {
  using h = modernHarness();
  const { caller, request } = await firstCall(h);
  h.fromServer(inputRequired(request, { inputRequests: { q: elicit } }));
  const asked = await caller.next((m) => m.method === "elicitation/create");
  h.fromClient(caller, {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: 7 },
  });
  const withdrawn = caller.sent.find((m) => m.method === "notifications/cancelled");
  assertEquals(withdrawn.params.requestId, asked.id);
  h.fromClient(caller, { jsonrpc: "2.0", id: asked.id, result: { action: "accept" } });
  await Promise.resolve();
  assertEquals(h.upstream.sent.filter((m) => m.method === "tools/call"), []);
  assertEquals(caller.sent.filter((m) => m.id === 7), []);
  assertEquals(caller.session.openRequests, 0);
});
