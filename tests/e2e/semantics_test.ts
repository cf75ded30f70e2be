/**
 * Every client sees a private server: real SDK clients, several at once,
 * against the real reference server through the mux.
 */

import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  CreateTaskResultSchema,
  ElicitRequestSchema,
  GetTaskResultSchema,
  ListRootsRequestSchema,
  ListTasksResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { assert, assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import {
  connectClient,
  everythingServer,
  startMux,
  type TestClient,
  textOf,
} from "../_helpers/mux.ts";

type Note = { method?: string; params?: Record<string, unknown>; id?: unknown };

function answersSampling(client: Client, model: string, calls: string[] = []) {
  client.setRequestHandler(CreateMessageRequestSchema, () => {
    calls.push(model);
    return Promise.resolve({
      model,
      role: "assistant",
      content: { type: "text", text: `answer from ${model}` },
    });
  });
}

function answersElicitation(client: Client, name: string) {
  client.setRequestHandler(ElicitRequestSchema, (request: { params: { mode?: string } }) => {
    if (request.params.mode === "url") return Promise.resolve({ action: "accept" });
    return Promise.resolve({ action: "accept", content: { name } });
  });
}

/** Wait for a log line (notifications/message) whose data matches. */
function logLine(c: TestClient, pattern: RegExp, from = 0): Promise<unknown> {
  return c.transport.next(
    (m) =>
      (m as Note).method === "notifications/message" &&
      pattern.test(String((m as Note).params?.data)),
    from,
  );
}

Deno.test("sampling and elicitation land on the calling client, each answered by its own handler", async () => {
  await using m = await startMux(everythingServer());
  const caps = { sampling: {}, elicitation: { form: {} } };
  await using a = await connectClient(m.socket, "a", caps, {
    setup: (c) => {
      answersSampling(c, "model-A");
      answersElicitation(c, "Alice");
    },
  });
  await using b = await connectClient(m.socket, "b", caps, {
    setup: (c) => {
      answersSampling(c, "model-B");
      answersElicitation(c, "Bob");
    },
  });
  const sampleA = await a.client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "hi" },
  });
  assertMatch(textOf(sampleA), /"model": "model-A"/);
  const sampleB = await b.client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "hi" },
  });
  assertMatch(textOf(sampleB), /"model": "model-B"/);
  const elicitB = await b.client.callTool({ name: "trigger-elicitation-request", arguments: {} });
  assertMatch(textOf(elicitB), /- Name: Bob/);
  const elicitA = await a.client.callTool({ name: "trigger-elicitation-request", arguments: {} });
  assertMatch(textOf(elicitA), /- Name: Alice/);
});

Deno.test("a client without sampling never causes another client's handler to run", async () => {
  await using m = await startMux(everythingServer());
  const calls: string[] = [];
  await using able = await connectClient(m.socket, "able", { sampling: {} }, {
    setup: (c) => answersSampling(c, "bystander", calls),
  });
  await using unable = await connectClient(m.socket, "unable");
  const result = await unable.client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "x" },
  });
  assertEquals(result.isError, true);
  assertMatch(textOf(result), /rmcp-mux could not route sampling\/createMessage/);
  assertEquals(calls, [], "the bystander's handler never ran");
  assert(able.transport.received.every((msg) => (msg as Note).method !== "sampling/createMessage"));
});

Deno.test("serialize mode: concurrent callbacks each reach their own client", async () => {
  await using m = await startMux(everythingServer(), { serialize: true });
  const clients = await Promise.all(
    ["A", "B", "C"].map((name) =>
      connectClient(m.socket, name, { sampling: {} }, {
        setup: (c) => answersSampling(c, `model-${name}`),
      })
    ),
  );
  try {
    const results = await Promise.all(
      clients.map((c) =>
        c.client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "p" } })
      ),
    );
    results.forEach((r: unknown, i: number) =>
      assertMatch(textOf(r), new RegExp(`"model": "model-${"ABC"[i]}"`))
    );
  } finally {
    for (const c of clients) await c[Symbol.asyncDispose]();
  }
});

Deno.test("a cancel on one client leaves a peer with the same request id untouched", async () => {
  await using m = await startMux(everythingServer());
  await using a = await connectClient(m.socket, "a");
  await using b = await connectClient(m.socket, "b");
  const abort = new AbortController();
  let started!: () => void;
  const atServer = new Promise<void>((resolve) => started = resolve);
  // Fresh SDK clients number their requests alike: both calls carry the same id.
  const run = (c: TestClient, signal?: AbortSignal) =>
    c.client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.8, steps: 4 } },
      undefined,
      { signal, onprogress: () => started() },
    );
  const cancelled = run(a, abort.signal);
  const kept = run(b);
  await atServer;
  abort.abort("changed my mind");
  await assertRejects(() => cancelled);
  const result = await kept;
  assertMatch(textOf(result), /Long running operation completed/);
  const [sentA] = a.transport.received.filter((x) => "result" in x || "error" in x).slice(-1);
  assert(sentA === undefined || (sentA as Note).id !== undefined);
});

