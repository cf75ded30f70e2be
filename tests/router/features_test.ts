/**
 * The routing contract for shared server state, in memory: subscriptions,
 * log levels, roots, tasks, URL elicitations, cursors, version filtering,
 * and re-application after a restart. Each test is one row of
 * docs/routing.md.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { harness, UPSTREAM_RESULT } from "../_helpers/router_harness.ts";

const subscribe = (id: unknown, uri: string) => ({
  jsonrpc: "2.0",
  id,
  method: "resources/subscribe",
  params: { uri },
});
const unsubscribe = (id: unknown, uri: string) => ({
  jsonrpc: "2.0",
  id,
  method: "resources/unsubscribe",
  params: { uri },
});
const updated = (uri: string) => ({
  jsonrpc: "2.0",
  method: "notifications/resources/updated",
  params: { uri },
});

function ready(options = {}) {
  const h = harness(options);
  h.answerInit();
  h.upstream.take();
  return h;
}

// ── Subscriptions ─────────────────────────────────────────────────────────

Deno.test("subscriptions: forwarded on 0→1 and 1→0 only; updates reach subscribers only", async () => {
  using h = ready();
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
  using h = ready();
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
  using h = ready();
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
  using h = ready();
  const a = h.client();
  h.initClient(a);
  h.fromClient(a, subscribe(1, "file:///dir"));
  await h.answerUpstream("resources/subscribe", { result: {} });
  await a.next((m) => m.id === 1);
  h.fromServer(updated("file:///dir/file.txt"));
  h.fromServer(updated("file:///directory-sibling"));
  assertEquals(a.take().map((m) => m.params.uri), ["file:///dir/file.txt"]);
});

// ── Logging ───────────────────────────────────────────────────────────────

const setLevel = (id: unknown, level: string) => ({
  jsonrpc: "2.0",
  id,
  method: "logging/setLevel",
  params: { level },
});
const logMessage = (level: string) => ({
  jsonrpc: "2.0",
  method: "notifications/message",
  params: { level, data: `${level} message` },
});

Deno.test("logging: the upstream gets the most verbose level; each client is filtered at its own", async () => {
  using h = ready();
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
  using h = ready();
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

// ── Roots ─────────────────────────────────────────────────────────────────

Deno.test("roots: the server gets the union of clients' roots, and list_changed when it changes", async () => {
  using h = ready();
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

// ── Server → client requests ──────────────────────────────────────────────

Deno.test("callbacks: sampling goes to the client with the request in flight, ids mapped both ways", async () => {
  using h = ready();
  const a = h.client();
  const b = h.client();
  h.initClient(a, "2025-11-25", "init", { sampling: {} });
  h.initClient(b, "2025-11-25", "init", { sampling: {} });
  h.fromClient(b, { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "x" } });
  await h.upstream.next((m) => m.method === "tools/call");
  h.fromServer({
    jsonrpc: "2.0",
    id: 0,
    method: "sampling/createMessage",
    params: { messages: [] },
  });
  assertEquals(a.take(), []);
  const asked = await b.next((m) => m.method === "sampling/createMessage");
  assert(typeof asked.id === "number");
  h.fromClient(b, { jsonrpc: "2.0", id: asked.id, result: { model: "b", role: "assistant" } });
  const answer = await h.upstream.next((m) => m.id === 0);
  assertEquals(answer.result.model, "b");
  // An answer from a client that was not asked is ignored.
  h.fromClient(a, { jsonrpc: "2.0", id: asked.id, result: { model: "a" } });
  assertEquals(h.upstream.take(), []);
});

Deno.test("callbacks: the only busy client cannot sample → an error, never another client's screen", () => {
  using h = ready();
  const able = h.client();
  const busy = h.client();
  h.initClient(able, "2025-11-25", "init", { sampling: {} });
  h.initClient(busy); // no sampling
  h.fromClient(busy, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } });
  h.upstream.take();
  h.fromServer({ jsonrpc: "2.0", id: 3, method: "sampling/createMessage", params: {} });
  assertEquals(able.take(), []);
  const [refused] = h.upstream.take();
  assertEquals(refused.id, 3);
  assert(refused.error.message.includes("cannot do sampling"));
});

Deno.test("callbacks: URL elicitation only reaches a client that declared it", () => {
  using h = ready();
  const form = h.client();
  const url = h.client();
  h.initClient(form, "2025-11-25", "init", { elicitation: {} });
  h.initClient(url, "2025-11-25", "init", { elicitation: { form: {}, url: {} } });
  const request = {
    jsonrpc: "2.0",
    id: 9,
    method: "elicitation/create",
    params: { mode: "url", url: "https://x", message: "go", elicitationId: "e1" },
  };
  h.fromServer(request);
  assertEquals(form.take(), []);
  assertEquals(url.take().map((m) => m.params.elicitationId), ["e1"]);
  // Completion goes to that client only.
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/elicitation/complete",
    params: { elicitationId: "e1" },
  });
  assertEquals(form.take(), []);
  assertEquals(url.take().map((m) => m.method), ["notifications/elicitation/complete"]);
});

Deno.test("callbacks: the server's cancel reaches the one client asked, with its id", async () => {
  using h = ready();
  const a = h.client();
  h.initClient(a, "2025-11-25", "init", { elicitation: {} });
  h.fromServer({
    jsonrpc: "2.0",
    id: "s1",
    method: "elicitation/create",
    params: { message: "?" },
  });
  const asked = await a.next((m) => m.method === "elicitation/create");
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: "s1", reason: "timeout" },
  });
  const cancel = await a.next((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params, { requestId: asked.id, reason: "timeout" });
});

Deno.test("callbacks: a client that leaves mid-question is answered for: cancel / error", async () => {
  using h = ready();
  const a = h.client();
  h.initClient(a, "2025-11-25", "init", { elicitation: {}, sampling: {} });
  h.fromServer({ jsonrpc: "2.0", id: 1, method: "elicitation/create", params: { message: "?" } });
  h.fromServer({ jsonrpc: "2.0", id: 2, method: "sampling/createMessage", params: {} });
  await a.next((m) => m.method === "sampling/createMessage");
  h.router.disconnect(a.session);
  const answers = [
    await h.upstream.next((m) => m.id === 1),
    await h.upstream.next((m) => m.id === 2),
  ];
  assertEquals(answers[0].result, { action: "cancel" });
  assert(answers[1].error.message.includes("disconnected"));
});

// ── Tasks ─────────────────────────────────────────────────────────────────

Deno.test("tasks: owned by their creator; others can neither see nor touch them", async () => {
  using h = ready();
  const owner = h.client();
  const other = h.client();
  h.initClient(owner);
  h.initClient(other);
  h.fromClient(owner, {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "research", task: { ttl: 1000 }, _meta: { progressToken: "p" } },
  });
  const call = await h.upstream.next((m) => m.method === "tools/call");
  h.fromServer({
    jsonrpc: "2.0",
    id: call.id,
    result: { task: { taskId: "T1", status: "working", createdAt: "", lastUpdatedAt: "", ttl: 1 } },
  });
  assertEquals(owner.answer(1).result.task.taskId, "T1");
  owner.take();
  for (const method of ["tasks/get", "tasks/result", "tasks/cancel"]) {
    h.fromClient(other, { jsonrpc: "2.0", id: method, method, params: { taskId: "T1" } });
    assertEquals(other.answer(method).error.code, ErrorCode.InvalidParams);
  }
  assertEquals(h.upstream.take(), [], "nothing about another client's task reaches the server");
  h.fromClient(owner, { jsonrpc: "2.0", id: 2, method: "tasks/get", params: { taskId: "T1" } });
  assertEquals((await h.upstream.next((m) => m.method === "tasks/get")).params.taskId, "T1");
  // tasks/list is filtered to the caller's own.
  h.fromClient(other, { jsonrpc: "2.0", id: 3, method: "tasks/list" });
  const list = await h.upstream.next((m) => m.method === "tasks/list");
  h.fromServer({
    jsonrpc: "2.0",
    id: list.id,
    result: { tasks: [{ taskId: "T1", status: "working" }, { taskId: "T9", status: "working" }] },
  });
  assertEquals(other.answer(3).result.tasks, []);
  // Status goes to the owner; progress for the task keeps flowing after CreateTaskResult.
  other.take();
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: call.params._meta.progressToken, progress: 2 },
  });
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/tasks/status",
    params: { taskId: "T1", status: "completed" },
  });
  assertEquals(
    owner.take().map((m) => m.method).filter((m) => m !== undefined),
    [
      "notifications/tasks/status",
      "notifications/progress",
    ].reverse(),
  );
  assertEquals(other.take(), []);
  // Once terminal, its progress is over.
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: call.params._meta.progressToken, progress: 3 },
  });
  assertEquals(owner.take(), []);
});

Deno.test("tasks: a request about a task goes to its owner, even while another client is busy", async () => {
  using h = ready();
  const owner = h.client();
  const busy = h.client();
  h.initClient(owner, "2025-11-25", "init", { elicitation: {} });
  h.initClient(busy, "2025-11-25", "init", { elicitation: {} });
  h.fromClient(owner, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { task: {} } });
  const call = await h.upstream.next((m) => m.method === "tools/call");
  h.fromServer({
    jsonrpc: "2.0",
    id: call.id,
    result: { task: { taskId: "T", status: "working" } },
  });
  h.fromClient(busy, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "slow" } });
  h.fromServer({
    jsonrpc: "2.0",
    id: 50,
    method: "elicitation/create",
    params: {
      message: "which?",
      _meta: { "io.modelcontextprotocol/related-task": { taskId: "T" } },
    },
  });
  assertEquals(busy.take().filter((m) => m.method), []);
  assert((await owner.next((m) => m.method === "elicitation/create")).params.message === "which?");
});

Deno.test("URL elicitations named in a -32042 error belong to the client that got the error", () => {
  using h = ready();
  const a = h.client();
  const b = h.client();
  h.initClient(a);
  h.initClient(b);
  h.fromClient(a, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "auth" } });
  const [call] = h.upstream.take();
  h.fromServer({
    jsonrpc: "2.0",
    id: call.id,
    error: {
      code: -32042,
      message: "authorize first",
      data: {
        elicitations: [{ mode: "url", url: "https://x", elicitationId: "E42", message: "" }],
      },
    },
  });
  a.take();
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/elicitation/complete",
    params: { elicitationId: "E42" },
  });
  assertEquals(a.take().map((m) => m.params.elicitationId), ["E42"]);
  assertEquals(b.take(), []);
});

// ── Versions ──────────────────────────────────────────────────────────────

Deno.test("versions: an older client sees no tasks, no task-only tools, no 2025-11-25 notifications", () => {
  using h = harness();
  h.answerInit({
    ...UPSTREAM_RESULT,
    capabilities: { ...UPSTREAM_RESULT.capabilities, tasks: { list: {} }, completions: {} },
  });
  h.upstream.take();
  const old = h.client();
  const ancient = h.client();
  const current = h.client();
  assertEquals(h.initClient(old, "2025-06-18").result.capabilities.tasks, undefined);
  const ancientCaps = h.initClient(ancient, "2024-11-05").result.capabilities;
  assertEquals([ancientCaps.tasks, ancientCaps.completions], [undefined, undefined]);
  assertEquals(Object.keys(h.initClient(current).result.capabilities.tasks), ["list"]);
  const tools = {
    tools: [
      { name: "plain" },
      { name: "task-only", execution: { taskSupport: "required" } },
      { name: "either", execution: { taskSupport: "optional" } },
    ],
  };
  for (const [client, id] of [[old, "o"], [current, "c"]] as const) {
    h.fromClient(client, { jsonrpc: "2.0", id, method: "tools/list" });
  }
  for (const request of h.upstream.take()) {
    h.fromServer({ jsonrpc: "2.0", id: request.id, result: structuredClone(tools) });
  }
  assertEquals(old.answer("o").result.tools.map((t: { name: string }) => t.name), [
    "plain",
    "either",
  ]);
  assertEquals(current.answer("c").result.tools.length, 3);
  // Progress `message` is stripped for 2024-11-05.
  h.fromClient(ancient, {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { _meta: { progressToken: "t" } },
  });
  const [call] = h.upstream.take();
  ancient.take();
  h.fromServer({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: call.params._meta.progressToken, progress: 1, message: "half" },
  });
  assertEquals(ancient.take()[0].params, { progressToken: "t", progress: 1 });
});

// ── Cursors and restarts ──────────────────────────────────────────────────

Deno.test("cursors: passed through within a process, refused (-32602) after a restart", async () => {
  using h = ready();
  const c = h.client();
  h.initClient(c);
  h.fromClient(c, { jsonrpc: "2.0", id: 1, method: "tasks/list" });
  const [list] = h.upstream.take();
  h.fromServer({ jsonrpc: "2.0", id: list.id, result: { tasks: [], nextCursor: "page2" } });
  const cursor = c.answer(1).result.nextCursor;
  assert(cursor !== "page2", "the cursor is tagged with the process it came from");
  h.fromClient(c, { jsonrpc: "2.0", id: 2, method: "tasks/list", params: { cursor } });
  assertEquals(h.upstream.take()[0].params.cursor, "page2");
  h.router.detachUpstream("exit code 1");
  h.router.attachUpstream(h.upstream);
  h.answerInit();
  h.fromClient(c, { jsonrpc: "2.0", id: 3, method: "tasks/list", params: { cursor } });
  const stale = c.answer(3);
  assertEquals(stale.error.code, ErrorCode.InvalidParams);
  assert(stale.error.message.includes("before the server restarted"));
  await Promise.resolve();
});

Deno.test("restarts: subscriptions, the log level and roots are re-applied to the new process", async () => {
  using h = ready();
  const a = h.client();
  h.initClient(a, "2025-11-25", "init", { roots: {} });
  const ask = await a.next((m) => m.method === "roots/list");
  h.fromClient(a, { jsonrpc: "2.0", id: ask.id, result: { roots: [{ uri: "file:///w" }] } });
  h.fromClient(a, subscribe(1, "file:///x"));
  await h.answerUpstream("resources/subscribe", { result: {} });
  h.fromClient(a, setLevel(2, "warning"));
  await h.answerUpstream("logging/setLevel", { result: {} });
  h.router.detachUpstream("killed by SIGKILL");
  h.upstream.take();
  h.router.attachUpstream(h.upstream);
  h.answerInit();
  const replay = h.upstream.take().map((m) => `${m.method} ${JSON.stringify(m.params ?? {})}`);
  assertEquals(replay, [
    "initialize " + JSON.stringify(replayInitParams()),
    "notifications/initialized {}",
    'logging/setLevel {"level":"warning"}',
    'resources/subscribe {"uri":"file:///x"}',
    "notifications/roots/list_changed {}",
  ]);
});

function replayInitParams() {
  return {
    protocolVersion: "2025-11-25",
    capabilities: {
      roots: { listChanged: true },
      sampling: { tools: {} },
      elicitation: { form: {}, url: {} },
    },
    clientInfo: { name: "rmcp-mux", version: "0.0.0" },
  };
}

// ── Serialize mode ────────────────────────────────────────────────────────

Deno.test("serialize: one client's requests upstream at a time, the next in arrival order", () => {
  using h = ready({ serialize: true });
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
  using h = ready({ serialize: true });
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

Deno.test("restarts: a question the dead server asked a client is cancelled for that client", async () => {
  using h = ready();
  const a = h.client();
  h.initClient(a, "2025-11-25", "init", { elicitation: {} });
  h.fromServer({ jsonrpc: "2.0", id: 4, method: "elicitation/create", params: { message: "?" } });
  const asked = await a.next((m) => m.method === "elicitation/create");
  h.router.detachUpstream("exit code 1");
  const cancel = await a.next((m) => m.method === "notifications/cancelled");
  assertEquals(cancel.params.requestId, asked.id);
  assert(cancel.params.reason.includes("exit code 1"));
  // Its late answer goes nowhere.
  h.fromClient(a, { jsonrpc: "2.0", id: asked.id, result: { action: "accept" } });
  assertEquals(h.upstream.take().filter((m) => m.id === 4), []);
});

Deno.test("serialize: a waiting client whose requests were all cancelled does not stall the gate", () => {
  using h = ready({ serialize: true });
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
