/**
 * Legacy clients (the real SDK v1 client, 1.32.2) in front of a server that
 * speaks only MCP 2026-07-28 (the real SDK v2 `serveStdio`, `legacy:
 * "reject"`): the mux discovers it, envelopes each client's requests with
 * that client's own identity, runs the server's `input_required` rounds as
 * real requests to the calling client, and serves subscriptions and list
 * changes from its own streams.
 */

import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { connectClient, modernServer, startMux, type TestClient, textOf } from "../_helpers/mux.ts";
import { checkHealth } from "../../src/health/check.ts";

const MODERN_ONLY = modernServer("--reject-legacy");

/** A v1 client that answers elicitation, sampling and roots, recording what it was asked. */
function askable(socket: string, name: string): Promise<TestClient & { asked: string[] }> {
  const asked: string[] = [];
  return connectClient(
    socket,
    name,
    { elicitation: {}, sampling: {}, roots: {} },
    {
      setup: (client) => {
        client.setRequestHandler(
          ElicitRequestSchema,
          (request: { params: { message: string } }) => {
            asked.push(`elicit:${request.params.message}`);
            return { action: "accept", content: { answer: `${name}-yes` } };
          },
        );
        client.setRequestHandler(CreateMessageRequestSchema, () => {
          asked.push("sample");
          return {
            role: "assistant",
            content: { type: "text", text: `hello from ${name}` },
            model: "m",
          };
        });
        client.setRequestHandler(ListRootsRequestSchema, () => {
          asked.push("roots");
          return { roots: [{ uri: `file:///${name}` }] };
        });
      },
    },
  ).then((c) => Object.assign(c, { asked }));
}

const whoami = async (c: TestClient) =>
  JSON.parse(textOf(await c.client.callTool({ name: "whoami", arguments: {} })));

Deno.test("a modern-only server serves v1 clients: initialize from its discover, each request in its client's own envelope", async () => {
  await using t = await startMux(MODERN_ONLY);
  await using a = await connectClient(t.socket, "alpha", { sampling: {} });
  await using b = await connectClient(t.socket, "beta", { elicitation: {} });
  assertEquals(a.client.getServerVersion()?.name, "modern-fixture");
  assert(a.client.getServerCapabilities()?.resources?.subscribe, "emulated: kept");
  const echoed = await a.client.callTool({ name: "echo", arguments: { text: "hi" } });
  assertEquals(textOf(echoed), "hi");
  const raw = a.transport.received.find((m) => "result" in m && "content" in (m.result as object));
  assert(raw && !("resultType" in (raw as { result: object }).result), "no resultType for v1");
  const seenA = await whoami(a);
  assertEquals(seenA.era, "modern");
  assertEquals(seenA.clientInfo.name, "alpha");
  assertEquals(seenA.clientCapabilities, { sampling: {} });
  const seenB = await whoami(b);
  assertEquals(seenB.clientInfo.name, "beta");
  assertEquals(seenB.clientCapabilities, { elicitation: {} });
  assertEquals(t.mux.status().eras, {
    upstream: "modern",
    clients: { legacy: 2, modern: 0, unknown: 0 },
  });
  const health = await checkHealth(t.socket, { timeoutMs: 10_000 });
  assertEquals(health.ok, true, health.message);
});

Deno.test("the server's elicitation, sampling and roots reach the calling v1 client only, and the tool completes", async () => {
  await using t = await startMux(MODERN_ONLY);
  await using caller = await askable(t.socket, "caller");
  await using bystander = await askable(t.socket, "bystander");
  const confirmed = await caller.client.callTool({
    name: "confirm",
    arguments: { question: "Deploy?" },
  });
  assertEquals(textOf(confirmed), "the user said caller-yes");
  const sampled = await caller.client.callTool({ name: "ask-llm", arguments: { prompt: "hi" } });
  assertEquals(textOf(sampled), "the model said hello from caller");
  const roots = await caller.client.callTool({ name: "list-roots", arguments: {} });
  assertEquals(textOf(roots), "file:///caller");
  const twice = await caller.client.callTool({ name: "two-rounds", arguments: {} });
  assertEquals(textOf(twice), "hello from caller caller-yes");
  assertEquals(caller.asked, ["elicit:Deploy?", "sample", "roots", "elicit:Your name?", "sample"]);
  assertEquals(bystander.asked, [], "never another client's screen");
  const resumed = await caller.client.callTool({ name: "state-only", arguments: {} });
  assertEquals(textOf(resumed), "resumed");
});

