/** The liveness probe (`liveness.ts`) and health that waits (`health_feature.ts`), in the router. */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { call, harness, line, readyHarness } from "../_helpers/router_harness.ts";

/** Let promise continuations run (the probe reads a ping's answer in one). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const PROBE = { liveness: { enabled: true, timeoutMs: 1_000, maxFailures: 2 } };

function probed() {
  const events: string[] = [];
  const h = readyHarness({
    ...PROBE,
    onUnresponsive: (reason) => events.push(`unresponsive: ${reason}`),
    onResponsive: () => events.push("responsive"),
  });
  return { h, events };
}

Deno.test("liveness: a silent server with a request in flight is pinged, reported unresponsive, and recovers when it speaks", async () => {
  const { h, events } = probed();
  using _ = h;
  const c = h.initialized();
  h.fromClient(c, call(1, "hang"));
  const forwarded = await h.upstream.next((m) => m.method === "tools/call");
  h.clock.advance(999);
  assertEquals(h.upstream.take(), [], "not a word before the timeout");
  h.clock.advance(1);
  const first = await h.upstream.next((m) => m.method === "ping");
  h.clock.advance(1_000); // unanswered: asked again at once
  await settle();
  const second = await h.upstream.next((m) => m.method === "ping");
  assert(first.id !== second.id);
  assertEquals(events, []);
  h.clock.advance(1_000);
  await settle();
  assertEquals(events, [
    "unresponsive: no answer to 2 pings in a row (1 s each) while requests were in flight",
  ]);
  // It answers the tool call after all: alive again.
  h.router.upstreamReceive(line({ jsonrpc: "2.0", id: forwarded.id, result: { content: [] } }));
  assertEquals(events.length, 2);
  assertEquals(events[1], "responsive");
  assertEquals(c.answer(1).result, { content: [] });
});

Deno.test("liveness: an idle server is never pinged, nor a busy one that keeps talking or answers", async () => {
  const { h, events } = probed();
  using _ = h;
  const c = h.initialized();
  h.clock.advance(10_000);
  assertEquals(h.upstream.take(), [], "no request in flight: silence is fine");

  h.fromClient(c, call(1, "sleep", { _meta: { progressToken: "p" } }));
  const forwarded = await h.upstream.next((m) => m.method === "tools/call");
  for (let i = 0; i < 5; i++) {
    h.clock.advance(600);
    h.fromServer({
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: forwarded.params._meta.progressToken, progress: i },
    });
  }
  assertEquals(h.upstream.take(), [], "progress proves it alive");

  h.clock.advance(2_000); // the last progress was at the check before: silent for a whole span
  await h.answerUpstream("ping", { result: {} }); // silent, but it answers the ping
  await settle();
  h.clock.advance(999);
  assertEquals(h.upstream.take(), []);
  h.clock.advance(1);
  await h.answerUpstream("ping", { result: {} });
  await settle();
  assertEquals(events, [], "never unresponsive");
  h.fromServer({ jsonrpc: "2.0", id: forwarded.id, result: { content: [] } });
  h.clock.advance(5_000);
  assertEquals(h.upstream.take(), [], "answered: nothing in flight, nothing to watch");
});

Deno.test("liveness: off by configuration, the server is never pinged", async () => {
  using h = readyHarness({ liveness: { enabled: false, timeoutMs: 1_000, maxFailures: 1 } });
  const c = h.initialized();
  h.fromClient(c, call(1));
  await h.upstream.next((m) => m.method === "tools/call");
  h.clock.advance(60_000);
  assertEquals(h.upstream.take(), []);
});

Deno.test("health: a starting server is waited for within the caller's budget; an idle one is healthy", async () => {
  using h = harness({}, false);
  const c = h.client();
  // Lazy start, nobody needed it yet: healthy, and nothing is started.
  h.fromClient(c, { jsonrpc: "2.0", id: 1, method: "rmcp-mux/health" });
  assertEquals(c.answer(1).result, {
    status: "idle",
    service: "svc",
    pid: null,
    reason: "lazy start",
  });
  assert(c.session.probe, "a health check is a probe, not a client");
  assertEquals(h.router.stats().connectedClients, 0);

  h.router.setServerState({ phase: "starting", pid: 7 });
  h.router.attachUpstream(h.upstream);
  h.fromClient(c, { jsonrpc: "2.0", id: 2, method: "rmcp-mux/health", params: { waitMs: 5_000 } });
  h.clock.advance(4_000);
  assertEquals(c.take().filter((m) => m.id === 2), [], "still waiting");
  h.answerInit();
  h.router.setServerState({ phase: "running", pid: 7 });
  await h.answerUpstream("ping", { result: {} });
  const ok = await c.next((m) => m.id === 2);
  assertEquals([ok.result.status, ok.result.pid], ["ok", 7]);

  // Without a budget, or past it: the answer says what the server is doing.
  h.router.detachUpstream("exit code 1");
  h.router.setServerState({ phase: "starting", pid: 8 });
  h.router.attachUpstream(h.upstream);
  h.fromClient(c, { jsonrpc: "2.0", id: 3, method: "rmcp-mux/health", params: { waitMs: 500 } });
  h.clock.advance(500);
  const late = await c.next((m) => m.id === 3);
  assertEquals([late.error.message, late.error.data.state], [
    'server "svc" is starting',
    "starting",
  ]);
});

Deno.test("health: an unresponsive server is reported at once, in those words", () => {
  using h = readyHarness();
  const c = h.client();
  h.router.setServerState({ phase: "unresponsive", pid: 9, reason: "no answer to 3 pings" });
  h.fromClient(c, { jsonrpc: "2.0", id: 1, method: "rmcp-mux/health", params: { waitMs: 5_000 } });
  const answer = c.answer(1);
  assertEquals(answer.error.message, 'server "svc" is unresponsive: no answer to 3 pings');
  assertEquals(answer.error.data.state, "unresponsive");
});

Deno.test("a server that rejects initialize is reported broken (to be replaced under the restart policy)", () => {
  using h = harness();
  const c = h.client();
  h.fromClient(c, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {} },
  });
  const init = h.upstream.last("initialize");
  h.fromServer({
    jsonrpc: "2.0",
    id: init.id,
    error: { code: -32603, message: "missing API key" },
  });
  assertEquals(h.broken, ["rejected initialize: missing API key (code -32603)"]);
  assert(c.answer(1).error.message.includes("missing API key"));
});

Deno.test("health: a check waiting for a starting server is answered as soon as its handshake fails, or the mux stops", async () => {
  using h = harness({}, false);
  const c = h.client();
  h.router.setServerState({ phase: "starting", pid: 7 });
  h.router.attachUpstream(h.upstream);
  h.fromClient(c, { jsonrpc: "2.0", id: 1, method: "rmcp-mux/health", params: { waitMs: 5_000 } });
  const init = h.upstream.last("initialize");
  h.fromServer({
    jsonrpc: "2.0",
    id: init.id,
    error: { code: -32603, message: "missing API key" },
  });
  await settle();
  const refused = c.answer(1);
  assert(refused.error.message.includes("missing API key"), refused.error.message);

  h.router.detachUpstream("exit code 1");
  h.router.attachUpstream(h.upstream);
  h.fromClient(c, { jsonrpc: "2.0", id: 2, method: "rmcp-mux/health", params: { waitMs: 5_000 } });
  h.router.close();
  await settle();
  const stopped = c.answer(2);
  assertEquals(stopped.error.data.service, "svc");
  assertEquals(h.clock.now(), 0, "no deadline had to pass");
});
