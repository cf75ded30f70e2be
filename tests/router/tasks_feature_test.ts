/** Tasks and URL elicitations, owned by one client (`tasks_feature.ts`): one row of docs/routing.md per test. */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { readyHarness } from "../_helpers/router_harness.ts";

Deno.test("tasks: owned by their creator; others can neither see nor touch them", async () => {
  using h = readyHarness();
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
  using h = readyHarness();
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
  using h = readyHarness();
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
