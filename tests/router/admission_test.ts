import { assert, assertEquals } from "../_helpers/assert.ts";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { call, harness, line } from "../_helpers/router_harness.ts";

Deno.test("a waiting client gets ping answers; the rest waits, or is refused by id", () => {
  using h = harness();
  h.answerInit();
  const c = h.client(false);
  h.fromClient(c, { jsonrpc: "2.0", id: "p", method: "ping" });
  assertEquals(c.take(), [{ jsonrpc: "2.0", id: "p", result: {} }]);
  h.fromClient(c, {
    jsonrpc: "2.0",
    id: "i",
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {} },
  });
  h.fromClient(c, call(2));
  assertEquals(c.take(), []);
  h.router.reject(c.session, "Too many clients (--max-active-clients 1)");
  const [a, b] = c.take();
  assertEquals([a.id, a.error.code], ["i", ErrorCode.TooManyClients]);
  assertEquals([b.id, b.error.code], [2, ErrorCode.TooManyClients]);
  assert(a.error.message.includes("--max-active-clients"));
  assertEquals(c.closedWith, "no free client slot");
});

Deno.test("a client turned away without asking anything is told why in one error without id", () => {
  using h = harness();
  h.answerInit();
  const c = h.client(false);
  h.fromClient(c, { jsonrpc: "2.0", method: "notifications/initialized" });
  h.router.reject(c.session, "Too many clients (--max-active-clients 1)");
  const [error, ...rest] = c.take();
  assertEquals([error.id, error.error.code, rest], [null, ErrorCode.TooManyClients, []]);
  assertEquals(error.error.data, { service: "svc" });
  assertEquals(c.closedWith, "no free client slot");
});

Deno.test("an admitted client's waiting lines are routed in the order it sent them", () => {
  using h = harness();
  h.answerInit();
  h.upstream.take();
  const c = h.client(false);
  h.fromClient(c, {
    jsonrpc: "2.0",
    id: "i",
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {} },
  });
  h.fromClient(c, { jsonrpc: "2.0", method: "notifications/initialized" });
  h.fromClient(c, call(1, "first"));
  h.fromClient(c, call(2, "second"));
  assertEquals([c.take(), h.upstream.take()], [[], []], "nothing routed while waiting");
  h.router.admit(c.session);
  assertEquals(c.take().map((m) => m.id), ["i"]);
  assertEquals(h.upstream.take().map((m) => m.params.name), ["first", "second"]);
  h.router.admit(c.session);
  assertEquals(h.upstream.take(), [], "admitted once");
});

Deno.test("a waiting connection whose first words are health or status is a probe, not a client", async () => {
  using h = harness();
  h.answerInit();
  const probe = h.client(false);
  h.fromClient(probe, { jsonrpc: "2.0", id: "s", method: "rmcp-mux/status" });
  assertEquals(probe.answer("s").result.connectedClients, 0);
  const health = h.client(false);
  h.fromClient(health, { jsonrpc: "2.0", id: "h", method: "rmcp-mux/health" });
  const ping = await h.upstream.next((m) => m.method === "ping");
  h.router.upstreamReceive(line({ jsonrpc: "2.0", id: ping.id, result: {} }));
  assertEquals((await health.next((m) => m.id === "h")).result.status, "ok");
  const client = h.client(false);
  assertEquals(h.router.clientCount, 1, "only the third connection counts");
  assert(probe.session.probe && health.session.probe && !client.session.probe);
});

Deno.test("rmcp-mux/hello marks a socket client as the proxy; it is never forwarded nor answered", () => {
  using h = harness();
  h.answerInit();
  const hello = { jsonrpc: "2.0", method: "rmcp-mux/hello", params: { transport: "proxy" } };
  // First line of a client still waiting for a slot, and of an admitted one.
  const waiting = h.client(false);
  h.fromClient(waiting, hello);
  assertEquals(waiting.session.transport, "proxy");
  const admitted = h.client();
  h.upstream.take();
  h.fromClient(admitted, hello);
  h.initClient(admitted);
  assertEquals(admitted.session.transport, "proxy");
  assertEquals(h.upstream.take().filter((m) => m.method === "rmcp-mux/hello"), []);
  assertEquals([...waiting.sent, ...admitted.sent], []);
  // An HTTP session stays an HTTP session whatever it says.
  const client = h.client();
  client.session.transport = "http";
  h.fromClient(client, hello);
  assertEquals(client.session.transport, "http");
});
