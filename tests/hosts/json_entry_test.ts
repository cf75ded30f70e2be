import { assertEquals } from "../_helpers/assert.ts";
import { ParseFailure, parseJsonc, rewriteJsonEntry } from "../../src/hosts/json_entry.ts";

const DROP = ["type", "command", "args", "env", "url"];

Deno.test("json: only the entry changes, whatever the file's layout", () => {
  const text =
    '// c\n{\n\t"a": 1, /* x */\n\t"s": {\n\t\t"m": {\n\t\t\t"command": "npx", // why\n\t\t\t"env": {"K": "v"},\n\t\t\t"timeout": 5,\n\t\t},\n\t},\n}\n';
  const out = rewriteJsonEntry(text, ["s", "m"], { command: "/x", args: ["proxy"] }, DROP);
  assertEquals(out.slice(0, out.indexOf('"m"')), text.slice(0, text.indexOf('"m"')));
  assertEquals(out.slice(out.lastIndexOf("\t\t},")), text.slice(text.lastIndexOf("\t\t},")));
  assertEquals(parseJsonc(out).value, {
    a: 1,
    s: { m: { command: "/x", args: ["proxy"], timeout: 5 } },
  });
});

Deno.test("json: a one-line file stays one line; CRLF stays CRLF", () => {
  assertEquals(
    rewriteJsonEntry('{"s":{"m":{"command":"npx","args":["a"]},"n":{}}}', ["s", "m"], {
      command: "/x",
      args: ["p"],
    }, DROP),
    '{"s":{"m":{"command":"/x","args":["p"]},"n":{}}}',
  );
  const crlf =
    '{\r\n  "s": {\r\n    "m": {\r\n      "command": "npx",\r\n      "env": {}\r\n    }\r\n  }\r\n}\r\n';
  const out = rewriteJsonEntry(crlf, ["s", "m"], { command: "/x", args: ["p", "q"] }, DROP);
  assertEquals(out.replaceAll("\r\n", "").includes("\n"), false);
});

Deno.test("json: a file that does not parse says where", () => {
  let error: unknown;
  try {
    parseJsonc('{\n  "a": 1\n  "b": 2\n}');
  } catch (e) {
    error = e;
  }
  assertEquals(error instanceof ParseFailure, true);
  assertEquals([(error as ParseFailure).line, (error as ParseFailure).column], [3, 3]);
});
