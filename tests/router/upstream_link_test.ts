/**
 * Re-application after a restart (`upstream_link.ts` and the features): one row of
 * docs/routing.md. Traffic across an idle stop (held while the process is being stopped).
 */

import { assertEquals } from "../_helpers/assert.ts";
import {
  call,
  harness,
  readyHarness,
  setLevel,
  subscribe,
  unsubscribe,
} from "../_helpers/router_harness.ts";

Deno.test("restarts: subscriptions, the log level and roots are re-applied to the new process", async () => {
  using h = readyHarness();
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

type Harness = ReturnType<typeof readyHarness>;
type Client = ReturnType<Harness["client"]>;

/** `message` from `client` goes upstream as `method`, the server says `{}`, the client hears it. */
async function through(
  h: Harness,
  client: Client,
  message: { id: number; method: string },
): Promise<void> {
  h.fromClient(client, message);
  await h.answerUpstream(message.method, { result: {} });
  await client.next((m) => m.id === message.id);
}

/** The lines the next process is sent after its handshake (method and params). */
function nextProcessTraffic(h: ReturnType<typeof readyHarness>): string[] {
  h.router.attachUpstream(h.upstream);
  h.answerInit();
  return h.upstream.take()
    .filter((m) => m.method !== "initialize" && m.method !== "notifications/initialized")
    .map((m) => `${m.method} ${JSON.stringify(m.params ?? {})}`);
}

Deno.test("cleanup: a client leaving while no process is attached starts none; the next one is not told its unsubscribe or level", async () => {
  let demands = 0;
  using h = readyHarness({ onDemand: () => demands++ });
  const leaving = h.client();
  const staying = h.client();
  h.initClient(leaving);
  h.initClient(staying);
  await through(h, leaving, subscribe(1, "file:///x"));
  await through(h, leaving, setLevel(2, "debug"));
  h.fromClient(staying, setLevel(3, "error"));
  assertEquals(staying.answer(3).result, {}, "quieter than the upstream: answered by the mux");
  h.router.detachUpstream("killed by SIGKILL");
  h.upstream.take();
  h.router.disconnect(leaving.session);
  assertEquals(demands, 0, "its cleanup must not start a process");
  assertEquals(h.router.stats().queueDepth, 0, "nothing waits for the next process");
  assertEquals(nextProcessTraffic(h), ['logging/setLevel {"level":"error"}']);
});

Deno.test("cleanup: an unsubscribe while no process is attached is answered by the mux and starts none", async () => {
  let demands = 0;
  using h = readyHarness({ onDemand: () => demands++ });
  const a = h.client();
  h.initClient(a);
  await through(h, a, subscribe(1, "file:///x"));
  h.router.detachUpstream("exited with code 1");
  h.upstream.take();
  a.take();
  h.fromClient(a, unsubscribe(2, "file:///x"));
  const answer = await a.next((m) => m.id === 2);
  assertEquals(answer.result, {}, "the subscription ended with its process");
  assertEquals(demands, 0);
  assertEquals(nextProcessTraffic(h), [], "nothing to restore, nothing to undo");
});

Deno.test("cleanup: while a restart drains the old process, a departed client's cleanup is dropped, not held for the new one", async () => {
  let demands = 0;
  using h = readyHarness({ onDemand: () => demands++ });
  const leaving = h.client();
  const staying = h.client();
  h.initClient(leaving);
  h.initClient(staying);
  await through(h, staying, setLevel(1, "warning"));
  await through(h, leaving, subscribe(2, "file:///x"));
  await through(h, leaving, setLevel(3, "debug"));
  h.router.holdTraffic();
  h.router.disconnect(leaving.session);
  assertEquals(h.router.stats().queueDepth, 0);
  h.router.detachUpstream("restart requested");
  h.upstream.take();
  assertEquals(nextProcessTraffic(h), ['logging/setLevel {"level":"warning"}']);
  assertEquals(demands, 0);
});

Deno.test("cleanup: a level restore follows a level change still held for the next process", async () => {
  let demands = 0;
  using h = readyHarness({ onDemand: () => demands++ });
  const staying = h.client();
  const leaving = h.client();
  h.initClient(staying);
  h.initClient(leaving);
  await through(h, staying, setLevel(1, "error"));
  h.router.detachUpstream("exited with code 1");
  h.upstream.take();
  h.fromClient(leaving, setLevel(2, "debug")); // held for the next process: it asked for it
  assertEquals(demands, 1);
  h.router.disconnect(leaving.session);
  assertEquals(demands, 1, "the restore asks for nothing more");
  // Re-applied, then the held change, then its undoing: the server ends at "error".
  assertEquals(nextProcessTraffic(h), [
    'logging/setLevel {"level":"error"}',
    'logging/setLevel {"level":"debug"}',
    'logging/setLevel {"level":"error"}',
  ]);
});

// An idle stop (`ProcessUnit.park`): traffic is held while the process is stopped; when the hold
// ends with no process attached, whatever still waits starts the next one (nothing else would:
// it asked while a process was there).

Deno.test("idle stop: a request that waited for a process stopped before it initialized starts the next one", () => {
  let demands = 0;
  using h = harness({ onDemand: () => demands++ }); // attached; its initialize unanswered
  const probe = h.client();
  h.fromClient(probe, call(1, "stats"));
  h.router.holdTraffic(); // the idle stop begins
  h.router.detachUpstream("exit code 0");
  h.upstream.take();
  assertEquals(demands, 0, "a process was attached when it asked");
  h.router.resumeTraffic(); // the process is gone
  assertEquals(demands, 1, "the waiting request starts the next process");
  assertEquals(nextProcessTraffic(h), ['tools/call {"name":"stats","arguments":{}}']);
});

Deno.test("idle stop: a client's initialize that waited for a process stopped before it initialized starts the next one", () => {
  let demands = 0;
  using h = harness({ onDemand: () => demands++ });
  const a = h.client();
  h.fromClient(a, {
    jsonrpc: "2.0",
    id: "init",
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "a" } },
  });
  h.router.holdTraffic();
  h.router.detachUpstream("exit code 0");
  h.router.resumeTraffic();
  assertEquals(demands, 1);
  h.router.attachUpstream(h.upstream);
  h.answerInit();
  assertEquals(a.answer("init").result.serverInfo, { name: "upstream", version: "9.9.9" });
});