Deno.test("get-roots-list shows the caller's roots: the union of connected clients'", async () => {
  await using m = await startMux(everythingServer());
  const roots = (uri: string) => (c: Client) =>
    c.setRequestHandler(
      ListRootsRequestSchema,
      () => Promise.resolve({ roots: [{ uri, name: uri }] }),
    );
  await using a = await connectClient(m.socket, "a", { roots: { listChanged: true } }, {
    setup: roots("file:///project-a"),
  });
  await logLine(a, /Roots updated: 1 root/);
  const b = await connectClient(m.socket, "b", { roots: {} }, {
    setup: roots("file:///project-b"),
  });
  await logLine(a, /Roots updated: 2 root/);
  const both = textOf(await a.client.callTool({ name: "get-roots-list", arguments: {} }));
  assertMatch(both, /file:\/\/\/project-a/);
  assertMatch(both, /file:\/\/\/project-b/);
  const seen = a.transport.received.length;
  await b[Symbol.asyncDispose]();
  await logLine(a, /Roots updated: 1 root/, seen);
  const mine = textOf(await a.client.callTool({ name: "get-roots-list", arguments: {} }));
  assertMatch(mine, /file:\/\/\/project-a/);
  assert(!mine.includes("project-b"), "a departed client's roots are gone");
});

Deno.test("resource updates reach only subscribers; one unsubscribe does not end another's", async () => {
  await using m = await startMux(everythingServer());
  await using a = await connectClient(m.socket, "a");
  await using b = await connectClient(m.socket, "b");
  await using c = await connectClient(m.socket, "c");
  const uri = "demo://resource/static/document/features.md";
  await a.client.subscribeResource({ uri });
  await b.client.subscribeResource({ uri });
  const mark = c.transport.received.length;
  await c.client.callTool({ name: "toggle-subscriber-updates", arguments: {} }); // global on stdio
  const updated = (x: Note) => x.method === "notifications/resources/updated";
  await a.transport.next(updated);
  await b.transport.next(updated);
  await a.client.unsubscribeResource({ uri });
  const bSeen = b.transport.notifications("notifications/resources/updated").length;
  // The next round of updates (every 5 s) still reaches b, never a again.
  await b.transport.next(updated, b.transport.received.length);
  assert(b.transport.notifications("notifications/resources/updated").length > bSeen);
  const aUpdates = a.transport.notifications("notifications/resources/updated").length;
  await c.client.ping();
  assertEquals(c.transport.received.slice(mark).filter(updated).length, 0, "c never subscribed");
  await a.client.ping();
  assertEquals(a.transport.notifications("notifications/resources/updated").length, aUpdates);
  await c.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
});

Deno.test("per-client log levels: each client gets only what it asked for", async () => {
  await using m = await startMux(everythingServer());
  await using quiet = await connectClient(m.socket, "quiet");
  await using chatty = await connectClient(m.socket, "chatty");
  await using trigger = await connectClient(m.socket, "trigger");
  await quiet.client.setLoggingLevel("error");
  await chatty.client.setLoggingLevel("info");
  // The server logs every subscribe at info level.
  await trigger.client.subscribeResource({ uri: "demo://resource/static/document/startup.md" });
  await logLine(chatty, /Received Subscribe Resource request/);
  await logLine(trigger, /Received Subscribe Resource request/); // never set a level: unfiltered
  await quiet.client.ping(); // anything routed before this pong has arrived by now
  assertEquals(
    quiet.transport.notifications("notifications/message").length,
    0,
    "an info line never reaches a client that asked for errors only",
  );
});

