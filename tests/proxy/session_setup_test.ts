import { assert, assertEquals } from "../_helpers/assert.ts";
import { type AskMux, SessionSetup } from "../../src/proxy/session_setup.ts";

/** An `ask` that records what it was asked and returns a recognisable line. */
function recorder(): { ask: AskMux; asked: [string, Record<string, unknown>][] } {
  const asked: [string, Record<string, unknown>][] = [];
  const ask: AskMux = (method, params) => {
    asked.push([method, params]);
    return `ask:${method}`;
  };
  return { ask, asked };
}

Deno.test("session setup: the last log level and the subscriptions still held are replayed, in that order", () => {
  const setup = new SessionSetup();
  setup.request(0, "initialize", { capabilities: {} }, "{init}");
  setup.answered(0, "initialize", false);
  setup.initialized = true;
  setup.request(1, "logging/setLevel", { level: "debug" }, "");
  setup.request(2, "logging/setLevel", { level: "error" }, "");
  setup.request(3, "resources/subscribe", { uri: "a://1" }, "");
  setup.request(4, "resources/subscribe", { uri: "a://2" }, "");
  setup.request(5, "resources/unsubscribe", { uri: "a://1" }, "");
  setup.request(6, "resources/subscribe", { uri: 7 }, ""); // not a URI: nothing to replay
  setup.request(7, "tools/call", { name: "x" }, ""); // sets nothing up
  const { ask, asked } = recorder();
  const { toMux, toHost } = setup.afterInit({ capabilities: {} }, ask);
  assertEquals(toMux, [
    JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    "ask:logging/setLevel",
    "ask:resources/subscribe",
  ]);
  assertEquals(asked, [["logging/setLevel", { level: "error" }], ["resources/subscribe", {
    uri: "a://2",
  }]]);
  assertEquals(toHost, [], "no list_changed without the capability");
});

Deno.test("session setup: list_changed for each kind the new server announces, only once the host was initialized", () => {
  const capabilities = {
    tools: { listChanged: true },
    prompts: { listChanged: false },
    resources: { listChanged: true, subscribe: true },
  };
  const setup = new SessionSetup();
  setup.request("i", "initialize", {}, "{init}");
  setup.answered("i", "initialize", false);
  const before = setup.afterInit({ capabilities }, recorder().ask);
  assertEquals(before, { toMux: [], toHost: [] }, "the host had not finished its handshake");
  setup.initialized = true;
  const after = setup.afterInit({ capabilities }, recorder().ask);
  assertEquals(after.toHost.map((l) => JSON.parse(l).method), [
    "notifications/tools/list_changed",
    "notifications/resources/list_changed",
  ]);
  assertEquals(setup.afterInit(undefined, recorder().ask).toHost, [], "no result: nothing listed");
});

Deno.test("session setup: initialize counts as answered only on a result to the host's own id; a new one resets it", () => {
  const setup = new SessionSetup();
  const init = () => setup.init; // read afresh each time
  assertEquals(init(), undefined);
  setup.request(1, "initialize", { protocolVersion: "2025-11-25" }, "{one}");
  assertEquals(init(), { text: "{one}", id: 1, params: { protocolVersion: "2025-11-25" } });
  assert(setup.resends("initialize"), "unanswered: sent again rather than failed");
  assertEquals(setup.resends("tools/call"), false);
  setup.answered(1, "initialize", true);
  assertEquals(setup.initAnswered, false, "an error is no answer");
  setup.answered("1", "initialize", false);
  assertEquals(setup.initAnswered, false, 'id "1" is not id 1');
  setup.answered(1, "initialize", false);
  assert(setup.initAnswered);
  assertEquals(setup.resends("initialize"), false);
  setup.request(2, "initialize", undefined, "{two}");
  assertEquals(setup.initAnswered, false);
  assertEquals(init()?.params, {}, "no params: replayed with empty ones");
});
