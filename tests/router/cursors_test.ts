import { deepStrictEqual, match, notStrictEqual, strictEqual } from "node:assert/strict";
import { PAGINATED_METHODS, unwrapCursor, wrapCursor } from "../../src/router/cursors.ts";

Deno.test("a wrapped cursor unwraps to the server's cursor in the same generation", () => {
  const wrapped = wrapCursor(3, "page-2");
  notStrictEqual(wrapped, "page-2");
  deepStrictEqual(unwrapCursor(3, wrapped), { ok: true, cursor: "page-2" });
});

Deno.test("server cursors of any shape survive the round trip unchanged", () => {
  const cursors = [
    "",
    "a:b:c",
    "12:34",
    ":",
    "rmcp-mux:1:nested",
    "line one\nline two\r\n",
    "\n",
    "eyJvZmZzZXQiOjEwfQ==",
    "ünïcødé ✓",
  ];
  for (const cursor of cursors) {
    for (const generation of [0, 1, 42, 1_000_000]) {
      deepStrictEqual(
        unwrapCursor(generation, wrapCursor(generation, cursor)),
        { ok: true, cursor },
        JSON.stringify({ generation, cursor }),
      );
    }
  }
});

Deno.test("different generations give different client cursors for the same server cursor", () => {
  notStrictEqual(wrapCursor(1, "x"), wrapCursor(2, "x"));
});

Deno.test("a cursor from before a server restart is refused with a reason saying so", () => {
  const result = unwrapCursor(2, wrapCursor(1, "page-2"));
  strictEqual(result.ok, false);
  if (result.ok) return;
  match(result.reason, /restart/);
});

Deno.test("a cursor from a later generation is refused too", () => {
  const result = unwrapCursor(1, wrapCursor(2, "page-2"));
  strictEqual(result.ok, false);
});

Deno.test("a cursor the mux did not issue is refused", () => {
  for (
    const cursor of ["page-2", "", "rmcp-mux:", "rmcp-mux:x:page", "other:1:page", " rmcp-mux:1:p"]
  ) {
    const result = unwrapCursor(1, cursor);
    strictEqual(result.ok, false, cursor);
    if (result.ok) continue;
    strictEqual(typeof result.reason, "string");
    notStrictEqual(result.reason, "");
    // A foreign cursor is not mistaken for one from an earlier process.
    strictEqual(/restart/.test(result.reason), false, cursor);
  }
});

Deno.test("a cursor that is not a string is refused", () => {
  for (const cursor of [undefined, null, 7, { cursor: "x" }, ["rmcp-mux:1:x"]]) {
    const result = unwrapCursor(1, cursor);
    strictEqual(result.ok, false, String(cursor));
    if (result.ok) continue;
    match(result.reason, /string/);
  }
});

Deno.test("PAGINATED_METHODS are exactly the MCP list methods", () => {
  deepStrictEqual(
    [...PAGINATED_METHODS].sort(),
    ["prompts/list", "resources/list", "resources/templates/list", "tasks/list", "tools/list"],
  );
  strictEqual(PAGINATED_METHODS.has("tools/call"), false);
  strictEqual(PAGINATED_METHODS.has("roots/list"), false);
});
