import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import {
  bridgedCapabilities,
  legacyClientEnvelope,
  readEnvelope,
  withEnvelope,
  withoutEnvelope,
} from "../../src/router/envelope.ts";

const V = "io.modelcontextprotocol/protocolVersion";
const CAPS = "io.modelcontextprotocol/clientCapabilities";
const INFO = "io.modelcontextprotocol/clientInfo";
const LEVEL = "io.modelcontextprotocol/logLevel";

Deno.test("readEnvelope: a full envelope is read; missing keys -32602; other versions -32022", () => {
  const ok = readEnvelope({
    _meta: { [V]: "2026-07-28", [CAPS]: { sampling: {} }, [INFO]: { name: "h" }, [LEVEL]: "info" },
  });
  assertEquals(ok, {
    ok: true,
    envelope: {
      protocolVersion: "2026-07-28",
      clientCapabilities: { sampling: {} },
      clientInfo: { name: "h" },
      logLevel: "info",
    },
  });
  const noCaps = readEnvelope({ _meta: { [V]: "2026-07-28" } });
  assert(!noCaps.ok && noCaps.code === -32602 && noCaps.message.includes(CAPS));
  const noVersion = readEnvelope({ name: "x" });
  assert(!noVersion.ok && noVersion.code === -32602 && noVersion.message.includes(V));
  const future = readEnvelope({ _meta: { [V]: "2027-01-01", [CAPS]: {} } });
  assert(!future.ok && future.code === -32022);
  assertEquals((future.data as { requested: string }).requested, "2027-01-01");
  assert((future.data as { supported: string[] }).supported.includes("2026-07-28"));
  assert((future.data as { supported: string[] }).supported.includes("2025-11-25"));
  const badLevel = readEnvelope({ _meta: { [V]: "2026-07-28", [CAPS]: {}, [LEVEL]: "loud" } });
  assert(!badLevel.ok && badLevel.code === -32602);
});

Deno.test("withEnvelope adds the four keys over the caller's and keeps the rest of _meta", () => {
  const params = { name: "t", _meta: { progressToken: 7, traceparent: "00-x", [V]: "old" } };
  const out = withEnvelope(params, {
    protocolVersion: "2026-07-28",
    clientCapabilities: { roots: {} },
    clientInfo: { name: "c", version: "1" },
    logLevel: "debug",
  });
  assertEquals(out, {
    name: "t",
    _meta: {
      progressToken: 7,
      traceparent: "00-x",
      [V]: "2026-07-28",
      [CAPS]: { roots: {} },
      [INFO]: { name: "c", version: "1" },
      [LEVEL]: "debug",
    },
  });
  assertEquals(params._meta[V], "old", "the input is left alone");
  assertEquals(withEnvelope(undefined, { protocolVersion: "2026-07-28", clientCapabilities: {} }), {
    _meta: { [V]: "2026-07-28", [CAPS]: {} },
  });
});

Deno.test("withoutEnvelope strips only envelope keys; an emptied _meta goes; untouched input is returned as is", () => {
  const params = { uri: "a", _meta: { [V]: "2026-07-28", [CAPS]: {}, progressToken: "p" } };
  assertEquals(withoutEnvelope(params), { uri: "a", _meta: { progressToken: "p" } });
  assertEquals(withoutEnvelope({ uri: "a", _meta: { [V]: "2026-07-28", [CAPS]: {} } }), {
    uri: "a",
  });
  const plain = { uri: "a", _meta: { progressToken: 1 } };
  assertStrictEquals(withoutEnvelope(plain), plain);
  assertStrictEquals(withoutEnvelope(undefined), undefined);
});

Deno.test("bridged capabilities drop tasks (both eras' kinds) and nothing else", () => {
  const caps = {
    sampling: {},
    tasks: { requests: {} },
    extensions: { "io.modelcontextprotocol/tasks": {}, "x.y/z": {} },
  };
  assertEquals(bridgedCapabilities(caps), { sampling: {}, extensions: { "x.y/z": {} } });
  const plain = { elicitation: { form: {} } };
  assertStrictEquals(bridgedCapabilities(plain), plain);
  assertEquals(
    legacyClientEnvelope("2026-07-28", {
      capabilities: { tasks: {}, roots: {} },
      clientInfo: { name: "legacy" },
    }, "warning"),
    {
      protocolVersion: "2026-07-28",
      clientCapabilities: { roots: {} },
      clientInfo: { name: "legacy" },
      logLevel: "warning",
    },
  );
});
