import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { isMcpLogLevel, LevelTable, MCP_LOG_LEVELS } from "../../src/router/log_levels.ts";

Deno.test("MCP_LOG_LEVELS lists the RFC 5424 levels, most verbose first", () => {
  deepStrictEqual([...MCP_LOG_LEVELS], [
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
  for (const level of MCP_LOG_LEVELS) strictEqual(isMcpLogLevel(level), true, level);
  for (const value of ["DEBUG", "warn", "trace", "", " info", undefined, null, 3, {}]) {
    strictEqual(isMcpLogLevel(value), false, String(value));
  }
});

Deno.test("the first client's level becomes the upstream level", () => {
  const table = new LevelTable<string>();
  strictEqual(table.effective(), undefined);
  strictEqual(table.set("a", "warning"), "warning");
  strictEqual(table.effective(), "warning");
  strictEqual(table.get("a"), "warning");
});

Deno.test("a more verbose level from another client changes the upstream level", () => {
  const table = new LevelTable<string>();
  table.set("a", "warning");
  strictEqual(table.set("b", "debug"), "debug");
  strictEqual(table.effective(), "debug");
});

Deno.test("a less verbose level from another client leaves the upstream alone", () => {
  const table = new LevelTable<string>();
  table.set("a", "info");
  strictEqual(table.set("b", "error"), undefined);
  strictEqual(table.effective(), "info");
  strictEqual(table.get("b"), "error");
});

Deno.test("setting the same level again does not touch the upstream", () => {
  const table = new LevelTable<string>();
  table.set("a", "info");
  strictEqual(table.set("a", "info"), undefined);
  strictEqual(table.set("b", "info"), undefined);
});

Deno.test("the most verbose client turning quieter lowers the upstream to the next most verbose", () => {
  const table = new LevelTable<string>();
  table.set("a", "debug");
  table.set("b", "notice");
  strictEqual(table.set("a", "error"), "notice");
  strictEqual(table.effective(), "notice");
});

Deno.test("a quieter client turning quieter still does not touch the upstream", () => {
  const table = new LevelTable<string>();
  table.set("a", "debug");
  table.set("b", "notice");
  strictEqual(table.set("b", "emergency"), undefined);
  strictEqual(table.effective(), "debug");
});

Deno.test("removing the most verbose client returns the new upstream level", () => {
  const table = new LevelTable<string>();
  table.set("a", "debug");
  table.set("b", "warning");
  strictEqual(table.remove("a"), "warning");
  strictEqual(table.effective(), "warning");
  strictEqual(table.get("a"), undefined);
});

Deno.test("removing a quieter client does not touch the upstream", () => {
  const table = new LevelTable<string>();
  table.set("a", "debug");
  table.set("b", "warning");
  strictEqual(table.remove("b"), undefined);
  strictEqual(table.effective(), "debug");
});

Deno.test("removing the last client with a level asks for no upstream change", () => {
  const table = new LevelTable<string>();
  table.set("a", "info");
  strictEqual(table.remove("a"), undefined);
  strictEqual(table.effective(), undefined);
});

Deno.test("removing a client that never set a level changes nothing", () => {
  const table = new LevelTable<string>();
  table.set("a", "info");
  strictEqual(table.remove("stranger"), undefined);
  strictEqual(table.effective(), "info");
});

Deno.test("restore puts back the level a client had before a refused set", () => {
  const table = new LevelTable<string>();
  table.set("a", "warning");
  table.set("a", "debug");
  table.restore("a", "warning");
  strictEqual(table.get("a"), "warning");
  strictEqual(table.effective(), "warning");
});

Deno.test("restore to no level forgets a client whose first set was refused", () => {
  const table = new LevelTable<string>();
  table.set("b", "error");
  table.set("a", "debug");
  table.restore("a", undefined);
  strictEqual(table.get("a"), undefined);
  strictEqual(table.effective(), "error");
  // Unfiltered again, as if it had never asked.
  strictEqual(table.accepts("a", "debug"), true);
});

Deno.test("a client sees messages at and above its own level only", () => {
  const table = new LevelTable<string>();
  table.set("a", "warning");
  strictEqual(table.accepts("a", "debug"), false);
  strictEqual(table.accepts("a", "info"), false);
  strictEqual(table.accepts("a", "notice"), false);
  strictEqual(table.accepts("a", "warning"), true);
  strictEqual(table.accepts("a", "error"), true);
  strictEqual(table.accepts("a", "emergency"), true);
});

Deno.test("each client is filtered by its own level, not the upstream's", () => {
  const table = new LevelTable<string>();
  table.set("verbose", "debug");
  table.set("quiet", "error");
  strictEqual(table.accepts("verbose", "debug"), true);
  strictEqual(table.accepts("quiet", "debug"), false);
  strictEqual(table.accepts("quiet", "warning"), false);
  strictEqual(table.accepts("quiet", "critical"), true);
});

Deno.test("a client that never set a level gets every message", () => {
  const table = new LevelTable<string>();
  table.set("other", "emergency");
  for (const level of MCP_LOG_LEVELS) strictEqual(table.accepts("silent", level), true, level);
  strictEqual(table.accepts("silent", "whatever"), true);
});

Deno.test("messages with an unknown level are not filtered away", () => {
  const table = new LevelTable<string>();
  table.set("a", "emergency");
  strictEqual(table.accepts("a", "trace"), true);
  strictEqual(table.accepts("a", "WARNING"), true);
  strictEqual(table.accepts("a", undefined), true);
  strictEqual(table.accepts("a", 7), true);
});