Deno.test("idle stop: a request that arrives while the process is being stopped waits for the next one", async () => {
  let demands = 0;
  using h = readyHarness({ onDemand: () => demands++ });
  const a = h.initialized();
  h.router.holdTraffic();
  h.fromClient(a, call(1, "stats"));
  assertEquals(h.upstream.take(), [], "nothing new for the process being stopped");
  h.router.detachUpstream("exit code 0");
  assertEquals(a.take(), [], "nothing failed: it was never sent");
  h.router.resumeTraffic();
  assertEquals(demands, 1);
  h.router.attachUpstream(h.upstream);
  h.answerInit();
  await h.answerUpstream("tools/call", { result: { content: [] } });
  assertEquals((await a.next((m) => m.id === 1)).result, { content: [] });
});

Deno.test("idle stop: a process that finishes its handshake while being stopped is sent nothing held", () => {
  using h = harness(); // attached; its initialize unanswered (a slow start)
  const probe = h.client();
  h.fromClient(probe, call(1, "stats"));
  h.router.holdTraffic();
  h.answerInit(); // it answers on its way out
  const sent = h.upstream.take().map((m) => m.method);
  assertEquals(sent.includes("tools/call"), false, JSON.stringify(sent));
});

Deno.test("idle stop: with nothing left waiting (a request cancelled while held), the end of the hold starts nothing", () => {
  let demands = 0;
  using h = readyHarness({ onDemand: () => demands++ });
  const a = h.initialized();
  h.router.holdTraffic();
  h.fromClient(a, call(1, "stats"));
  h.fromClient(a, {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: 1, reason: "changed my mind" },
  });
  h.router.detachUpstream("exit code 0");
  h.router.resumeTraffic();
  assertEquals(demands, 0, "the idle stop stays stopped");
});