Deno.test("subscriptions and list changes from the mux's own streams: updates to subscribers only", async () => {
  await using t = await startMux(MODERN_ONLY);
  await using watcher = await connectClient(t.socket, "watcher");
  await using other = await connectClient(t.socket, "other");
  const updates: string[] = [];
  watcher.client.setNotificationHandler(
    ResourceUpdatedNotificationSchema,
    (n: { params: { uri: string } }) => {
      updates.push(n.params.uri);
    },
  );
  const changed: string[] = [];
  for (const [name, c] of [["watcher", watcher], ["other", other]] as const) {
    c.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed.push(name);
    });
  }
  await watcher.client.subscribeResource({ uri: "fixture://counter" });
  await other.client.callTool({ name: "touch", arguments: { uri: "fixture://counter" } });
  await watcher.transport.next((m) =>
    (m as { method?: string }).method === "notifications/resources/updated"
  );
  assertEquals(updates, ["fixture://counter"]);
  assertEquals(other.transport.notifications("notifications/resources/updated"), []);
  const update = watcher.transport.notifications("notifications/resources/updated")[0]!;
  assertEquals(update.params, { uri: "fixture://counter" }, "no stream tag for a v1 client");
  await other.client.callTool({ name: "add-tool", arguments: { name: "fresh" } });
  for (const c of [watcher, other]) {
    await c.transport.next((m) =>
      (m as { method?: string }).method === "notifications/tools/list_changed"
    );
  }
  assertEquals(changed.sort(), ["other", "watcher"]);
  const tools = await other.client.listTools();
  assert(tools.tools.some((tool: { name: string }) => tool.name === "fresh"));
  await watcher.client.unsubscribeResource({ uri: "fixture://counter" });
  await other.client.callTool({ name: "touch", arguments: { uri: "fixture://counter" } });
  await other.client.callTool({ name: "echo", arguments: { text: "sync" } });
  assertEquals(updates, ["fixture://counter"], "no update after unsubscribing");
});

Deno.test("a v1 client's log level travels with its requests; the log line reaches it alone", async () => {
  await using t = await startMux(MODERN_ONLY);
  await using loud = await connectClient(t.socket, "loud");
  await using quiet = await connectClient(t.socket, "quiet");
  const heard: string[] = [];
  loud.client.setNotificationHandler(
    LoggingMessageNotificationSchema,
    (n: { params: { data: unknown } }) => {
      heard.push(String(n.params.data));
    },
  );
  await loud.client.setLoggingLevel("info");
  await loud.client.callTool({ name: "log", arguments: { level: "debug", text: "too low" } });
  await loud.client.callTool({ name: "log", arguments: { level: "warning", text: "heard" } });
  await quiet.client.callTool({ name: "log", arguments: { level: "error", text: "not asked" } });
  assertEquals(heard, ["heard"]);
  assertEquals(quiet.transport.notifications("notifications/message"), []);
  assertEquals((await whoami(loud)).logLevel, "info");
});

Deno.test("progress from a modern server reaches its v1 caller under its own token", async () => {
  await using t = await startMux(MODERN_ONLY);
  await using c = await connectClient(t.socket, "progress");
  const seen: number[] = [];
  const result = await c.client.callTool({ name: "slow", arguments: { steps: 3 } }, undefined, {
    onprogress: (p: { progress: number }) => seen.push(p.progress),
  });
  assertEquals(textOf(result), "done after 3");
  assertEquals(c.transport.notifications("notifications/progress").length, 3);
});

Deno.test("after the modern server is killed, subscriptions come back on the new process", async () => {
  await using t = await startMux(MODERN_ONLY);
  await using watcher = await connectClient(t.socket, "watcher");
  await watcher.client.subscribeResource({ uri: "fixture://counter" });
  const first = (await t.mux.waitFor("running", { timeoutMs: 20_000 })).pid!;
  Deno.kill(first, "SIGKILL");
  await t.mux.waitFor((s) => s.phase === "running" && s.pid !== first, { timeoutMs: 30_000 });
  // The stream is re-opened before queued traffic: the touch below is seen by it.
  await watcher.client.callTool({ name: "touch", arguments: { uri: "fixture://counter" } });
  const update = await watcher.transport.next((m) =>
    (m as { method?: string }).method === "notifications/resources/updated"
  );
  assertMatch(JSON.stringify(update), /fixture:\/\/counter/);
});
