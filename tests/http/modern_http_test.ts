/**
 * MCP 2026-07-28 over the mux's Streamable HTTP endpoint, end to end: the
 * real SDK v2 client over its own HTTP transport, pinned to 2026-07-28 and
 * in `auto` mode (which now goes modern over HTTP), in front of a modern
 * server (the SDK v2 fixture, `--reject-legacy`) and a legacy one (the
 * reference server), side by side with legacy HTTP sessions and socket
 * clients on one server process: calls, MRTR round trips reaching their own
 * client, listens, and cancelling by closing a response stream.
 */

import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { assert, assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import { connectHttpClient, startHttpMux } from "../_helpers/http.ts";
import {
  connectModernHttp,
  type ModernHttpClient,
  type Recorded,
} from "../_helpers/modern_http.ts";
import { connectClient, everythingServer, modernServer, textOf } from "../_helpers/mux.ts";

type Era = "legacy" | "modern";

/** What the clients of the mixed test answer when asked, per server era. */
function answers(upstream: Era, name: string) {
  return {
    elicit: {
      action: "accept" as const,
      content: (upstream === "modern" ? { answer: name } : { name }) as Record<string, string>,
    },
    sample: {
      role: "assistant" as const,
      content: { type: "text" as const, text: `hello from ${name}` },
      model: `model-${name}`,
    },
  };
}

/** A v2 client over HTTP that answers elicitation and sampling as `name`. */
function modernAsker(
  m: { url: string; token: string },
  upstream: Era,
  name: string,
  mode: "auto" | { pin: string },
) {
  const asked: string[] = [];
  const reply = answers(upstream, name);
  return connectModernHttp(m, mode, {
    name,
    capabilities: { elicitation: { form: {} }, sampling: {} },
    setup: (client) => {
      client.setRequestHandler("elicitation/create", () => {
        asked.push("elicit");
        return reply.elicit;
      });
      client.setRequestHandler("sampling/createMessage", () => {
        asked.push("sample");
        return reply.sample;
      });
    },
  }).then((c) => Object.assign(c, { asked }));
}

/** The calls each client makes, and what it must get back, per server era. */
async function exercise(
  upstream: Era,
  name: string,
  call: (params: { name: string; arguments: Record<string, unknown> }) => Promise<unknown>,
): Promise<void> {
  if (upstream === "modern") {
    assertEquals(textOf(await call({ name: "echo", arguments: { text: name } })), name);
    const who = JSON.parse(textOf(await call({ name: "whoami", arguments: {} })));
    assertEquals(who.era, "modern", `${name}: served in the 2026-07-28 era`);
    assertEquals(who.clientInfo.name, name, `${name}: its own identity reached the server`);
    assertEquals(
      textOf(await call({ name: "confirm", arguments: { question: `${name}?` } })),
      `the user said ${name}`,
      `${name}: its own elicitation answer`,
    );
    assertEquals(
      textOf(await call({ name: "two-rounds", arguments: {} })),
      `hello from ${name} ${name}`,
      `${name}: two rounds, each its own`,
    );
    return;
  }
  assertEquals(textOf(await call({ name: "echo", arguments: { message: name } })), `Echo: ${name}`);
  assertMatch(
    textOf(await call({ name: "trigger-sampling-request", arguments: { prompt: name } })),
    new RegExp(`"model": "model-${name}"`),
    `${name}: its own sampling answer`,
  );
  assertMatch(
    textOf(await call({ name: "trigger-elicitation-request", arguments: {} })),
    new RegExp(`- Name: ${name}\\b`),
    `${name}: its own elicitation answer`,
  );
}

for (const upstream of ["modern", "legacy"] as Era[]) {
  Deno.test(`2026-07-28 HTTP clients (pinned and auto) next to a legacy HTTP session and a socket client, on one ${upstream} server process`, async () => {
    // A legacy server's questions name no call: --serialize makes each reach its own caller.
    await using m = await startHttpMux(
      upstream === "modern" ? modernServer("--reject-legacy") : everythingServer(),
      upstream === "modern" ? { upstreamEra: "auto" } : { serialize: true },
    );
    const pid = (await m.mux.waitFor("running", { timeoutMs: 30_000 })).pid;
    const reply = (name: string) => answers(upstream, name);
    await using pinned = await modernAsker(m, upstream, "pinned-http", { pin: "2026-07-28" });
    await using auto = await modernAsker(m, upstream, "auto-http", "auto");
    await using session = await connectHttpClient(m, "session-http", {
      elicitation: {},
      sampling: {},
    }, {
      setup: (client) => {
        client.setRequestHandler(ElicitRequestSchema, () => reply("session-http").elicit);
        client.setRequestHandler(CreateMessageRequestSchema, () => reply("session-http").sample);
      },
    });
    await using socket = await connectClient(
      m.socket,
      "socket",
      { elicitation: {}, sampling: {} },
      {
        setup: (client) => {
          client.setRequestHandler(ElicitRequestSchema, () => reply("socket").elicit);
          client.setRequestHandler(CreateMessageRequestSchema, () => reply("socket").sample);
        },
      },
    );
    for (const c of [pinned, auto]) {
      assertEquals(c.client.getNegotiatedProtocolVersion(), "2026-07-28");
      assertEquals(c.transport.sessionId, undefined, "no HTTP session in 2026-07-28");
    }
    assertEquals(auto.sent[0]?.method, "server/discover", "auto probes, and stays modern");
    assert(!auto.sent.some((m) => m.method === "initialize"));
    await Promise.all([
      exercise(upstream, "pinned-http", (p) => pinned.client.callTool(p)),
      exercise(upstream, "auto-http", (p) => auto.client.callTool(p)),
      exercise(upstream, "session-http", (p) => session.client.callTool(p)),
      exercise(upstream, "socket", (p) => socket.client.callTool(p)),
    ]);
    for (const c of [pinned, auto]) {
      const rounds = c.received.messages.filter((m) =>
        (m as Recorded).result?.resultType === "input_required"
      );
      assertEquals(rounds.length, upstream === "modern" ? 3 : 2, "asked through input_required");
      assertEquals(
        c.asked,
        upstream === "modern" ? ["elicit", "elicit", "sample"] : ["sample", "elicit"],
      );
      const retries = c.sent.filter((m) => m.params?.inputResponses !== undefined);
      assertEquals(retries.length, rounds.length, "each round answered by a retry");
    }
    const status = await m.mux.waitForStatus((s) => s.eras.clients.modern === 0, {
      timeoutMs: 20_000,
    });
    assertEquals(status.server.pid, pid, "one server process for every client");
    assertEquals(status.eras.upstream, upstream);
    assertEquals(status.eras.clients, { legacy: 2, modern: 0, unknown: 0 });
    assertEquals(m.listener.requests, 0, "nothing of the 2026-07-28 requests is left");
    assertEquals(status.pendingRequests, 0);
  });
}

Deno.test("a tool that mirrors a parameter into a header: the v2 client sends Mcp-Param-*, the mux checks it", async () => {
  await using m = await startHttpMux(modernServer("--reject-legacy"));
  // A probe before the server is ready is told to use initialize (docs/routing.md).
  await m.mux.waitFor("running", { timeoutMs: 30_000 });
  await using c = await connectModernHttp(m, { pin: "2026-07-28" });
  const tools = await c.client.listTools();
  assert(tools.tools.some((t) => t.name === "forecast"), "the annotated tool is valid");
  const result = await c.client.callTool({
    name: "forecast",
    arguments: { region: "Zürich", days: 3 },
  });
  assertEquals(textOf(result), "sunny in Zürich for 3 days");
});

/** The first notification with `method` from index `from` on. */
async function nextNote(c: ModernHttpClient, method: string, from = 0): Promise<Recorded> {
  return await c.received.next((m) => (m as Recorded).method === method, from) as Recorded;
}

const TAG = "io.modelcontextprotocol/subscriptionId";

Deno.test("listens over HTTP in front of a modern server: acknowledged, each notification on its own listener's stream under its own id, ended by closing the stream", async () => {
  await using m = await startHttpMux(modernServer("--reject-legacy"));
  // A probe before the server is ready is told to use initialize (docs/routing.md).
  await m.mux.waitFor("running", { timeoutMs: 30_000 });
  await using watcher = await connectModernHttp(m, { pin: "2026-07-28" }, { name: "watcher" });
  await using tools = await connectModernHttp(m, { pin: "2026-07-28" }, { name: "tools-only" });
  await using actor = await connectModernHttp(m, { pin: "2026-07-28" }, { name: "actor" });
  const uri = "fixture://counter";
  const both = await watcher.client.listen({
    toolsListChanged: true,
    resourceSubscriptions: [uri],
  });
  assertEquals(both.honoredFilter, { toolsListChanged: true, resourceSubscriptions: [uri] });
  const only = await tools.client.listen({ toolsListChanged: true });
  assertEquals(m.listener.requests, 2, "two listens held open");
  const bothId = watcher.sent.find((x) => x.method === "subscriptions/listen")!.id;
  const onlyId = tools.sent.find((x) => x.method === "subscriptions/listen")!.id;

  await actor.client.callTool({ name: "touch", arguments: { uri } });
  const updated = await nextNote(watcher, "notifications/resources/updated");
  assertEquals(updated.params?.uri, uri);
  assertEquals(updated.params?._meta?.[TAG], bothId);

  await actor.client.callTool({ name: "add-tool", arguments: { name: "fresh" } });
  const changed = await nextNote(watcher, "notifications/tools/list_changed");
  assertEquals(changed.params?._meta?.[TAG], bothId);
  const other = await nextNote(tools, "notifications/tools/list_changed");
  assertEquals(other.params?._meta?.[TAG], onlyId);
  // Its stream carries only what it asked for: the update went to the other listener alone.
  assertEquals(tools.received.notifications("notifications/resources/updated"), []);

  await both.close();
  await only.close();
  await m.mux.waitForStatus((s) => s.eras.clients.modern === 0, { timeoutMs: 20_000 });
  assertEquals(m.listener.requests, 0, "closing a listen's stream ended it in the mux");
  // The server still works for everyone.
  await actor.client.callTool({ name: "touch", arguments: { uri } });
});

Deno.test("a listen over HTTP in front of a legacy server: acknowledged by the mux, updates tagged with its own id", async () => {
  await using m = await startHttpMux(everythingServer());
  await m.mux.waitFor("running", { timeoutMs: 30_000 });
  await using c = await connectModernHttp(m, "auto", { name: "watcher" });
  const uri = "demo://resource/static/document/features.md";
  const sub = await c.client.listen({ resourceSubscriptions: [uri] });
  assertEquals(sub.honoredFilter, { resourceSubscriptions: [uri] });
  const id = c.sent.find((x) => x.method === "subscriptions/listen")!.id;
  // server-everything sends updates for subscribed resources every few seconds once toggled on.
  await c.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  const update = await nextNote(c, "notifications/resources/updated");
  assertEquals(update.params?.uri, uri);
  assertEquals(update.params?._meta?.[TAG], id);
  await c.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  await sub.close();
  await m.mux.waitForStatus((s) => s.eras.clients.modern === 0 && s.subscriptions === 0, {
    timeoutMs: 20_000,
  });
});

Deno.test("closing a call's response stream cancels it, through the mux to a modern server", async () => {
  await using m = await startHttpMux(modernServer("--reject-legacy"));
  // A probe before the server is ready is told to use initialize (docs/routing.md).
  await m.mux.waitFor("running", { timeoutMs: 30_000 });
  await using c = await connectModernHttp(m, { pin: "2026-07-28" });
  const abort = new AbortController();
  const call = c.client.callTool({ name: "wait", arguments: {} }, {
    signal: abort.signal,
    onprogress: () => abort.abort(),
  });
  await assertRejects(() => call);
  await m.mux.waitForStatus((s) => s.pendingRequests === 0 && s.eras.clients.modern === 0, {
    timeoutMs: 20_000,
  });
  assertEquals(m.listener.requests, 0);
  const count = await c.client.callTool({ name: "cancellations", arguments: {} });
  assertEquals(textOf(count), "1", "the server saw its call cancelled");
});

Deno.test("closing a call's response stream cancels it, through the mux to a legacy server", async () => {
  await using m = await startHttpMux(everythingServer());
  await m.mux.waitFor("running", { timeoutMs: 30_000 });
  await using c = await connectModernHttp(m, { pin: "2026-07-28" });
  const abort = new AbortController();
  const call = c.client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 60, steps: 60 } },
    { signal: abort.signal, onprogress: () => abort.abort() },
  );
  await assertRejects(() => call);
  // Long before the operation's minute is up: the mux dropped it and told the server.
  await m.mux.waitForStatus((s) => s.pendingRequests === 0 && s.eras.clients.modern === 0, {
    timeoutMs: 20_000,
  });
  assertEquals(m.listener.requests, 0);
  assertEquals(
    textOf(await c.client.callTool({ name: "echo", arguments: { message: "on" } })),
    "Echo: on",
  );
});
