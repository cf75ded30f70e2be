import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
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
  assertStrictEquals(
    formatIssue({ file: "c.yaml", line: 12, column: 5, keyPath: "servers.a", message: "m" }),
    "c.yaml:12:5 servers.a: m",
  );
  assertStrictEquals(
    formatIssue({ file: "c.toml", keyPath: "servers.a", message: "m" }),
    "c.toml servers.a: m",
  );
  assertStrictEquals(
    formatIssue({ file: "c.yaml", line: 3, column: 1, message: "m" }),
    "c.yaml:3:1: m",
  );
  assertStrictEquals(formatIssue({ file: "c.yaml", message: "m" }), "c.yaml: m");
  assertStrictEquals(formatIssue({ message: "m" }), "m");
});

Deno.test("ConfigError: one issue is the message; several get a heading", () => {
  const one = new ConfigError([{ file: "c.yaml", message: "bad" }]);
  assertStrictEquals(one.message, "c.yaml: bad");
  assertStrictEquals(one.name, "ConfigError");
  assert(one instanceof Error);
  const two = new ConfigError([{ file: "c.yaml", message: "a" }, { file: "c.yaml", message: "b" }]);
  assertStrictEquals(two.message, "2 problems in c.yaml:\nc.yaml: a\nc.yaml: b");
  assertStrictEquals(two.issues.length, 2);
});

Deno.test("keyPathOf: dots for words, brackets for indexes and odd names", () => {
  assertStrictEquals(keyPathOf(["servers", "github", "args", 2]), "servers.github.args[2]");
  assertStrictEquals(keyPathOf(["servers", "my.svc", "socket"]), 'servers["my.svc"].socket');
  assertStrictEquals(keyPathOf(["$schema"]), "$schema");
  assertStrictEquals(keyPathOf([]), "");
});

Deno.test("suggestKey: same letters ignoring case and separators, else within 2 edits", () => {
  const known = ["socket", "max_restarts", "max_active_clients", "lazy_start", "log_level"];
  assertStrictEquals(suggestKey("maxRestarts", known), "max_restarts");
  assertStrictEquals(suggestKey("max-active-clients", known), "max_active_clients");
  assertStrictEquals(suggestKey("sockte", known), "socket");
  assertStrictEquals(suggestKey("max_restart", known), "max_restarts");
  assertStrictEquals(suggestKey("LOG_LEVEL", known), "log_level");
  assertStrictEquals(suggestKey("colour", known), undefined);
});

Deno.test("editDistance: Levenshtein", () => {
  assertStrictEquals(editDistance("", ""), 0);
  assertStrictEquals(editDistance("abc", ""), 3);
  assertStrictEquals(editDistance("kitten", "sitting"), 3);
  assertStrictEquals(editDistance("socket", "sockte"), 2);
});

Deno.test("sortIssues: by line and column; unpositioned issues last, in order", () => {
  const sorted = sortIssues([
    { message: "c" },
    { line: 2, column: 9, message: "b2" },
    { line: 2, column: 1, message: "b1" },
    { message: "d" },
    { line: 1, column: 5, message: "a" },
  ]);
  assertEquals(sorted.map((i) => i.message), ["a", "b1", "b2", "c", "d"]);
});

Deno.test("describeValue: short, and no value when it may be secret", () => {
  assertStrictEquals(describeValue("five"), '"five"');
  assertStrictEquals(describeValue(5), "5");
  assertStrictEquals(describeValue(null), "null (an empty value)");
  assertStrictEquals(describeValue([1]), "a list");
  assertStrictEquals(describeValue({}), "a mapping");
  assertStrictEquals(describeValue(new Date(0)), "a date");
  assertStrictEquals(describeValue("ghp_secret", true), "a string");
  assertStrictEquals(describeValue(12345, true), "a number");
  assertStrictEquals(describeValue("x".repeat(100)), `"${"x".repeat(60)}…"`);
});
