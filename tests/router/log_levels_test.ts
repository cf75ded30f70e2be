import { assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { isMcpLogLevel, LevelTable, MCP_LOG_LEVELS } from "../../src/router/log_levels.ts";

Deno.test("MCP_LOG_LEVELS lists the RFC 5424 levels, most verbose first", () => {
  assertEquals([...MCP_LOG_LEVELS], [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
  ]);
});

Deno.test("isMcpLogLevel accepts exactly the MCP level names", () => {
  for (const level of MCP_LOG_LEVELS) assertStrictEquals(isMcpLogLevel(level), true, level);
  for (const value of ["DEBUG", "warn", "trace", "", " info", undefined, null, 3, {}]) {
    assertStrictEquals(isMcpLogLevel(value), false, String(value));
  }
});

Deno.test("the first client's level becomes the upstream level", () => {
  const table = new LevelTable<string>();
  assertStrictEquals(table.effective(), undefined);
  assertStrictEquals(table.set("a", "warning"), "warning");
  assertStrictEquals(table.effective(), "warning");
  assertStrictEquals(table.get("a"), "warning");
});

Deno.test("a more verbose level from another client changes the upstream level", () => {
  const table = new LevelTable<string>();
  table.set("a", "warning");
  assertStrictEquals(table.set("b", "debug"), "debug");
  assertStrictEquals(table.effective(), "debug");
});

Deno.test("a less verbose level from another client leaves the upstream alone", () => {
  const table = new LevelTable<string>();
  table.set("a", "info");
  assertStrictEquals(table.set("b", "error"), undefined);
  assertStrictEquals(table.effective(), "info");
  assertStrictEquals(table.get("b"), "error");
});

Deno.test("setting the same level again does not touch the upstream", () => {
  const table = new LevelTable<string>();
  table.set("a", "info");
  assertStrictEquals(table.set("a", "info"), undefined);
  assertStrictEquals(table.set("b", "info"), undefined);
});

Deno.test("the most verbose client turning quieter lowers the upstream to the next most verbose", () => {
  const table = new LevelTable<string>();
  table.set("a", "debug");
  table.set("b", "notice");
  assertStrictEquals(table.set("a", "error"), "notice");
  assertStrictEquals(table.effective(), "notice");
});

Deno.test("a quieter client turning quieter still does not touch the upstream", () => {
  const table = new LevelTable<string>();
  table.set("a", "debug");
  table.set("b", "notice");
  assertStrictEquals(table.set("b", "emergency"), undefined);
  assertStrictEquals(table.effective(), "debug");
});

Deno.test("removing the most verbose client returns the new upstream level", () => {
  const table = new LevelTable<string>();
  table.set("a", "debug");
  table.set("b", "warning");
  assertStrictEquals(table.remove("a"), "warning");
  assertStrictEquals(table.effective(), "warning");
  assertStrictEquals(table.get("a"), undefined);
});

Deno.test("removing a quieter client does not touch the upstream", () => {
  const table = new LevelTable<string>();
  table.set("a", "debug");
  table.set("b", "warning");
  assertStrictEquals(table.remove("b"), undefined);
  assertStrictEquals(table.effective(), "debug");
});

Deno.test("removing the last client with a level asks for no upstream change", () => {
  const table = new LevelTable<string>();
  table.set("a", "info");
  assertStrictEquals(table.remove("a"), undefined);
  assertStrictEquals(table.effective(), undefined);
});

Deno.test("removing a client that never set a level changes nothing", () => {
  const table = new LevelTable<string>();
  table.set("a", "info");
  assertStrictEquals(table.remove("stranger"), undefined);
  assertStrictEquals(table.effective(), "info");
});

Deno.test("restore puts back the level a client had before a refused set", () => {
  const table = new LevelTable<string>();
  table.set("a", "warning");
  table.set("a", "debug");
  table.restore("a", "warning");
  assertStrictEquals(table.get("a"), "warning");
  assertStrictEquals(table.effective(), "warning");
});

Deno.test("restore to no level forgets a client whose first set was refused", () => {
  const table = new LevelTable<string>();
  table.set("b", "error");
  table.set("a", "debug");
  table.restore("a", undefined);
  assertStrictEquals(table.get("a"), undefined);
  assertStrictEquals(table.effective(), "error");
  // Unfiltered again, as if it had never asked.
  assertStrictEquals(table.accepts("a", "debug"), true);
});

Deno.test("a client sees messages at and above its own level only", () => {
  const table = new LevelTable<string>();
  table.set("a", "warning");
  assertStrictEquals(table.accepts("a", "debug"), false);
  assertStrictEquals(table.accepts("a", "info"), false);
  assertStrictEquals(table.accepts("a", "notice"), false);
  assertStrictEquals(table.accepts("a", "warning"), true);
  assertStrictEquals(table.accepts("a", "error"), true);
  assertStrictEquals(table.accepts("a", "emergency"), true);
});

Deno.test("each client is filtered by its own level, not the upstream's", () => {
  const table = new LevelTable<string>();
  table.set("verbose", "debug");
  table.set("quiet", "error");
  assertStrictEquals(table.accepts("verbose", "debug"), true);
  assertStrictEquals(table.accepts("quiet", "debug"), false);
  assertStrictEquals(table.accepts("quiet", "warning"), false);
  assertStrictEquals(table.accepts("quiet", "critical"), true);
});

Deno.test("a client that never set a level gets every message", () => {
  const table = new LevelTable<string>();
  table.set("other", "emergency");
  for (const level of MCP_LOG_LEVELS) {
    assertStrictEquals(table.accepts("silent", level), true, level);
  }
  assertStrictEquals(table.accepts("silent", "whatever"), true);
});

Deno.test("messages with an unknown level are not filtered away", () => {
  const table = new LevelTable<string>();
  table.set("a", "emergency");
  assertStrictEquals(table.accepts("a", "trace"), true);
  assertStrictEquals(table.accepts("a", "WARNING"), true);
  assertStrictEquals(table.accepts("a", undefined), true);
  assertStrictEquals(table.accepts("a", 7), true);
});
