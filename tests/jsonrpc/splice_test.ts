import { spliceId } from "../../src/jsonrpc/splice.ts";
import { assertEquals } from "../_helpers/assert.ts";

/** The splice must agree with parsing and re-serialising, or decline. */
function check(text: string, from: number | string, to: number | string, expectSplice: boolean) {
  const spliced = spliceId(text, from, to);
  if (!expectSplice) return assertEquals(spliced, undefined);
  const expected = { ...JSON.parse(text), id: to };
  assertEquals(JSON.parse(spliced!), expected);
}

Deno.test("the id as the last member (TypeScript SDK) is rewritten in place", () => {
  const text = '{"result":{"content":[{"type":"text","text":"hi"}]},"jsonrpc":"2.0","id":17}';
  assertEquals(
    spliceId(text, 17, "abc"),
    '{"result":{"content":[{"type":"text","text":"hi"}]},"jsonrpc":"2.0","id":"abc"}',
  );
  check(text + "\r\n", 17, 3, true);
});

Deno.test("the id as the first member (Python, Rust) is rewritten in place", () => {
  check('{"jsonrpc":"2.0","id":5,"result":{}}', 5, "x", true);
  check('{"id":"a\\"b","result":{}}', 'a"b', 9, true);
  check('{"id":5}', 5, 6, true);
});

Deno.test("an equal id nested in the payload is never mistaken for the top-level one", () => {
  // Nested last member followed by two closing braces: not provably top level.
  check('{"jsonrpc":"2.0","result":{"item":{"id":5}},"id":5}', 5, 9, true);
  check('{"result":{"item":{"x":1,"id":5}},"jsonrpc":"2.0","id":6}', 5, 9, false);
  check('{"result":{"id":5},"id":5, "jsonrpc":"2.0"}', 5, 9, false);
});

Deno.test("anything unusual declines, so the caller re-serialises", () => {
  check('{ "jsonrpc": "2.0", "id": 5, "result": {} }', 5, 9, false); // spaced out
  check('{"jsonrpc":"2.0","result":{},"id":50}', 5, 9, false); // a different id
  check('{"jsonrpc":"2.0","result":{"t":"\\"id\\":5"}}', 5, 9, false); // only inside a string
});

Deno.test("a duplicate top-level id (parsers keep the last) is never spliced at the head", () => {
  // JSON.parse keeps the last "id": rewriting the first would leave the old one in force.
  check('{"id":7,"method":"tools/call","id":7,"params":{}}', 7, 99, false);
  check('{"id":7,"result":{"items":[{"id":1}]}}', 7, 99, false); // declined, safely
});
