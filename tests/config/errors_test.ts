import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  ConfigError,
  describeValue,
  editDistance,
  formatIssue,
  keyPathOf,
  sortIssues,
  suggestKey,
} from "../../src/config/errors.ts";

Deno.test("formatIssue: file:line:col key.path: message, leaving out what is unknown", () => {
  strictEqual(
    formatIssue({ file: "c.yaml", line: 12, column: 5, keyPath: "servers.a", message: "m" }),
    "c.yaml:12:5 servers.a: m",
  );
  strictEqual(
    formatIssue({ file: "c.toml", keyPath: "servers.a", message: "m" }),
    "c.toml servers.a: m",
  );
  strictEqual(formatIssue({ file: "c.yaml", line: 3, column: 1, message: "m" }), "c.yaml:3:1: m");
  strictEqual(formatIssue({ file: "c.yaml", message: "m" }), "c.yaml: m");
  strictEqual(formatIssue({ message: "m" }), "m");
});

Deno.test("ConfigError: one issue is the message; several get a heading", () => {
  const one = new ConfigError([{ file: "c.yaml", message: "bad" }]);
  strictEqual(one.message, "c.yaml: bad");
  strictEqual(one.name, "ConfigError");
  ok(one instanceof Error);
  const two = new ConfigError([{ file: "c.yaml", message: "a" }, { file: "c.yaml", message: "b" }]);
  strictEqual(two.message, "2 problems in c.yaml:\nc.yaml: a\nc.yaml: b");
  strictEqual(two.issues.length, 2);
});

Deno.test("keyPathOf: dots for words, brackets for indexes and odd names", () => {
  strictEqual(keyPathOf(["servers", "github", "args", 2]), "servers.github.args[2]");
  strictEqual(keyPathOf(["servers", "my.svc", "socket"]), 'servers["my.svc"].socket');
  strictEqual(keyPathOf(["$schema"]), "$schema");
  strictEqual(keyPathOf([]), "");
});

Deno.test("suggestKey: same letters ignoring case and separators, else within 2 edits", () => {
  const known = ["socket", "max_restarts", "max_active_clients", "lazy_start", "log_level"];
  strictEqual(suggestKey("maxRestarts", known), "max_restarts");
  strictEqual(suggestKey("max-active-clients", known), "max_active_clients");
  strictEqual(suggestKey("sockte", known), "socket");
  strictEqual(suggestKey("max_restart", known), "max_restarts");
  strictEqual(suggestKey("LOG_LEVEL", known), "log_level");
  strictEqual(suggestKey("colour", known), undefined);
});

Deno.test("editDistance: Levenshtein", () => {
  strictEqual(editDistance("", ""), 0);
  strictEqual(editDistance("abc", ""), 3);
  strictEqual(editDistance("kitten", "sitting"), 3);
  strictEqual(editDistance("socket", "sockte"), 2);
});

Deno.test("sortIssues: by line and column; unpositioned issues last, in order", () => {
  const sorted = sortIssues([
    { message: "c" },
    { line: 2, column: 9, message: "b2" },
    { line: 2, column: 1, message: "b1" },
    { message: "d" },
    { line: 1, column: 5, message: "a" },
  ]);
  deepStrictEqual(sorted.map((i) => i.message), ["a", "b1", "b2", "c", "d"]);
});

Deno.test("describeValue: short, and no value when it may be secret", () => {
  strictEqual(describeValue("five"), '"five"');
  strictEqual(describeValue(5), "5");
  strictEqual(describeValue(null), "null (an empty value)");
  strictEqual(describeValue([1]), "a list");
  strictEqual(describeValue({}), "a mapping");
  strictEqual(describeValue(new Date(0)), "a date");
  strictEqual(describeValue("ghp_secret", true), "a string");
  strictEqual(describeValue(12345, true), "a number");
  strictEqual(describeValue("x".repeat(100)), `"${"x".repeat(60)}…"`);
});
