import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import {
  classify,
  errorResponse,
  isErrorResponse,
  isId,
  resultResponse,
} from "../../src/jsonrpc/message.ts";

function invalid(value: unknown): { id: unknown; reason: string } {
  const c = classify(value);
  if (c.kind !== "invalid") throw new Error(`expected invalid, got ${c.kind}`);
  return { id: c.id, reason: c.reason };
}

Deno.test("classify: a request with a number or string id is a request", () => {
  const numeric = { jsonrpc: "2.0", id: 1, method: "tools/list" };
  assertEquals(classify(numeric), { kind: "request", message: numeric });
  const text = { jsonrpc: "2.0", id: "a-1", method: "tools/call", params: { name: "x" } };
  assertEquals(classify(text), { kind: "request", message: text });
  // id 0 and an empty string are valid ids, not "missing".
  assertStrictEquals(classify({ jsonrpc: "2.0", id: 0, method: "ping" }).kind, "request");
  assertStrictEquals(classify({ jsonrpc: "2.0", id: "", method: "ping" }).kind, "request");
});

Deno.test("classify: a message with a method and no id is a notification", () => {
  const n = { jsonrpc: "2.0", method: "notifications/initialized" };
  assertEquals(classify(n), { kind: "notification", message: n });
  const withParams = { jsonrpc: "2.0", method: "notifications/progress", params: { p: 1 } };
  assertStrictEquals(classify(withParams).kind, "notification");
  // params explicitly undefined is the same as absent
  assertStrictEquals(
    classify({ jsonrpc: "2.0", method: "x", params: undefined }).kind,
    "notification",
  );
});

Deno.test("classify: result and error responses are responses", () => {
  const result = { jsonrpc: "2.0", id: 3, result: { tools: [] } };
  assertEquals(classify(result), { kind: "response", message: result });
  const error = { jsonrpc: "2.0", id: "x", error: { code: -32601, message: "nope" } };
  assertEquals(classify(error), { kind: "response", message: error });
});

Deno.test("classify: an error response with a null id is allowed (id unreadable)", () => {
  const msg = { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } };
  assertEquals(classify(msg), { kind: "response", message: msg });
});

Deno.test("classify: a result response with a null or missing id is invalid", () => {
  const withNull = invalid({ jsonrpc: "2.0", id: null, result: {} });
  assertStrictEquals(withNull.id, null);
  assert(withNull.reason.includes('"id" must be a string or a number'), withNull.reason);
  const missing = invalid({ jsonrpc: "2.0", result: {} });
  assert(missing.reason.includes('"id"'), missing.reason);
});

Deno.test("classify: an error response with an object id is invalid", () => {
  const r = invalid({ jsonrpc: "2.0", id: { a: 1 }, error: { code: 1, message: "m" } });
  assertStrictEquals(r.id, null);
  assert(r.reason.includes('response "id"'), r.reason);
});

Deno.test("classify: an array is a batch carrying its items", () => {
  const items = [{ jsonrpc: "2.0", id: 1, method: "a" }, 5];
  assertEquals(classify(items), { kind: "batch", items });
  assertEquals(classify([]), { kind: "batch", items: [] });
});

Deno.test("classify: non-objects are invalid with a readable reason", () => {
  for (const value of [null, 42, "str", true, undefined]) {
    const r = invalid(value);
    assertStrictEquals(r.id, null);
    assertStrictEquals(r.reason, "a JSON-RPC message must be a JSON object");
  }
});

Deno.test("classify: a null request id is refused, not treated as a notification", () => {
  const r = invalid({ jsonrpc: "2.0", id: null, method: "tools/list" });
  assertStrictEquals(r.id, null);
  assert(r.reason.includes("null is not allowed"), r.reason);
});

Deno.test("classify: non-finite or non-scalar request ids are refused", () => {
  for (const id of [true, [1], { n: 1 }, Infinity, NaN]) {
    const r = invalid({ jsonrpc: "2.0", id, method: "x" });
    assertStrictEquals(r.id, null, `id ${String(id)}`);
    assert(r.reason.includes('request "id"'), r.reason);
  }
});

