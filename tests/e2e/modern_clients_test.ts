/**
 * Modern clients (the real SDK v2 client, 2.4.0, auto and pinned) in front
 * of a modern server (the SDK v2 `serveStdio` fixture), next to legacy
 * clients (SDK v1) on the same server process: the probe answered from the
 * cache, requests passed through in each client's own envelope,
 * `input_required` rounds untouched, and `subscriptions/listen` streams
 * with each client's own ids.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { connectModern, type TestModernClient } from "../_helpers/modern_client.ts";
import { connectClient, modernServer, startMux, textOf } from "../_helpers/mux.ts";

const DUAL_ERA = modernServer();
const MODERN_ONLY = modernServer("--reject-legacy");
const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

type Raw = { id?: unknown; method?: string; result?: Record<string, unknown>; params?: Msg };
type Msg = Record<string, unknown> & { _meta?: Record<string, unknown> };

const received = (c: TestModernClient) => c.transport.received as unknown as Raw[];

/** A v2 client that answers elicitation and sampling, recording what it was asked. */
function askable(socket: string, name: string, mode: "auto" | { pin: string } = "auto") {
  const asked: string[] = [];
  return connectModern(socket, mode, {
    name,
    capabilities: { elicitation: { form: {} }, sampling: {} },
    setup: (client) => {
      client.setRequestHandler("elicitation/create", (request) => {
        asked.push(`elicit:${request.params.message}`);
        return { action: "accept", content: { answer: `${name}-yes` } };
      });
      client.setRequestHandler("sampling/createMessage", () => {
        asked.push("sample");
        return {
          role: "assistant",
          content: { type: "text", text: `hi from ${name}` },
          model: "m",
        };
      });
    },
  }).then((c) => Object.assign(c, { asked }));
}

const whoami = async (c: TestModernClient) =>
  JSON.parse(textOf(await c.client.callTool({ name: "whoami", arguments: {} })));

for (const [label, server] of [["modern-only", MODERN_ONLY], ["dual-era", DUAL_ERA]] as const) {
  Deno.test(`an auto v2 client probes, gets the ${label} server's discover answer from the mux, and stays modern`, async () => {
    await using t = await startMux(server, {
      upstreamEra: label === "dual-era" ? "modern" : "auto",
    });
    await t.mux.waitFor("running", { timeoutMs: 30_000 });
    await using c = await connectModern(t.socket, "auto", { name: "auto-host" });
    assertEquals(c.sent[0]?.method, "server/discover");
    assert(!c.sent.some((m) => m.method === "initialize"), "no fallback");
    assertEquals(c.client.getServerVersion()?.name, "modern-fixture");
    const echoed = await c.client.callTool({ name: "echo", arguments: { text: "modern" } });
    assertEquals(textOf(echoed), "modern");
    const answer = received(c).find((m) => m.result && "content" in m.result);
    assertEquals(answer?.result?.resultType, "complete", "resultType reaches a modern client");
    const seen = await whoami(c);
    assertEquals(seen.era, "modern");
    assertEquals(seen.clientInfo.name, "auto-host", "the client's own envelope reaches the server");
    assertEquals(t.mux.status().eras.clients, { legacy: 0, modern: 1, unknown: 0 });
  });
}

Deno.test("a pinned v2 client, an auto v2 client and a v1 client share one modern server process", async () => {
  await using t = await startMux(MODERN_ONLY);
  await t.mux.waitFor("running", { timeoutMs: 30_000 });
  const pid = t.mux.status().server.pid;
  await using pinned = await connectModern(t.socket, { pin: "2026-07-28" }, { name: "pinned" });
  await using auto = await connectModern(t.socket, "auto", { name: "auto" });
  await using legacy = await connectClient(t.socket, "legacy");
  assertEquals((await whoami(pinned)).clientInfo.name, "pinned");
  assertEquals((await whoami(auto)).clientInfo.name, "auto");
  assertEquals(
    JSON.parse(textOf(await legacy.client.callTool({ name: "whoami", arguments: {} })))
      .clientInfo.name,
    "legacy",
  );
  assertEquals(t.mux.status().eras.clients, { legacy: 1, modern: 2, unknown: 0 });
  assertEquals(t.mux.status().server.pid, pid, "one process");
});

