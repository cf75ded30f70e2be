import { assertEquals } from "../_helpers/assert.ts";
import {
  discoverForClients,
  discoverFromInitialize,
  initializeFromDiscover,
  sharedModernVersion,
  toLegacyResult,
  toModernError,
  toModernResult,
} from "../../src/router/era_results.ts";

const INFO = "io.modelcontextprotocol/serverInfo";

Deno.test("toLegacyResult strips resultType, cache hints and serverInfo; keeps other _meta", () => {
  const modern = {
    tools: [],
    resultType: "complete",
    ttlMs: 0,
    cacheScope: "private",
    _meta: { [INFO]: { name: "s", version: "1" }, "x.y/trace": 1 },
  };
  assertEquals(toLegacyResult("tools/list", modern), { tools: [], _meta: { "x.y/trace": 1 } });
  assertEquals(
    toLegacyResult("tools/call", { content: [], resultType: "complete", _meta: { [INFO]: {} } }),
    {
      content: [],
    },
  );
  assertEquals(modern.resultType, "complete", "the input is left alone");
});

Deno.test("toLegacyResult wraps non-object structured output and output schemas as {result}", () => {
  assertEquals(
    toLegacyResult("tools/call", {
      content: [],
      structuredContent: [1, 2],
      resultType: "complete",
    }),
    { content: [], structuredContent: { result: [1, 2] } },
  );
  assertEquals(
    toLegacyResult("tools/call", { content: [], structuredContent: { a: 1 } }),
    { content: [], structuredContent: { a: 1 } },
  );
  const listed = toLegacyResult("tools/list", {
    tools: [
      { name: "n", inputSchema: { type: "object" }, outputSchema: { type: "number" } },
      { name: "o", inputSchema: { type: "object" }, outputSchema: { type: "object" } },
    ],
  });
  assertEquals(listed.tools, [
    {
      name: "n",
      inputSchema: { type: "object" },
      outputSchema: {
        type: "object",
        properties: { result: { type: "number" } },
        required: ["result"],
      },
    },
    { name: "o", inputSchema: { type: "object" }, outputSchema: { type: "object" } },
  ]);
});

Deno.test("toModernResult adds resultType, serverInfo and, where cacheable, ttlMs/cacheScope", () => {
  const info = { name: "legacy", version: "1" };
  assertEquals(toModernResult("tools/call", { content: [] }, info), {
    content: [],
    resultType: "complete",
    _meta: { [INFO]: info },
  });
  assertEquals(toModernResult("resources/read", { contents: [], _meta: { k: 1 } }, info), {
    contents: [],
    _meta: { k: 1, [INFO]: info },
    resultType: "complete",
    ttlMs: 0,
    cacheScope: "private",
  });
  assertEquals(toModernResult("tools/list", { tools: [], ttlMs: 5, cacheScope: "public" }, null), {
    tools: [],
    ttlMs: 5,
    cacheScope: "public",
    resultType: "complete",
  });
});

Deno.test("toModernError: resource not found -32002 becomes -32602; others unchanged", () => {
  assertEquals(toModernError({ code: -32002, message: "nope" }), { code: -32602, message: "nope" });
  assertEquals(toModernError({ code: -32603, message: "x" }), { code: -32603, message: "x" });
});

Deno.test("discover → initialize for legacy clients; initialize → discover for modern clients", () => {
  const discover = {
    supportedVersions: ["2026-07-28"],
    capabilities: {
      tools: {},
      logging: {},
      resources: { subscribe: true },
      extensions: { "a.b/c": {} },
    },
    instructions: "hi",
    resultType: "complete",
    ttlMs: 0,
    cacheScope: "private",
    _meta: { [INFO]: { name: "m", version: "2" } },
  };
  assertEquals(initializeFromDiscover(discover), {
    protocolVersion: "2025-11-25",
    capabilities: { tools: {}, logging: {}, resources: { subscribe: true } },
    serverInfo: { name: "m", version: "2" },
    instructions: "hi",
  });
  assertEquals(
    discoverFromInitialize({
      protocolVersion: "2025-11-25",
      capabilities: { tools: {}, tasks: { list: {} } },
      serverInfo: { name: "l", version: "1" },
    }),
    {
      resultType: "complete",
      supportedVersions: ["2026-07-28"],
      capabilities: { tools: {} },
      ttlMs: 0,
      cacheScope: "private",
      _meta: { [INFO]: { name: "l", version: "1" } },
    },
  );
});

Deno.test("discoverForClients narrows versions to the shared ones and hides the tasks extension", () => {
  const upstream = {
    supportedVersions: ["2026-07-28", "2027-01-01"],
    capabilities: { tools: {}, extensions: { "io.modelcontextprotocol/tasks": {} } },
    resultType: "complete",
  };
  assertEquals(discoverForClients(upstream), {
    supportedVersions: ["2026-07-28"],
    capabilities: { tools: {} },
    resultType: "complete",
  });
  assertEquals(sharedModernVersion(upstream), "2026-07-28");
  assertEquals(sharedModernVersion({ supportedVersions: ["2027-01-01"] }), undefined);
});