Deno.test("classify: a wrong or missing jsonrpc version is invalid and keeps the id", () => {
  const wrong = invalid({ jsonrpc: "1.0", id: 7, method: "x" });
  assertStrictEquals(wrong.id, 7);
  assert(wrong.reason.includes('"jsonrpc" member must be exactly "2.0"'), wrong.reason);
  const missing = invalid({ id: "q", method: "x" });
  assertStrictEquals(missing.id, "q");
  // a number 2.0 is not the string "2.0"
  assertStrictEquals(invalid({ jsonrpc: 2.0, id: 1, method: "x" }).id, 1);
});

Deno.test("classify: a non-string method is invalid and keeps the id", () => {
  const r = invalid({ jsonrpc: "2.0", id: 9, method: 12 });
  assertStrictEquals(r.id, 9);
  assert(r.reason.includes('"method" member must be a string'), r.reason);
});

Deno.test("classify: params that are not an object are invalid and keep the id", () => {
  for (const params of [[1, 2], "p", 3, null]) {
    const r = invalid({ jsonrpc: "2.0", id: "p1", method: "x", params });
    assertStrictEquals(r.id, "p1");
    assert(r.reason.includes('"params" member must be an object'), r.reason);
  }
  // also for a notification (no id to recover)
  const n = invalid({ jsonrpc: "2.0", method: "x", params: [1] });
  assertStrictEquals(n.id, null);
});

Deno.test("classify: neither method nor result/error, or both result and error, is invalid", () => {
  const neither = invalid({ jsonrpc: "2.0", id: 4 });
  assertStrictEquals(neither.id, 4);
  assert(neither.reason.includes('needs a "method"'), neither.reason);
  const both = invalid({ jsonrpc: "2.0", id: 5, result: {}, error: { code: 1, message: "m" } });
  assertStrictEquals(both.id, 5);
  assert(both.reason.includes('exactly one of "result" and "error"'), both.reason);
});

Deno.test("classify: a malformed error object is invalid and keeps the id", () => {
  for (
    const error of [
      "boom",
      null,
      { code: "1", message: "m" },
      { code: 1 },
      { message: "m" },
      [1, "m"],
    ]
  ) {
    const r = invalid({ jsonrpc: "2.0", id: 11, error });
    assertStrictEquals(r.id, 11);
    assert(r.reason.includes('numeric "code" and a string "message"'), r.reason);
  }
});

Deno.test("isId: strings and finite numbers only", () => {
  assert(isId("a"));
  assert(isId(0));
  assert(isId(-1.5));
  assert(!isId(null));
  assert(!isId(undefined));
  assert(!isId(NaN));
  assert(!isId(Infinity));
  assert(!isId({}));
});

Deno.test("errorResponse: builds a JSON-RPC error, data only when given", () => {
  const plain = errorResponse(1, -32600, "Invalid Request");
  assertEquals(plain, {
    jsonrpc: "2.0",
    id: 1,
    error: { code: -32600, message: "Invalid Request" },
  });
  assert(!("data" in plain.error), "no data key when data is undefined");
  // serialises without a data member
  assertStrictEquals(
    JSON.stringify(plain),
    '{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"Invalid Request"}}',
  );
  const withData = errorResponse(null, -32700, "Parse error", { detail: "x" });
  assertEquals(withData, {
    jsonrpc: "2.0",
    id: null,
    error: { code: -32700, message: "Parse error", data: { detail: "x" } },
  });
  // falsy data is still data
  assertStrictEquals(errorResponse("a", 1, "m", 0).error.data, 0);
  assertStrictEquals(errorResponse("a", 1, "m", null).error.data, null);
  // what we build, we classify as a response
  assertStrictEquals(classify(withData).kind, "response");
  assert(isErrorResponse(withData));
});

Deno.test("resultResponse: builds a successful response that classifies as one", () => {
  const r = resultResponse("req-1", { content: [] });
  assertEquals(r, { jsonrpc: "2.0", id: "req-1", result: { content: [] } });
  assertEquals(classify(r), { kind: "response", message: r });
  assert(!isErrorResponse(r));
});
