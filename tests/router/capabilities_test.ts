import { deepStrictEqual, strictEqual } from "node:assert/strict";
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
  deepStrictEqual(serverCapabilitiesFor(V2025_11, FULL), FULL);
});

Deno.test("clients older than 2025-11-25 are not told about tasks", () => {
  for (const version of [V2025_06, V2025_03, V2024]) {
    strictEqual("tasks" in serverCapabilitiesFor(version, FULL), false, version);
  }
});

Deno.test("clients from 2025-03-26 on are told about completions", () => {
  for (const version of [V2025_03, V2025_06, V2025_11]) {
    deepStrictEqual(serverCapabilitiesFor(version, FULL).completions, {}, version);
  }
});

Deno.test("a 2024-11-05 client is not told about completions or tasks, and keeps the rest", () => {
  deepStrictEqual(serverCapabilitiesFor(V2024, FULL), {
    tools: { listChanged: true },
    resources: { subscribe: true },
    logging: {},
  });
});

Deno.test("serverCapabilitiesFor leaves the server's capabilities untouched", () => {
  const caps = structuredClone(FULL);
  serverCapabilitiesFor(V2024, caps);
  deepStrictEqual(caps, FULL);
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
    deepStrictEqual(toolsListFor(version, LIST), {
      tools: [optionalTool, forbiddenTool, bareTool, emptyExecution],
      nextCursor: "c",
    }, version);
  }
});

Deno.test("a 2025-11-25 client sees every tool, the result untouched", () => {
  strictEqual(toolsListFor(V2025_11, LIST), LIST);
  strictEqual(toolsListFor(V2025_11, LIST).tools, LIST.tools);
});

Deno.test("hiding task-only tools leaves the upstream result untouched", () => {
  const list = structuredClone(LIST);
  toolsListFor(V2025_06, list);
  deepStrictEqual(list, LIST);
});

Deno.test("a tools/list result without a tools array passes through", () => {
  const odd = { tools: "nope" };
  strictEqual(toolsListFor(V2024, odd), odd);
  const empty = {};
  strictEqual(toolsListFor(V2024, empty), empty);
});

Deno.test("task status notifications reach 2025-11-25 clients only", () => {
  strictEqual(notificationAllowed(V2025_11, "notifications/tasks/status"), true);
  for (const version of [V2024, V2025_03, V2025_06]) {
    strictEqual(notificationAllowed(version, "notifications/tasks/status"), false, version);
  }
});

Deno.test("elicitation-complete notifications reach 2025-11-25 clients only", () => {
  strictEqual(notificationAllowed(V2025_11, "notifications/elicitation/complete"), true);
  for (const version of [V2024, V2025_03, V2025_06]) {
    strictEqual(
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
      strictEqual(notificationAllowed(version, method), true, `${method} @ ${version}`);
    }
  }
});