Deno.test("a 2025-06-18 client and a 2025-11-25 client work at once, each on its own version", async () => {
  await using m = await startMux(everythingServer());
  await using old = await connectClient(m.socket, "old", {}, { protocolVersion: "2025-06-18" });
  await using current = await connectClient(m.socket, "current");
  assertEquals(old.transport.received.find((x) => (x as Note).id === 0) !== undefined, true);
  const oldInit = old.transport.received.find((x) => (x as Note).id === 0) as {
    result: { protocolVersion: string; capabilities: Record<string, unknown> };
  };
  assertEquals(oldInit.result.protocolVersion, "2025-06-18");
  assertEquals(oldInit.result.capabilities.tasks, undefined);
  assert(current.client.getServerCapabilities()?.tasks !== undefined);
  const [oldTools, currentTools] = await Promise.all([
    old.client.listTools(),
    current.client.listTools(),
  ]);
  const names = (list: { tools: { name: string }[] }) => list.tools.map((t) => t.name);
  assert(names(currentTools).includes("simulate-research-query"));
  assert(!names(oldTools).includes("simulate-research-query"), "task-only tools are hidden");
  const [x, y] = await Promise.all([
    old.client.callTool({ name: "echo", arguments: { message: "old" } }),
    current.client.callTool({ name: "echo", arguments: { message: "new" } }),
  ]);
  assertEquals([textOf(x), textOf(y)], ["Echo: old", "Echo: new"]);
});

Deno.test("tasks belong to their creator: others cannot get, list or hear about them", async () => {
  await using m = await startMux(everythingServer());
  await using owner = await connectClient(m.socket, "owner");
  await using other = await connectClient(m.socket, "other");
  const created = await owner.client.request(
    {
      method: "tools/call",
      params: {
        name: "simulate-research-query",
        arguments: { topic: "mux" },
        task: { ttl: 60_000 },
      },
    },
    CreateTaskResultSchema,
  );
  const taskId = created.task.taskId;
  await assertRejects(
    () => other.client.request({ method: "tasks/get", params: { taskId } }, GetTaskResultSchema),
    /unknown task/,
  );
  const othersList = await other.client.request({ method: "tasks/list" }, ListTasksResultSchema);
  assertEquals(othersList.tasks, []);
  const ownList = await owner.client.request({ method: "tasks/list" }, ListTasksResultSchema);
  assert(ownList.tasks.some((t: { taskId: string }) => t.taskId === taskId));
  const result = await owner.client.request(
    { method: "tasks/result", params: { taskId } },
    CallToolResultSchema,
  );
  assertMatch(textOf(result), /Research Report: mux/);
  assert(owner.transport.notifications("notifications/tasks/status").length > 0);
  await other.client.ping();
  assertEquals(other.transport.notifications("notifications/tasks/status"), []);
});

Deno.test("a request about a task reaches its owner even when another client asked last", async () => {
  await using m = await startMux(everythingServer());
  const caps = { elicitation: { form: {} } };
  const asked: string[] = [];
  const answering = (name: string, value: string) => (c: Client) =>
    c.setRequestHandler(ElicitRequestSchema, () => {
      asked.push(name);
      return Promise.resolve({ action: "accept", content: { interpretation: value } });
    });
  await using owner = await connectClient(m.socket, "owner", caps, {
    setup: answering("owner", "snake"),
  });
  await using busy = await connectClient(m.socket, "busy", caps, {
    setup: answering("busy", "programming"),
  });
  const created = await owner.client.request(
    {
      method: "tools/call",
      params: {
        name: "simulate-research-query",
        arguments: { topic: "python", ambiguous: true },
        task: { ttl: 60_000 },
      },
    },
    CreateTaskResultSchema,
  );
  // The owner waits for the result; then another client sends the most recent request.
  const report = owner.client.request(
    { method: "tasks/result", params: { taskId: created.task.taskId } },
    CallToolResultSchema,
    { timeout: 30_000 },
  );
  const other = busy.client.callTool({
    name: "trigger-long-running-operation",
    arguments: { duration: 4, steps: 2 },
  });
  assertMatch(textOf(await report), /python \(snake\)/);
  assertEquals(asked, ["owner"]);
  await other;
});

Deno.test("after the server is killed, subscriptions and the log level are back", async () => {
  await using m = await startMux(everythingServer());
  await using watcher = await connectClient(m.socket, "watcher"); // no level: sees all that is sent
  await using quiet = await connectClient(m.socket, "quiet");
  const uri = "demo://resource/static/document/architecture.md";
  await quiet.client.setLoggingLevel("error");
  await watcher.client.subscribeResource({ uri });
  const first = (await m.mux.waitFor("running")).pid!;
  Deno.kill(first, "SIGKILL");
  await m.mux.waitFor((s) => s.phase === "running" && s.pid !== first, { timeoutMs: 20_000 });
  const since = watcher.transport.received.length;
  // The new process starts with updates off and no subscribers: turn updates on.
  await quiet.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  const update = await watcher.transport.next(
    (x) => (x as Note).method === "notifications/resources/updated",
    since,
  );
  assertEquals((update as Note).params?.uri, uri, "the subscription was restored");
  const logs = watcher.transport.received.slice(since).filter((x) =>
    (x as Note).method === "notifications/message"
  );
  assertEquals(logs, [], "the restored level (error) kept the restore itself quiet");
  await quiet.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
});
