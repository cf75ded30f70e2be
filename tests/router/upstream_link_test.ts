/** Re-application after a restart (`upstream_link.ts` and the features): one row of docs/routing.md. */

import { assertEquals } from "../_helpers/assert.ts";
import { readyHarness, setLevel, subscribe } from "../_helpers/router_harness.ts";

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
