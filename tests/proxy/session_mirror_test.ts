import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { PARSED_MUX_LINE_BYTES, SessionMirror } from "../../src/proxy/session_mirror.ts";

const line = (message: unknown) => JSON.stringify(message);
const request = (id: unknown, method: string, params?: unknown) =>
  line({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
const note = (method: string, params?: unknown) =>
  line({ jsonrpc: "2.0", method, ...(params ? { params } : {}) });
const result = (id: unknown, value: unknown = {}) => line({ jsonrpc: "2.0", id, result: value });

/** Send a host line through the mirror as the proxy does when connected. */
function send(mirror: SessionMirror, text: string): boolean {
  const message = mirror.inspectHost(text);
  if (!mirror.keep(message)) return false;
  mirror.sent(message);
  return true;
}

function initialized(mirror: SessionMirror): void {
  send(mirror, request(0, "initialize", { protocolVersion: "2025-11-25", capabilities: {} }));
  mirror.fromMux(result(0, { protocolVersion: "2025-11-25", capabilities: {} }));
  send(mirror, note("notifications/initialized"));
}

Deno.test("requests in flight get an error each when the connection is lost; answered ones do not", () => {
  const mirror = new SessionMirror();
  initialized(mirror);
  send(mirror, request(1, "tools/call"));
  send(mirror, request("two", "tools/list"));
  send(mirror, request(3, "resources/read"));
  assertEquals(mirror.fromMux(result(3)).forward, true);
  send(mirror, note("notifications/cancelled", { requestId: "two" }));
  const answers = mirror.connectionLost("killed").map((a) => JSON.parse(a));
  assertEquals(answers.map((a) => a.id), [1], "answered and cancelled requests are owed nothing");
  assertEquals(answers[0].error.code, -32000);
  assertMatch(answers[0].error.message, /lost \(killed\) before tools\/call was answered/);
  assertEquals(mirror.inFlight, 0);
});

Deno.test("after a reconnect: initialize replayed with an id of the proxy's, its answer kept from the host", () => {
  const mirror = new SessionMirror();
  initialized(mirror);
  send(mirror, request(7, "logging/setLevel", { level: "error" }));
  send(mirror, request(8, "resources/subscribe", { uri: "a://1" }));
  send(mirror, request(9, "resources/subscribe", { uri: "a://2" }));
  send(mirror, request(10, "resources/unsubscribe", { uri: "a://1" }));
  mirror.connectionLost("reload");
  const { lines, awaitInit } = mirror.opening();
  assert(awaitInit);
  const init = JSON.parse(lines[0]!);
  assertEquals(init.method, "initialize");
  assertEquals(init.params.protocolVersion, "2025-11-25");
  assertMatch(init.id, /^rmcp-mux-proxy\//);
  const verdict = mirror.fromMux(
    result(init.id, { capabilities: { tools: { listChanged: true }, prompts: {} } }),
  );
  assertEquals(verdict.forward, false, "the host never sees the replay's answer");
  assert(verdict.initReplayed?.result);
  const { toMux, toHost } = mirror.afterInit(verdict.initReplayed.result);
  const replay = toMux.map((l) => JSON.parse(l));
  assertEquals(replay.map((m) => m.method), [
    "notifications/initialized",
    "logging/setLevel",
    "resources/subscribe",
  ]);
  assertEquals(replay[1].params, { level: "error" });
  assertEquals(replay[2].params, { uri: "a://2" });
  assertEquals(toHost.map((l) => JSON.parse(l).method), ["notifications/tools/list_changed"]);
  for (const m of replay.slice(1)) assertEquals(mirror.fromMux(result(m.id)).forward, false);
});

Deno.test("an initialize lost before its answer is sent again as the host's own, not errored", () => {
  const mirror = new SessionMirror();
  const hostInit = request("i", "initialize", { protocolVersion: "2025-06-18" });
  send(mirror, hostInit);
  assertEquals(mirror.connectionLost("gone"), []);
  const { lines, awaitInit } = mirror.opening();
  assertEquals(awaitInit, false);
  assertEquals(lines, [hostInit]);
  assertEquals(mirror.fromMux(result("i", { capabilities: {} })).forward, true, "the host gets it");
  // Answered now: the next reconnect replays it.
  mirror.connectionLost("again");
  assert(mirror.opening().awaitInit);
});

Deno.test("the host's late answers to the mux's requests of a lost connection are dropped", () => {
  const mirror = new SessionMirror();
  initialized(mirror);
  assertEquals(mirror.fromMux(request(41, "roots/list")).forward, true);
  mirror.connectionLost("restart");
  assertEquals(send(mirror, result(41, { roots: [] })), false, "that mux client is gone");
  assertEquals(mirror.fromMux(request(41, "roots/list")).forward, true);
  assertEquals(send(mirror, result(41, { roots: [] })), true, "the new connection asked too");
  assertEquals(send(mirror, result(99, {})), true, "unknown answers are the mux's to judge");
});

Deno.test("a new mux's request under an id the lost one used: the host's answer to it goes through", () => {
  for (const path of ["parsed", "byte"] as const) {
    const mirror = new SessionMirror();
    initialized(mirror);
    const fromMux = (text: string) =>
      path === "parsed" ? mirror.fromMux(text) : muxLine(mirror, text);
    const padding = path === "byte" ? { big } : undefined;
    assertEquals(fromMux(request(3, "sampling/createMessage", padding)).forward, true);
    mirror.connectionLost("daemon restarted");
    // The new daemon asks before the host answered the old question.
    assertEquals(fromMux(request(3, "roots/list", padding)).forward, true);
    assertEquals(
      send(mirror, result(3, { roots: [] })),
      true,
      `${path}: the new question's answer`,
    );
  }
});

Deno.test("batches (2025-03-26) are tracked element by element; junk is relayed as it is", () => {
  const mirror = new SessionMirror();
  initialized(mirror);
  send(mirror, `[${request(1, "tools/list")},${request(2, "prompts/list")}]`);
  mirror.fromMux(`[${result(1)}]`);
  assertEquals(mirror.connectionLost("x").map((a) => JSON.parse(a).id), [2]);
  assertEquals(send(mirror, "not json"), true);
  assertEquals(mirror.fromMux("{ not json either").forward, true);
});

const bytesOf = (text: string) => new TextEncoder().encode(`${text}\n`);
/** A host line as the connected proxy passes it: bytes, no newline. */
const hostLine = (mirror: SessionMirror, text: string) => {
  const bytes = bytesOf(text);
  return mirror.hostLine(bytes, 0, bytes.length - 1);
};
const muxLine = (mirror: SessionMirror, text: string) => {
  const bytes = bytesOf(text);
  return mirror.muxLine(bytes, 0, bytes.length - 1);
};
/** A payload that makes a line longer than the mirror parses whole. */
const big = "x".repeat(PARSED_MUX_LINE_BYTES + 10);

Deno.test("the byte path: long answers read at their ends keep the same books as parsed ones", () => {
  const mirror = new SessionMirror();
  assert(
    hostLine(mirror, request(0, "initialize", { protocolVersion: "2025-11-25", capabilities: {} })),
  );
  assertEquals(muxLine(mirror, result(0, { capabilities: {}, big })).forward, true);
  assert(hostLine(mirror, note("notifications/initialized")));
  assert(hostLine(mirror, request(1, "tools/call", { name: "a" })));
  assert(hostLine(mirror, request("two", "resources/read", { uri: "a://1" })));
  assert(hostLine(mirror, request(3, "resources/subscribe", { uri: "a://3" })));
  assertEquals(
    muxLine(mirror, result(1, { content: [{ type: "text", text: big }] })).forward,
    true,
  );
  assertEquals(muxLine(mirror, result(3)).forward, true);
  assertEquals(mirror.inFlight, 1, "only the unanswered request is in flight");
  // The mux asks the host with a long request; the connection goes before the host answers.
  assertEquals(muxLine(mirror, request("m1", "sampling/createMessage", { big })).forward, true);
  assertEquals(mirror.connectionLost("reload").map((a) => JSON.parse(a).id), ["two"]);
  assertEquals(hostLine(mirror, result("m1", { big })), false, "a late answer is dropped");
  // The replayed initialize's long answer finishes the replay and is kept from the host.
  const { lines, awaitInit } = mirror.opening();
  assert(awaitInit);
  const id = JSON.parse(lines[0]!).id;
  const verdict = muxLine(
    mirror,
    result(id, { capabilities: { tools: { listChanged: true } }, big }),
  );
  assertEquals(verdict.forward, false);
  const { toMux, toHost } = mirror.afterInit(verdict.initReplayed?.result);
  assertEquals(toMux.map((l) => JSON.parse(l).method), [
    "notifications/initialized",
    "resources/subscribe",
  ]);
  assertEquals(toHost.length, 1);
});

Deno.test("the byte path: a long error answer to an unanswered initialize leaves it unanswered", () => {
  const mirror = new SessionMirror();
  assert(hostLine(mirror, request(5, "initialize", { protocolVersion: "2025-11-25" })));
  const failed = line({ jsonrpc: "2.0", id: 5, error: { code: -32603, message: big } });
  assertEquals(muxLine(mirror, failed).forward, true);
  mirror.connectionLost("x");
  assertEquals(mirror.opening().awaitInit, false, "sent again as the host's own");
  assertEquals(hostLine(mirror, "not json"), true, "junk goes to the mux, which answers it");
});
