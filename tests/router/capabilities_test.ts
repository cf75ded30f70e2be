import { assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { harness, UPSTREAM_RESULT } from "../_helpers/router_harness.ts";
import {
  notificationAllowed,
  serverCapabilitiesFor,
  toolsListFor,
} from "../../src/router/capabilities.ts";

const V2024 = "2024-11-05";
const V2025_03 = "2025-03-26";
const V2025_06 = "2025-06-18";
const V2025_11 = "2025-11-25";

const FULL = {
  tools: { listChanged: true },
  resources: { subscribe: true },
  logging: {},
  completions: {},
  tasks: { list: {}, cancel: {} },
};

Deno.test("a 2025-11-25 client is told every server capability", () => {
  assertEquals(serverCapabilitiesFor(V2025_11, FULL), FULL);
});

Deno.test("clients older than 2025-11-25 are not told about tasks", () => {
  for (const version of [V2025_06, V2025_03, V2024]) {
    assertStrictEquals("tasks" in serverCapabilitiesFor(version, FULL), false, version);
  }
});

Deno.test("clients from 2025-03-26 on are told about completions", () => {
  for (const version of [V2025_03, V2025_06, V2025_11]) {
    assertEquals(serverCapabilitiesFor(version, FULL).completions, {}, version);
  }
});

Deno.test("a 2024-11-05 client is not told about completions or tasks, and keeps the rest", () => {
  assertEquals(serverCapabilitiesFor(V2024, FULL), {
    tools: { listChanged: true },
    resources: { subscribe: true },
    logging: {},
  });
});

Deno.test("serverCapabilitiesFor leaves the server's capabilities untouched", () => {
  const caps = structuredClone(FULL);
  serverCapabilitiesFor(V2024, caps);
  assertEquals(caps, FULL);
});

const requiredTool = { name: "long", execution: { taskSupport: "required" } };
const optionalTool = { name: "either", execution: { taskSupport: "optional" } };
const forbiddenTool = { name: "plain", execution: { taskSupport: "forbidden" } };
const bareTool = { name: "bare" };
const emptyExecution = { name: "empty", execution: {} };
const LIST = {
  tools: [requiredTool, optionalTool, forbiddenTool, bareTool, emptyExecution],
  nextCursor: "c",
};

Deno.test("older clients do not see tools that can only be called as tasks", () => {
  for (const version of [V2024, V2025_03, V2025_06]) {
    assertEquals(toolsListFor(version, LIST), {
      tools: [optionalTool, forbiddenTool, bareTool, emptyExecution],
      nextCursor: "c",
    }, version);
  }
});

Deno.test("a 2025-11-25 client sees every tool, the result untouched", () => {
  assertStrictEquals(toolsListFor(V2025_11, LIST), LIST);
  assertStrictEquals(toolsListFor(V2025_11, LIST).tools, LIST.tools);
});

Deno.test("hiding task-only tools leaves the upstream result untouched", () => {
  const list = structuredClone(LIST);
  toolsListFor(V2025_06, list);
  assertEquals(list, LIST);
});

Deno.test("a tools/list result without a tools array passes through", () => {
  const odd = { tools: "nope" };
  assertStrictEquals(toolsListFor(V2024, odd), odd);
  const empty = {};
  assertStrictEquals(toolsListFor(V2024, empty), empty);
});

Deno.test("task status notifications reach 2025-11-25 clients only", () => {
  assertStrictEquals(notificationAllowed(V2025_11, "notifications/tasks/status"), true);
  for (const version of [V2024, V2025_03, V2025_06]) {
    assertStrictEquals(notificationAllowed(version, "notifications/tasks/status"), false, version);
  }
});

Deno.test("elicitation-complete notifications reach 2025-11-25 clients only", () => {
  assertStrictEquals(notificationAllowed(V2025_11, "notifications/elicitation/complete"), true);
  for (const version of [V2024, V2025_03, V2025_06]) {
    assertStrictEquals(
      notificationAllowed(version, "notifications/elicitation/complete"),
      false,
      version,
    );
  }
});

Deno.test("other notifications reach clients of every version", () => {
  const methods = [
    "notifications/message",
    "notifications/progress",
    "notifications/tools/list_changed",
    "notifications/resources/updated",
    "notifications/unknown/thing",
  ];
  for (const method of methods) {
    for (const version of [V2024, V2025_03, V2025_06, V2025_11]) {
      assertStrictEquals(notificationAllowed(version, method), true, `${method} @ ${version}`);
    }
  }
});

// ── Through the router ───────────────────────────────────────────────────

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
