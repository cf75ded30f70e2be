/**
 * The 2026-07-28 request headers against their body (pure): what passes,
 * what is refused and with which code, the Base64 form, and which tool
 * parameters a schema mirrors.
 */

import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import type { JsonRpcRequest } from "../../src/jsonrpc/message.ts";
import {
  checkModernHeaders,
  decodeHeaderValue,
  isModernPost,
  paramHeadersOf,
} from "../../src/http/modern_headers.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";

const META = { "io.modelcontextprotocol/protocolVersion": "2026-07-28" };

function request(method: string, params: Record<string, unknown> = {}): JsonRpcRequest {
  return { jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: META } };
}

function headers(extra: Record<string, string> = {}): Headers {
  return new Headers({ "mcp-protocol-version": "2026-07-28", ...extra });
}

Deno.test("modern headers: matching headers pass; Mcp-Name only where the method mirrors a name or URI", () => {
  assertEquals(
    checkModernHeaders(headers({ "mcp-method": "tools/list" }), request("tools/list")),
    undefined,
  );
  const call = request("tools/call", { name: "echo" });
  assertEquals(
    checkModernHeaders(headers({ "mcp-method": "tools/call", "mcp-name": "echo" }), call),
    undefined,
  );
  const read = request("resources/read", { uri: "file:///a b" });
  const encoded = `=?base64?${btoa("file:///a b")}?=`;
  assertEquals(
    checkModernHeaders(headers({ "mcp-method": "resources/read", "mcp-name": encoded }), read),
    undefined,
  );
  // A header name in any case.
  assertEquals(
    checkModernHeaders(
      new Headers({
        "MCP-PROTOCOL-VERSION": "2026-07-28",
        "MCP-METHOD": "prompts/get",
        "Mcp-Name": "p",
      }),
      request("prompts/get", { name: "p" }),
    ),
    undefined,
  );
});

Deno.test("modern headers: every disagreement is -32020, a missing envelope -32602", () => {
  const call = request("tools/call", { name: "echo" });
  const refused: [Headers, JsonRpcRequest, number, RegExp][] = [
    [
      headers({ "mcp-method": "tools/call" }),
      call,
      ErrorCode.HeaderMismatch,
      /Mcp-Name header is missing/,
    ],
    [
      headers({ "mcp-name": "echo" }),
      call,
      ErrorCode.HeaderMismatch,
      /Mcp-Method header is missing/,
    ],
    [
      new Headers({ "mcp-method": "tools/call", "mcp-name": "echo" }),
      call,
      ErrorCode.HeaderMismatch,
      /MCP-Protocol-Version header is missing/,
    ],
    [
      headers({ "mcp-method": "tools/call", "mcp-name": "Echo" }),
      call,
      ErrorCode.HeaderMismatch,
      /'Echo' does not match body value 'echo'/,
    ],
    [
      headers({ "mcp-method": "tools/call", "mcp-name": "=?base64?!!!?=" }),
      call,
      ErrorCode.HeaderMismatch,
      /malformed/,
    ],
    [
      headers({ "mcp-method": "tools/call", "mcp-name": "echo" }),
      { ...call, params: { name: "echo" } },
      ErrorCode.InvalidParams,
      /is required on MCP 2026-07-28 requests/,
    ],
    [
      headers({ "mcp-method": "tools/call", "mcp-name": "echo" }),
      request("tools/call", { name: 42 }),
      ErrorCode.HeaderMismatch,
      /does not match body value 42/,
    ],
  ];
  for (const [h, r, code, message] of refused) {
    const refusal = checkModernHeaders(h, r);
    assert(refusal, message.source);
    assertEquals(refusal.code, code, message.source);
    assertMatch(refusal.message, message);
  }
});

Deno.test("modern headers: Mcp-Param-* checked for the declared parameters only", () => {
  const params = paramHeadersOf({
    type: "object",
    properties: {
      region: { type: "string", "x-mcp-header": "Region" },
      opts: { type: "object", properties: { fast: { type: "boolean", "x-mcp-header": "Fast" } } },
      list: { type: "array", items: { type: "string", "x-mcp-header": "Item" } },
      bad: { type: "string", "x-mcp-header": "not a token" },
      dup: { type: "string", "x-mcp-header": "REGION" },
    },
  });
  assertEquals(params, [{ path: ["region"], name: "Region" }, {
    path: ["opts", "fast"],
    name: "Fast",
  }]);
  const call = (args: Record<string, unknown>) =>
    request("tools/call", { name: "t", arguments: args });
  const base = { "mcp-method": "tools/call", "mcp-name": "t" };
  const check = (args: Record<string, unknown>, extra: Record<string, string>) =>
    checkModernHeaders(headers({ ...base, ...extra }), call(args), params);
  assertEquals(
    check({ region: "eu", opts: { fast: true } }, {
      "mcp-param-region": "eu",
      "mcp-param-fast": "true",
    }),
    undefined,
  );
  assertEquals(check({ region: null }, {}), undefined, "a null value has no header");
  assertEquals(
    check({ region: "eu", unrelated: 1 }, { "mcp-param-region": "eu", "mcp-param-other": "x" }),
    undefined,
  );
  assertMatch(check({ region: "eu" }, {})!.message, /Mcp-Param-Region header is missing/);
  assertMatch(
    check({ opts: { fast: false } }, { "mcp-param-fast": "true" })!.message,
    /'true' does not match body value false/,
  );
  assertMatch(
    check({}, { "mcp-param-region": "eu" })!.message,
    /set, but the body has no value at arguments.region/,
  );
  // Only tools/call carries arguments to mirror.
  assertEquals(
    checkModernHeaders(headers({ "mcp-method": "tools/list" }), request("tools/list"), params),
    undefined,
  );
});

Deno.test("modern headers: values decode from plain ASCII or the Base64 sentinel; anything else is malformed", () => {
  assertEquals(decodeHeaderValue("us-west1"), "us-west1");
  assertEquals(decodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?="), "Hello, 世界");
  assertEquals(decodeHeaderValue("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="), "=?base64?literal?=");
  assertEquals(decodeHeaderValue("a\tb c"), "a\tb c");
  assertEquals(decodeHeaderValue("caf\u00e9"), undefined, "not ASCII");
  assertEquals(decodeHeaderValue("=?base64?***?="), undefined);
  assertEquals(decodeHeaderValue(`=?base64?${btoa("\xff\xfe")}?=`), undefined, "not UTF-8");
});

Deno.test("modern headers: a POST is modern by its version header or its body's envelope", () => {
  assert(isModernPost(new Headers({ "mcp-protocol-version": "2026-07-28" }), undefined));
  assert(isModernPost(new Headers(), { _meta: META }));
  assert(!isModernPost(new Headers({ "mcp-protocol-version": "2025-11-25" }), {}));
  assert(
    !isModernPost(new Headers(), {
      _meta: { "io.modelcontextprotocol/protocolVersion": "2025-06-18" },
    }),
  );
});
