import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { NotShareable, serviceDefOf, toMuxSyntax } from "../../src/hosts/translate.ts";

Deno.test("translate: each host's variables become the mux config's", () => {
  assertEquals(toMuxSyntax("${A} ${B:-x$y} $C $", "claude", {}), "${A} ${B:-x$$y} $$C $$");
  assertEquals(toMuxSyntax("$A-${B}", "dollar", {}), "${A}-${B}");
  assertEquals(
    toMuxSyntax("${env:T} ${userHome}/${workspaceFolder}", "env-colon", { project: "/p" }),
    "${T} ${HOME}//p",
  );
  assertEquals(toMuxSyntax("${X} $5", "none", {}), "$${X} $$5");
  assertThrows(() => toMuxSyntax("${input:key}", "env-colon", {}), NotShareable);
  assertThrows(() => toMuxSyntax("${workspaceFolder}", "env-colon", {}), NotShareable);
});

Deno.test("translate: project entries run in their project directory", () => {
  const def = serviceDefOf({ command: "node", args: ["./s.js"], env: {} }, "claude", {
    project: "/src/a",
  });
  assertEquals(def, { cmd: "node", args: ["./s.js"], env: {}, cwd: "/src/a" });
});
