import {
  assert,
  assertEquals,
  assertMatch,
  assertNotStrictEquals,
  assertStrictEquals,
} from "../_helpers/assert.ts";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { readyHarness } from "../_helpers/router_harness.ts";
import { PAGINATED_METHODS, unwrapCursor, wrapCursor } from "../../src/router/cursors.ts";

Deno.test("a wrapped cursor unwraps to the server's cursor in the same generation", () => {
  const wrapped = wrapCursor(3, "page-2");
  assertNotStrictEquals(wrapped, "page-2");
  assertEquals(unwrapCursor(3, wrapped), { ok: true, cursor: "page-2" });
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
      assertEquals(
        unwrapCursor(generation, wrapCursor(generation, cursor)),
        { ok: true, cursor },
        JSON.stringify({ generation, cursor }),
      );
    }
  }
});

Deno.test("different generations give different client cursors for the same server cursor", () => {
  assertNotStrictEquals(wrapCursor(1, "x"), wrapCursor(2, "x"));
});

Deno.test("a cursor from before a server restart is refused with a reason saying so", () => {
  const result = unwrapCursor(2, wrapCursor(1, "page-2"));
  assertStrictEquals(result.ok, false);
  if (result.ok) return;
  assertMatch(result.reason, /restart/);
});

Deno.test("a cursor from a later generation is refused too", () => {
  const result = unwrapCursor(1, wrapCursor(2, "page-2"));
  assertStrictEquals(result.ok, false);
});

Deno.test("a cursor the mux did not issue is refused", () => {
  for (
    const cursor of ["page-2", "", "rmcp-mux:", "rmcp-mux:x:page", "other:1:page", " rmcp-mux:1:p"]
  ) {
    const result = unwrapCursor(1, cursor);
    assertStrictEquals(result.ok, false, cursor);
    if (result.ok) continue;
    assertStrictEquals(typeof result.reason, "string");
    assertNotStrictEquals(result.reason, "");
    // A foreign cursor is not mistaken for one from an earlier process.
    assertStrictEquals(/restart/.test(result.reason), false, cursor);
  }
});

Deno.test("a cursor that is not a string is refused", () => {
  for (const cursor of [undefined, null, 7, { cursor: "x" }, ["rmcp-mux:1:x"]]) {
    const result = unwrapCursor(1, cursor);
    assertStrictEquals(result.ok, false, String(cursor));
    if (result.ok) continue;
    assertMatch(result.reason, /string/);
  }
});

Deno.test("PAGINATED_METHODS are exactly the MCP list methods", () => {
  assertEquals(
    [...PAGINATED_METHODS].sort(),
    ["prompts/list", "resources/list", "resources/templates/list", "tasks/list", "tools/list"],
  );
  assertStrictEquals(PAGINATED_METHODS.has("tools/call"), false);
  assertStrictEquals(PAGINATED_METHODS.has("roots/list"), false);
});

// ── Through the router ───────────────────────────────────────────────────

Deno.test("cursors: passed through within a process, refused (-32602) after a restart", async () => {
  using h = readyHarness();
  const c = h.client();
  h.initClient(c);
  h.fromClient(c, { jsonrpc: "2.0", id: 1, method: "tasks/list" });
  const [list] = h.upstream.take();
  h.fromServer({ jsonrpc: "2.0", id: list.id, result: { tasks: [], nextCursor: "page2" } });
  const cursor = c.answer(1).result.nextCursor;
  assert(cursor !== "page2", "the cursor is tagged with the process it came from");
  h.fromClient(c, { jsonrpc: "2.0", id: 2, method: "tasks/list", params: { cursor } });
  assertEquals(h.upstream.take()[0].params.cursor, "page2");
  h.router.detachUpstream("exit code 1");
  h.router.attachUpstream(h.upstream);
  h.answerInit();
  h.fromClient(c, { jsonrpc: "2.0", id: 3, method: "tasks/list", params: { cursor } });
  const stale = c.answer(3);
  assertEquals(stale.error.code, ErrorCode.InvalidParams);
  assert(stale.error.message.includes("before the server restarted"));
  await Promise.resolve();
});
