/**
 * Modern clients (the real SDK v2 client, 2.4.0) in front of a legacy
 * server (the MCP reference server, `server-everything`): the mux
 * synthesizes `server/discover`, strips envelopes, adds `resultType`, turns
 * the server's sampling and elicitation into `input_required` for the call
 * that caused it while the server's call waits, and ends listen streams
 * itself. Legacy clients (SDK v1) share the same server process.
 */

import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { connectModern, type TestModernClient } from "../_helpers/modern_client.ts";
import { connectClient, everythingServer, startMux, textOf } from "../_helpers/mux.ts";

type Raw = { id?: unknown; method?: string; result?: Record<string, unknown>; params?: Msg };
type Msg = Record<string, unknown> & { _meta?: Record<string, unknown> };
const received = (c: TestModernClient) => c.transport.received as unknown as Raw[];

/** A v2 client that answers sampling and elicitation as `name`, recording what it was asked. */
function askable(socket: string, name: string) {
  const asked: string[] = [];
  return connectModern(socket, "auto", {
    name,
    capabilities: { sampling: {}, elicitation: { form: {} } },
    setup: (client) => {
      client.setRequestHandler("sampling/createMessage", () => {
        asked.push("sample");
        return {
          role: "assistant",
          content: { type: "text", text: `from ${name}` },
          model: `model-${name}`,
        };
      });
      client.setRequestHandler("elicitation/create", () => {
        asked.push("elicit");
        return { action: "accept", content: { name } };
      });
    },
  }).then((c) => Object.assign(c, { asked }));
}

async function ready(server = everythingServer(), options = {}) {
  const t = await startMux(server, options);
  await t.mux.waitFor("running", { timeoutMs: 30_000 });
  return t;
}

Deno.test("an auto v2 client stays modern in front of a legacy server: synthesized discover, resultType on every result", async () => {
  await using t = await ready();
  await using c = await connectModern(t.socket, "auto", { name: "modern" });
  assertEquals(c.sent[0]?.method, "server/discover");
  assert(!c.sent.some((m) => m.method === "initialize"), "no fallback needed");
  assertEquals(c.client.getServerVersion()?.name, "mcp-servers/everything");
  const echoed = await c.client.callTool({ name: "echo", arguments: { message: "hi" } });
  assertEquals(textOf(echoed), "Echo: hi");
  const tools = await c.client.listTools();
  assert(tools.tools.some((tool) => tool.name === "echo"));
  const results = received(c).filter((m) => m.result && m.id !== undefined);
  assert(results.length >= 3);
  for (const r of results) assert("resultType" in r.result!, `resultType on ${JSON.stringify(r)}`);
  assertEquals(t.mux.status().eras, {
    upstream: "legacy",
    clients: { legacy: 0, modern: 1, unknown: 0 },
  });
});

Deno.test("a legacy server's sampling and elicitation reach the calling v2 client through input_required", async () => {
  await using t = await ready();
  await using caller = await askable(t.socket, "caller");
  await using bystander = await askable(t.socket, "bystander");
  const sampled = await caller.client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "hi" },
  });
  assertMatch(textOf(sampled), /"model": "model-caller"/);
  const elicited = await caller.client.callTool({
    name: "trigger-elicitation-request",
    arguments: {},
  });
  assertMatch(textOf(elicited), /- Name: caller/);
  assertEquals(caller.asked, ["sample", "elicit"]);
  assertEquals(bystander.asked, [], "never another client's screen");
  const rounds = received(caller).filter((m) => m.result?.resultType === "input_required");
  assertEquals(rounds.length, 2, "asked through input_required, once per question");
  const retries = caller.sent.filter((m) => typeof m.params?.requestState === "string");
  assertEquals(retries.length, 2, "each retry carried the mux's handle");
});

Deno.test("v1 and v2 clients on one legacy server process: each question reaches its own caller", async () => {
  await using t = await ready(everythingServer(), { serialize: true });
  const pid = t.mux.status().server.pid;
  await using modern = await askable(t.socket, "modern");
  const legacyCalls: string[] = [];
  await using legacy = await connectClient(t.socket, "legacy", { sampling: {}, elicitation: {} }, {
    setup: (client) => {
      client.setRequestHandler(CreateMessageRequestSchema, () => {
        legacyCalls.push("sample");
        return { role: "assistant", content: { type: "text", text: "x" }, model: "model-legacy" };
      });
      client.setRequestHandler(ElicitRequestSchema, () => {
        legacyCalls.push("elicit");
        return { action: "accept", content: { name: "legacy" } };
      });
    },
  });
  const [fromModern, fromLegacy] = await Promise.all([
    modern.client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "m" } }),
    legacy.client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "l" } }),
  ]);
  assertMatch(textOf(fromModern), /"model": "model-modern"/);
  assertMatch(textOf(fromLegacy), /"model": "model-legacy"/);
  assertEquals(modern.asked, ["sample"]);
  assertEquals(legacyCalls, ["sample"]);
  assertEquals(t.mux.status().server.pid, pid, "one process for both eras");
  assertEquals(t.mux.status().eras.clients, { legacy: 1, modern: 1, unknown: 0 });
});

Deno.test("a pinned v2 client works with a legacy server; progress reaches it under its own token", async () => {
  await using t = await ready();
  await using c = await connectModern(t.socket, { pin: "2026-07-28" }, { name: "pinned" });
  const steps: number[] = [];
  const done = await c.client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 0.2, steps: 2 } },
    { onprogress: (p) => steps.push(p.progress) },
  );
  assertMatch(textOf(done), /completed/i);
  assertEquals(c.transport.notifications("notifications/progress").length, 2);
});

Deno.test("a v2 client's listen in front of a legacy server: acknowledged by the mux, updates tagged with its own id", async () => {
  await using t = await ready();
  await using c = await connectModern(t.socket, "auto", { name: "watcher" });
  const uri = "demo://resource/static/document/features.md";
  const updates: string[] = [];
  c.client.setNotificationHandler("notifications/resources/updated", (n) => {
    updates.push(n.params.uri);
  });
  const sub = await c.client.listen({ resourceSubscriptions: [uri] });
  assertEquals(sub.honoredFilter, { resourceSubscriptions: [uri] });
  const id = c.sent.find((m) => m.method === "subscriptions/listen")!.id;
  // server-everything sends updates for subscribed resources every few seconds once toggled on.
  await c.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  const update = await c.transport.next((m) =>
    (m as Raw).method === "notifications/resources/updated"
  ) as Raw;
  assertEquals(update.params?._meta?.["io.modelcontextprotocol/subscriptionId"], id);
  assertEquals(updates[0], uri);
  await c.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  await sub.close();
});
