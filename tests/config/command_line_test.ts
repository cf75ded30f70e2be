import { assertEquals, assertStrictEquals, assertThrows } from "../_helpers/assert.ts";
import { expandHome, splitCommandLine } from "../../src/config/command_line.ts";

Deno.test("splitCommandLine: plain words", () => {
  assertEquals(splitCommandLine("npx -y @modelcontextprotocol/server-github"), [
    "npx",
    "-y",
    "@modelcontextprotocol/server-github",
  ]);
  assertEquals(splitCommandLine("server"), ["server"]);
  assertEquals(splitCommandLine(""), []);
  assertEquals(splitCommandLine("   \t  "), []);
});

Deno.test("splitCommandLine: runs of spaces, tabs and newlines separate words", () => {
  assertEquals(splitCommandLine("  a   b\t\tc \t d\ne  "), ["a", "b", "c", "d", "e"]);
});

Deno.test("splitCommandLine: single quotes are literal, backslashes included", () => {
  assertEquals(splitCommandLine("echo 'my server' 'C:\\path\\to' '$HOME' 'a\"b'"), [
    "echo",
    "my server",
    "C:\\path\\to",
    "$HOME",
    'a"b',
  ]);
});

Deno.test('splitCommandLine: double quotes honour \\" \\\\ \\$ and keep other backslashes', () => {
  assertEquals(splitCommandLine('run "say \\"hi\\"" "a\\\\b" "\\$HOME" "x\\ny" "it\'s"'), [
    "run",
    'say "hi"',
    "a\\b",
    "$HOME",
    "x\\ny",
    "it's",
  ]);
  // a backtick can be escaped too
  assertEquals(splitCommandLine('"\\`cmd\\`"'), ["`cmd`"]);
});

Deno.test("splitCommandLine: a backslash outside quotes escapes the next character", () => {
  assertEquals(splitCommandLine("node my\\ server.js a\\'b c\\\\d"), [
    "node",
    "my server.js",
    "a'b",
    "c\\d",
  ]);
});

Deno.test("splitCommandLine: an empty quoted word is kept as an empty argument", () => {
  assertEquals(splitCommandLine('cmd "" x'), ["cmd", "", "x"]);
  assertEquals(splitCommandLine("cmd ''"), ["cmd", ""]);
  assertEquals(splitCommandLine('""'), [""]);
});

Deno.test("splitCommandLine: adjacent quoted and unquoted parts join into one word", () => {
  assertEquals(splitCommandLine('a"b c"d'), ["ab cd"]);
  assertEquals(splitCommandLine("--name='my server'"), ["--name=my server"]);
  assertEquals(splitCommandLine(`'one'"two"three`), ["onetwothree"]);
});

Deno.test("splitCommandLine: an unterminated quote throws a SyntaxError naming the quote", () => {
  assertThrows(() => splitCommandLine("npx 'server"), (e: unknown) => {
    assertStrictEquals((e as Error).name, "SyntaxError");
    assertStrictEquals(e instanceof SyntaxError, true);
    assertStrictEquals((e as Error).message.includes("unterminated single quote"), true);
    assertStrictEquals((e as Error).message.includes("npx 'server"), true);
    return true;
  });
  assertThrows(
    () => splitCommandLine('npx "server'),
    (e: unknown) => e instanceof SyntaxError && e.message.includes("unterminated double quote"),
  );
  // an escaped quote does not open a quote
  assertEquals(splitCommandLine("it\\'s"), ["it's"]);
  // an escaped quote inside double quotes does not close it
  assertThrows(() => splitCommandLine('"abc\\"'), SyntaxError);
});

Deno.test("expandHome: a lone ~ and a leading ~/ expand", () => {
  assertStrictEquals(expandHome("~", "/home/ann"), "/home/ann");
  assertStrictEquals(expandHome("~/x", "/home/ann"), "/home/ann/x");
  assertStrictEquals(
    expandHome("~/.rmcp-mux/github.sock", "/home/ann"),
    "/home/ann/.rmcp-mux/github.sock",
  );
});

Deno.test("expandHome: ~user, a ~ mid-path and other paths are left alone", () => {
  assertStrictEquals(expandHome("~bob/x", "/home/ann"), "~bob/x");
  assertStrictEquals(expandHome("/tmp/~/x", "/home/ann"), "/tmp/~/x");
  assertStrictEquals(expandHome("a~/b", "/home/ann"), "a~/b");
  assertStrictEquals(expandHome("./~", "/home/ann"), "./~");
  assertStrictEquals(expandHome("/abs/path", "/home/ann"), "/abs/path");
  assertStrictEquals(expandHome("relative", "/home/ann"), "relative");
});

Deno.test("expandHome: without HOME the path is left alone", () => {
  assertStrictEquals(expandHome("~/x", undefined), "~/x");
  assertStrictEquals(expandHome("~", undefined), "~");
  assertStrictEquals(expandHome("~/x", ""), "~/x");
});

Deno.test("expandHome: a HOME with a trailing slash gives no double slash", () => {
  assertStrictEquals(expandHome("~/x", "/home/ann/"), "/home/ann/x");
  assertStrictEquals(expandHome("~/x", "/"), "/x");
});
