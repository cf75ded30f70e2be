import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { runtimeDir, stateDir } from "../../src/paths/dirs.ts";

Deno.test("runtime files go under XDG_RUNTIME_DIR, else under ~/.rmcp-mux/run", () => {
  assertEquals(runtimeDir({ XDG_RUNTIME_DIR: "/run/user/7/", HOME: "/h" }), "/run/user/7/rmcp-mux");
  assertEquals(runtimeDir({ XDG_RUNTIME_DIR: "relative", HOME: "/h" }), "/h/.rmcp-mux/run");
  assertEquals(runtimeDir({ HOME: "/h/" }), "/h/.rmcp-mux/run");
});

Deno.test("state goes under XDG_STATE_HOME, else under ~/.local/state", () => {
  assertEquals(stateDir({ XDG_STATE_HOME: "/s", HOME: "/h" }), "/s/rmcp-mux");
  assertEquals(stateDir({ HOME: "/h" }), "/h/.local/state/rmcp-mux");
});

Deno.test("no usable HOME and no XDG variable is a clear error", () => {
  assertThrows(() => stateDir({}), /HOME is not set/);
  assertThrows(() => runtimeDir({ HOME: "rel" }), /HOME is not set/);
});
