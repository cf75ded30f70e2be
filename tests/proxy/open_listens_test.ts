import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { PARSED_MUX_LINE_BYTES, SessionMirror } from "../../src/proxy/session_mirror.ts";

const line = (message: unknown) => JSON.stringify(message);
const SID = "io.modelcontextprotocol/subscriptionId";
const listen = (id: unknown, uri = "a://1") =>
  line({
    jsonrpc: "2.0",
    id,
    method: "subscriptions/listen",
    params: { notifications: { resourceSubscriptions: [uri] }, _meta: {} },
  });
const ack = (id: unknown) =>
  line({
    jsonrpc: "2.0",
    method: "notifications/subscriptions/acknowledged",
    params: { notifications: { resourceSubscriptions: ["a://1"] }, _meta: { [SID]: id } },
  });
const updated = (id: unknown) =>
  line({
    jsonrpc: "2.0",
    method: "notifications/resources/updated",
    params: { uri: "a://1", _meta: { [SID]: id } },
  });
const closed = (id: unknown, stopping = false) =>
  line({
    jsonrpc: "2.0",
    id,
    result: {
      resultType: "complete",
      _meta: { [SID]: id, ...(stopping ? { "rmcp-mux/stopping": true } : {}) },
    },
  });
const cancelled = (id: unknown) =>
  line({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id } });

const bytes = (text: string) => new TextEncoder().encode(text);
/** A host line, as the connected proxy passes it. */
const host = (mirror: SessionMirror, text: string) =>
  mirror.hostLine(bytes(text), 0, bytes(text).length);
/** A mux line, as the proxy reads it (short: parsed; long: read at its ends). */
const mux = (mirror: SessionMirror, text: string) =>
  mirror.muxLine(bytes(text), 0, bytes(text).length);

Deno.test("an open stream outlives its connection: no error, sent again as sent, its second acknowledgement kept back", () => {
  const mirror = new SessionMirror();
  host(mirror, listen("listen:0"));
  host(mirror, listen(7, "a://2"));
  assert(mux(mirror, ack("listen:0")).forward, "the first acknowledgement is the host's");
  assert(mux(mirror, updated("listen:0")).forward);
  assertEquals(mirror.connectionLost("killed"), [], "a stream is not an answer owed");
  assertEquals(mirror.reopenListens(), [listen("listen:0"), listen(7, "a://2")]);
  assertEquals(mux(mirror, ack("listen:0")).forward, false, "the host has had it");
  assert(mux(mirror, ack(7)).forward, "never acknowledged before: this one is the host's");
  assert(mux(mirror, updated("listen:0")).forward);
  assert(mux(mirror, ack("listen:0")).forward, "only the first after a reopen is kept back");
});

Deno.test("the mux's end because it stops is kept back, dropped on reopening, delivered if it does not come back", () => {
  const mirror = new SessionMirror();
  host(mirror, listen(1));
  host(mirror, listen(2));
  host(mirror, listen(3));
  mux(mirror, ack(1));
  assertEquals(mux(mirror, closed(1, true)).forward, false);
  const shuttingDown = line({
    jsonrpc: "2.0",
    id: 2,
    error: { code: -32006, message: "rmcp-mux is shutting down" },
  });
  assertEquals(mux(mirror, shuttingDown).forward, false, "-32006: the mux stops too");
  mirror.connectionLost("closed");
  assertEquals(mirror.listens.size, 3);
  // Reconnected: sent again, the kept ends dropped; then the mux goes for good.
  assertEquals(mirror.reopenListens().length, 3);
  mux(mirror, closed(3, true));
  mirror.connectionLost("closed");
  const ends = mirror.endListens("the mux did not come back within 0.3 s (gone)");
  assertEquals(ends.length, 3);
  const [one, two, three] = ends.map((e) => JSON.parse(e));
  assertMatch(one.error.message, /subscriptions\/listen stream ended: the mux did not come back/);
  assertEquals(two.error.code, -32000, "the end from before the reopen is not delivered");
  assertEquals(three.result.resultType, "complete", "the last mux's graceful end, as it sent it");
  assertEquals(mirror.listens.size, 0);
});

Deno.test("a stream ends for good: its final answer, the server's cancel, or the host's cancel", () => {
  const mirror = new SessionMirror();
  for (const id of [1, 2, 3, 4]) host(mirror, listen(id));
  assert(mux(mirror, closed(1)).forward, "a graceful end without the mark is the stream's end");
  const refused = line({ jsonrpc: "2.0", id: 2, error: { code: -32602, message: "bad filter" } });
  assert(mux(mirror, refused).forward);
  assert(mux(mirror, cancelled(3)).forward, "the server ended it: the host is told");
  host(mirror, cancelled(4));
  assertEquals(mirror.listens.size, 0);
  assertEquals(mirror.reopenListens(), []);
  // The host cancels while the proxy reconnects: forgotten (the proxy drops the cancel too).
  host(mirror, listen(5));
  mirror.connectionLost("gone");
  assert(mirror.listens.forget(5));
  assertEquals(mirror.reopenListens(), []);
});

Deno.test("the byte path: long lines about streams are read whole while one is open", () => {
  const mirror = new SessionMirror();
  host(mirror, listen(9));
  mux(mirror, ack(9));
  mirror.connectionLost("gone");
  mirror.reopenListens();
  const pad = "x".repeat(PARSED_MUX_LINE_BYTES);
  const longAck = line({
    jsonrpc: "2.0",
    method: "notifications/subscriptions/acknowledged",
    params: { notifications: {}, _meta: { [SID]: 9, pad } },
  });
  assertEquals(mux(mirror, longAck).forward, false);
  const longEnd = line({
    jsonrpc: "2.0",
    id: 9,
    result: { resultType: "complete", _meta: { [SID]: 9, "rmcp-mux/stopping": true, pad } },
  });
  assertEquals(mux(mirror, longEnd).forward, false);
  assertEquals(mirror.listens.size, 1);
});

Deno.test("a new connection is confirmed by the mux's answer to the proxy's ping, which the host never sees", () => {
  const mirror = new SessionMirror();
  mirror.connectionLost("gone");
  const ping = JSON.parse(mirror.confirmation());
  assertEquals(ping.method, "ping");
  assertMatch(ping.id, /^rmcp-mux-proxy\//);
  const verdict = mux(mirror, line({ jsonrpc: "2.0", id: ping.id, result: {} }));
  assertEquals(verdict, { forward: false, confirmed: true });
});