Deno.test("input_required passes through to the modern caller, which answers and retries itself", async () => {
  await using t = await startMux(MODERN_ONLY);
  await t.mux.waitFor("running", { timeoutMs: 30_000 });
  await using caller = await askable(t.socket, "caller");
  await using bystander = await askable(t.socket, "bystander");
  const confirmed = await caller.client.callTool({
    name: "confirm",
    arguments: { question: "Ok?" },
  });
  assertEquals(textOf(confirmed), "the user said caller-yes");
  const twice = await caller.client.callTool({ name: "two-rounds", arguments: {} });
  assertEquals(textOf(twice), "hi from caller caller-yes");
  assertEquals(caller.asked, ["elicit:Ok?", "elicit:Your name?", "sample"]);
  assertEquals(bystander.asked, []);
  const rounds = received(caller).filter((m) => m.result?.resultType === "input_required");
  assertEquals(rounds.length, 3, "the mux passed every round to the client");
  const retry = caller.sent.filter((m) => m.method === "tools/call" && m.params?.requestState);
  assertEquals(retry.map((m) => m.params?.requestState), ["round-1", "round-2:caller-yes"]);
});

Deno.test("two modern clients' streams with the same id each get their own notifications, tagged with their own id", async () => {
  await using t = await startMux(MODERN_ONLY);
  await t.mux.waitFor("running", { timeoutMs: 30_000 });
  await using a = await connectModern(t.socket, "auto", { name: "a" });
  await using b = await connectModern(t.socket, "auto", { name: "b" });
  const updatesA: string[] = [];
  a.client.setNotificationHandler("notifications/resources/updated", (n) => {
    updatesA.push(n.params.uri);
  });
  const subA = await a.client.listen({ resourceSubscriptions: ["fixture://counter"] });
  const subB = await b.client.listen({ toolsListChanged: true });
  assertEquals(subA.honoredFilter, { resourceSubscriptions: ["fixture://counter"] });
  const idA = a.sent.find((m) => m.method === "subscriptions/listen")!.id;
  const idB = b.sent.find((m) => m.method === "subscriptions/listen")!.id;
  assertEquals(idA, idB, "the SDK numbers its streams per client: both the same id");
  await b.client.callTool({ name: "touch", arguments: { uri: "fixture://counter" } });
  await b.client.callTool({ name: "add-tool", arguments: { name: "later" } });
  const update = await a.transport.next((m) =>
    (m as Raw).method === "notifications/resources/updated"
  ) as Raw;
  assertEquals(update.params?._meta?.[SUBSCRIPTION_ID], idA);
  const changed = await b.transport.next((m) =>
    (m as Raw).method === "notifications/tools/list_changed"
  ) as Raw;
  assertEquals(changed.params?._meta?.[SUBSCRIPTION_ID], idB);
  assertEquals(updatesA, ["fixture://counter"]);
  assertEquals(b.transport.notifications("notifications/resources/updated"), []);
  assertEquals(a.transport.notifications("notifications/tools/list_changed"), []);
  await subA.close();
  assertEquals(await subA.closed, "local");
  await subB.close();
});

Deno.test("a modern client's stream survives a server restart, and ends gracefully when the mux stops", async () => {
  const t = await startMux(MODERN_ONLY);
  try {
    const first = (await t.mux.waitFor("running", { timeoutMs: 30_000 })).pid!;
    await using watcher = await connectModern(t.socket, "auto", { name: "watcher" });
    const sub = await watcher.client.listen({ resourceSubscriptions: ["fixture://counter"] });
    Deno.kill(first, "SIGKILL");
    await t.mux.waitFor((s) => s.phase === "running" && s.pid !== first, { timeoutMs: 30_000 });
    await watcher.client.callTool({ name: "touch", arguments: { uri: "fixture://counter" } });
    await watcher.transport.next((m) => (m as Raw).method === "notifications/resources/updated");
    assertEquals(
      watcher.transport.notifications("notifications/subscriptions/acknowledged").length,
      1,
      "one acknowledgement: the stream went on",
    );
    await t.mux.close();
    assertEquals(await sub.closed, "graceful");
  } finally {
    await t[Symbol.asyncDispose]();
  }
});

Deno.test("progress and logs reach the modern client whose request asked for them", async () => {
  await using t = await startMux(MODERN_ONLY);
  await t.mux.waitFor("running", { timeoutMs: 30_000 });
  await using c = await connectModern(t.socket, "auto", { name: "p" });
  await using other = await connectModern(t.socket, "auto", { name: "o" });
  const steps: number[] = [];
  const done = await c.client.callTool({ name: "slow", arguments: { steps: 2 } }, {
    onprogress: (p) => steps.push(p.progress),
  });
  assertEquals(textOf(done), "done after 2");
  assertEquals(c.transport.notifications("notifications/progress").length, 2);
  await c.client.request(
    {
      method: "tools/call",
      params: {
        name: "log",
        arguments: { level: "warning", text: "for p" },
        _meta: { "io.modelcontextprotocol/logLevel": "info" },
      },
    },
  );
  const log = await c.transport.next((m) => (m as Raw).method === "notifications/message") as Raw;
  assertEquals(log.params?.data, "for p");
  assertEquals(other.transport.notifications("notifications/message"), []);
});
