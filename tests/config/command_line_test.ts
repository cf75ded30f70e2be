import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { expandHome, splitCommandLine } from "../../src/config/command_line.ts";

Deno.test("splitCommandLine: plain words", () => {
  deepStrictEqual(splitCommandLine("npx -y @modelcontextprotocol/server-github"), [
    "npx",
    "-y",
    "@modelcontextprotocol/server-github",
  ]);
  deepStrictEqual(splitCommandLine("server"), ["server"]);
  deepStrictEqual(splitCommandLine(""), []);
  deepStrictEqual(splitCommandLine("   \t  "), []);
});

Deno.test("splitCommandLine: runs of spaces, tabs and newlines separate words", () => {
  deepStrictEqual(splitCommandLine("  a   b\t\tc \t d\ne  "), ["a", "b", "c", "d", "e"]);
});

Deno.test("splitCommandLine: single quotes are literal, backslashes included", () => {
  deepStrictEqual(splitCommandLine("echo 'my server' 'C:\\path\\to' '$HOME' 'a\"b'"), [
    "echo",
    "my server",
    "C:\\path\\to",
    "$HOME",
    'a"b',
  ]);
});

Deno.test('splitCommandLine: double quotes honour \\" \\\\ \\$ and keep other backslashes', () => {
  deepStrictEqual(splitCommandLine('run "say \\"hi\\"" "a\\\\b" "\\$HOME" "x\\ny" "it\'s"'), [
    "run",
    'say "hi"',
    "a\\b",
    "$HOME",
    "x\\ny",
    "it's",
  ]);
  // a backtick can be escaped too
  deepStrictEqual(splitCommandLine('"\\`cmd\\`"'), ["`cmd`"]);
});

Deno.test("splitCommandLine: a backslash outside quotes escapes the next character", () => {
  deepStrictEqual(splitCommandLine("node my\\ server.js a\\'b c\\\\d"), [
    "node",
    "my server.js",
    "a'b",
    "c\\d",
  ]);
});

Deno.test("splitCommandLine: an empty quoted word is kept as an empty argument", () => {
  deepStrictEqual(splitCommandLine('cmd "" x'), ["cmd", "", "x"]);
  deepStrictEqual(splitCommandLine("cmd ''"), ["cmd", ""]);
  deepStrictEqual(splitCommandLine('""'), [""]);
});

Deno.test("splitCommandLine: adjacent quoted and unquoted parts join into one word", () => {
  deepStrictEqual(splitCommandLine('a"b c"d'), ["ab cd"]);
  deepStrictEqual(splitCommandLine("--name='my server'"), ["--name=my server"]);
  deepStrictEqual(splitCommandLine(`'one'"two"three`), ["onetwothree"]);
});

Deno.test("splitCommandLine: an unterminated quote throws a SyntaxError naming the quote", () => {
  throws(() => splitCommandLine("npx 'server"), (e: unknown) => {
    strictEqual((e as Error).name, "SyntaxError");
    strictEqual(e instanceof SyntaxError, true);
    strictEqual((e as Error).message.includes("unterminated single quote"), true);
    strictEqual((e as Error).message.includes("npx 'server"), true);
    return true;
  });
  throws(
    () => splitCommandLine('npx "server'),
    (e: unknown) => e instanceof SyntaxError && e.message.includes("unterminated double quote"),
  );
  // an escaped quote does not open a quote
  deepStrictEqual(splitCommandLine("it\\'s"), ["it's"]);
  // an escaped quote inside double quotes does not close it
  throws(() => splitCommandLine('"abc\\"'), SyntaxError);
});

Deno.test("expandHome: a lone ~ and a leading ~/ expand", () => {
  strictEqual(expandHome("~", "/home/ann"), "/home/ann");
  strictEqual(expandHome("~/x", "/home/ann"), "/home/ann/x");
  strictEqual(
    expandHome("~/.rmcp-mux/github.sock", "/home/ann"),
    "/home/ann/.rmcp-mux/github.sock",
  );
});

Deno.test("expandHome: ~user, a ~ mid-path and other paths are left alone", () => {
  strictEqual(expandHome("~bob/x", "/home/ann"), "~bob/x");
  strictEqual(expandHome("/tmp/~/x", "/home/ann"), "/tmp/~/x");
  strictEqual(expandHome("a~/b", "/home/ann"), "a~/b");
  strictEqual(expandHome("./~", "/home/ann"), "./~");
  strictEqual(expandHome("/abs/path", "/home/ann"), "/abs/path");
  strictEqual(expandHome("relative", "/home/ann"), "relative");
});

Deno.test("expandHome: without HOME the path is left alone", () => {
  strictEqual(expandHome("~/x", undefined), "~/x");
  strictEqual(expandHome("~", undefined), "~");
  strictEqual(expandHome("~/x", ""), "~/x");
});

Deno.test("expandHome: a HOME with a trailing slash gives no double slash", () => {
  strictEqual(expandHome("~/x", "/home/ann/"), "/home/ann/x");
  strictEqual(expandHome("~/x", "/"), "/x");
});
