import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { HostHold, MAX_HELD_BYTES } from "../../src/proxy/host_hold.ts";
import { SessionMirror } from "../../src/proxy/session_mirror.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const line = (message: unknown) => JSON.stringify(message);
const request = (id: unknown, method: string, params?: unknown) =>
  line({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
const cancel = (requestId: unknown) =>
  line({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId } });

/** Hold each of `texts` as the bridge does: one line of a read buffer at a time. */
function hold(target: HostHold, ...texts: string[]): void {
  const data = encoder.encode(texts.join("\n") + "\n");
  for (let start = 0, nl = 0; start < data.length; start = nl + 1) {
    nl = data.indexOf(0x0a, start);
    target.add(data, start, nl);
  }
  data.fill(0x20); // the bridge reuses its buffer: what is held must not change
}

const released = (target: HostHold) => {
  const bytes = target.release();
  return bytes === null ? null : decoder.decode(bytes);
};

Deno.test("host hold: lines come out in order, as sent, and the session counts them in flight", () => {
  const mirror = new SessionMirror();
  const target = new HostHold(mirror);
  const lines = [request(1, "tools/call"), "not json", request(2, "tools/list")];
  hold(target, ...lines);
  assertEquals(mirror.inFlight, 0, "nothing is in flight while held");
  assertEquals(released(target), lines.join("\n") + "\n");
  assertEquals(mirror.inFlight, 2);
  assertEquals(target.release(), null, "emptied");
});

Deno.test("host hold: a cancel of a held request sends neither; a cancel of a sent one is held", () => {
  const mirror = new SessionMirror();
  const target = new HostHold(mirror);
  hold(target, request(1, "tools/call"), request(2, "tools/call"), cancel(1), cancel(99));
  assertEquals(released(target), `${request(2, "tools/call")}\n${cancel(99)}\n`);
});

Deno.test("host hold: the cancel of an open stream the next mux has not seen ends it; neither is sent", () => {
  const mirror = new SessionMirror();
  const listen = request("s", "subscriptions/listen", { notifications: {} });
  mirror.sent(mirror.inspectHost(listen));
  mirror.connectionLost("reload");
  const target = new HostHold(mirror);
  hold(target, cancel("s"));
  assertEquals(target.release(), null);
  assertEquals(mirror.reopenListens(), [], "the stream is not sent again");
});

Deno.test("host hold: a late answer to a request of a lost connection is dropped", () => {
  const mirror = new SessionMirror();
  mirror.fromMux(request("m1", "roots/list"));
  mirror.connectionLost("reload");
  const target = new HostHold(mirror);
  hold(target, line({ jsonrpc: "2.0", id: "m1", result: { roots: [] } }));
  assertEquals(target.release(), null);
});

Deno.test("host hold: not back in time, each held request gets an error naming it and why", () => {
  const mirror = new SessionMirror();
  const target = new HostHold(mirror);
  hold(target, request(1, "tools/call"), `[${request(2, "a")},${request(3, "b")}]`);
  hold(target, line({ jsonrpc: "2.0", method: "notifications/progress" }));
  const answers = target.fail("the mux did not come back").map((a) => JSON.parse(a));
  assertEquals(answers.map((a) => a.id), [1, 2, 3]);
  assertEquals(answers[0].error.code, -32000);
  assertMatch(answers[0].error.message, /tools\/call not sent: the mux did not come back$/);
  assertEquals(target.release(), null, "emptied");
  assertEquals(target.fail("again"), []);
});

Deno.test("host hold: full once over its bound, not before; emptied by release", () => {
  const target = new HostHold(new SessionMirror());
  const big = request(1, "tools/call", { pad: "x".repeat(MAX_HELD_BYTES / 2) });
  hold(target, big);
  assertEquals(target.full, false);
  hold(target, request(2, "tools/call", { pad: "x".repeat(MAX_HELD_BYTES / 2) }));
  assert(target.full);
  assert(target.release());
  assertEquals(target.full, false);
});
