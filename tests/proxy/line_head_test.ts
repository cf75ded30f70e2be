/**
 * Reading a JSON-RPC line's id and kind from its bytes: whenever it answers
 * (anything but "unknown"), it agrees with `JSON.parse`; and on the lines a
 * mux writes (plain ids, one structured member) it always answers.
 */

import fc from "fast-check";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { type HeadKind, LineHead } from "../../src/proxy/line_head.ts";

const encoder = new TextEncoder();

interface Read {
  kind: HeadKind;
  id: string | number;
  isError: boolean;
}

/** Read `text` placed inside a larger buffer (as lines are, in a read chunk). */
function read(text: string, head = new LineHead()): Read {
  const bytes = encoder.encode(`xx\n${text}\nyy`);
  const start = 3;
  const kind = head.read(bytes, start, bytes.length - 3);
  return { kind, id: head.id, isError: head.isError };
}

const isId = (v: unknown) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v));

/** What a parser makes of the line, in {@link LineHead}'s terms. */
function parsed(text: string): Read | "other" {
  const value = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "other";
  if (typeof value.method === "string") {
    return isId(value.id)
      ? { kind: "request", id: value.id, isError: false }
      : { kind: "notification", id: 0, isError: false };
  }
  if (!isId(value.id) || "params" in value) return "other";
  return { kind: "response", id: value.id, isError: "error" in value };
}

/** Whitespace JSON allows between tokens. */
const space = fc.constantFrom("", "", "", " ", "\t", "  ", "\r\n ");

/** A serialization of `members` in the given order, with whitespace between tokens. */
const objectText = (members: [string, unknown][]) =>
  fc.array(space, { minLength: members.length * 4 + 2, maxLength: members.length * 4 + 2 }).map(
    (ws) => {
      let i = 0;
      const parts = members.map(([k, v]) =>
        `${ws[i++]}${JSON.stringify(k)}${ws[i++]}:${ws[i++]}${JSON.stringify(v)}${ws[i++]}`
      );
      return `${ws[i++]}{${parts.join(",")}${parts.length === 0 ? ws[i++] : ""}}${ws[i]}`;
    },
  );

const plainId = fc.oneof(
  fc.integer({ min: -1e9, max: 1e12 }),
  fc.stringMatching(/^[A-Za-z0-9/_.:-]{0,24}$/),
);
const anyId = fc.oneof(plainId, fc.string(), fc.double(), fc.constant(null), fc.boolean());
const method = fc.constantFrom("ping", "tools/call", "roots/list", "notifications/progress");
const params = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue()));
const error = fc.record({
  code: fc.integer(),
  message: fc.string(),
  data: fc.option(fc.jsonValue(), { nil: undefined }),
});

/** Members of a valid JSON-RPC message (in random order), with ids drawn from `id`. */
function message(id: fc.Arbitrary<unknown>): fc.Arbitrary<[string, unknown][]> {
  const jsonrpc = fc.constant<[string, unknown]>(["jsonrpc", "2.0"]);
  const request = fc.tuple(id, method, fc.option(params, { nil: undefined })).map(([i, m, p]) => {
    const members: [string, unknown][] = [["id", i], ["method", m]];
    if (p !== undefined) members.push(["params", p]);
    return members;
  });
  const notification = fc.tuple(method, fc.option(params, { nil: undefined })).map(([m, p]) => {
    const members: [string, unknown][] = [["method", m]];
    if (p !== undefined) members.push(["params", p]);
    return members;
  });
  const response = fc.tuple(
    id,
    fc.oneof(
      fc.jsonValue().map((r): [string, unknown] => ["result", r]),
      error.map((e): [string, unknown] => ["error", JSON.parse(JSON.stringify(e))]),
    ),
  ).map(([i, outcome]): [string, unknown][] => [["id", i], outcome]);
  return fc.tuple(jsonrpc, fc.oneof(request, notification, response))
    .chain(([head, rest]) => fc.shuffledSubarray([head, ...rest], { minLength: rest.length + 1 }));
}

Deno.test("what a mux writes: responses, requests and notifications, read at their ends", () => {
  const head = new LineHead();
  assertEquals(read('{"jsonrpc":"2.0","id":7,"result":{"tools":[]}}', head), {
    kind: "response",
    id: 7,
    isError: false,
  });
  assertEquals(read('{"result":{"x":"}"},"jsonrpc":"2.0","id":"a/1"}', head), {
    kind: "response",
    id: "a/1",
    isError: false,
  });
  assertEquals(read('{"jsonrpc":"2.0","id":-3,"error":{"code":-32000,"message":"x"}}', head), {
    kind: "response",
    id: -3,
    isError: true,
  });
  assertEquals(read('{"jsonrpc":"2.0","id":"r1","method":"roots/list"}', head).kind, "request");
  assertEquals(
    read('{"jsonrpc":"2.0","method":"notifications/message","params":{}}', head).kind,
    "notification",
  );
});

Deno.test("what it cannot tell from the ends is unknown: the caller parses", () => {
  for (
    const text of [
      '[{"jsonrpc":"2.0","id":1,"result":{}}]', // a batch
      '{"jsonrpc":"2.0","id":1.5,"result":{}}', // a fractional id
      '{"jsonrpc":"2.0","id":"a\\"b","result":{}}', // an escaped id
      '{"jsonrpc":"2.0","id":1,"result":{},"extra":true}', // an unknown key
      '{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}', // no usable id
      '{"jsonrpc":"2.0","id":12345678901234567,"result":{}}', // beyond a safe integer
      "not json",
      "",
    ]
  ) assertEquals(read(text).kind, "unknown", text);
});

Deno.test("property: whenever it answers, it agrees with JSON.parse", () => {
  fc.assert(
    fc.property(message(anyId).chain(objectText), (text) => {
      const got = read(text);
      if (got.kind === "unknown") return;
      const want = parsed(text);
      assert(want !== "other", `${text} read as ${got.kind}`);
      assertEquals(got.kind, want.kind, text);
      if (got.kind !== "notification") assertEquals(got.id, want.id, text);
      if (got.kind === "response") assertEquals(got.isError, want.isError, text);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("property: on valid messages with plain ids it always answers", () => {
  fc.assert(
    fc.property(message(plainId).chain(objectText), (text) => {
      const got = read(text);
      assert(got.kind !== "unknown", `${text} read as unknown`);
      assertEquals(got.kind, (parsed(text) as Read).kind, text);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("property: one reader reused line after line reads each as a fresh one would", () => {
  const reused = new LineHead();
  fc.assert(
    fc.property(fc.array(message(anyId).chain(objectText), { maxLength: 5 }), (texts) => {
      for (const text of texts) {
        const [again, fresh] = [read(text, reused), read(text)];
        // The id means something for requests and responses only.
        if (fresh.kind === "notification" || fresh.kind === "unknown") again.id = fresh.id;
        assertEquals(again, fresh, text);
      }
    }),
    { numRuns: 300 },
  );
});
