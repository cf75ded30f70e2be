/** Choosing the isolation mode (`mode.ts`), summing up processes (`pool_status.ts`), roots keys. */

import { decideBeforeStart, decideFromServer, describeSpan } from "../../src/isolation/mode.ts";
import { NO_ROOTS, rootsKey } from "../../src/isolation/pool.ts";
import { summarize } from "../../src/isolation/pool_status.ts";
import { assertEquals } from "../_helpers/assert.ts";

Deno.test("mode: the configuration, else the known-servers table, else the server's own wish, else shared", () => {
  const fs = ["-y", "@modelcontextprotocol/server-filesystem"];
  assertEquals(decideBeforeStart("client", "npx", fs)?.source, "config");
  assertEquals(decideBeforeStart(undefined, "npx", fs)?.mode, "roots");
  assertEquals(decideBeforeStart(undefined, "npx", fs)?.source, "known");
  assertEquals(decideBeforeStart(undefined, "my-server", []), undefined);
  const wish = (mode: unknown) => ({
    capabilities: { experimental: { "io.github.rmcp-mux/isolation": { mode } } },
  });
  assertEquals(decideFromServer(wish("roots")).mode, "roots");
  assertEquals(decideFromServer(wish("roots")).source, "server");
  assertEquals(decideFromServer(wish("per-user")).mode, "shared", "an unknown wish is ignored");
  assertEquals(decideFromServer({ capabilities: {} }).source, "default");
  assertEquals(decideFromServer(null).mode, "shared");
});

Deno.test("roots keys: the same set of roots in any order is one key; none is 'no roots'", () => {
  const r = (...uris: string[]) => uris.map((uri) => ({ uri }));
  assertEquals(
    rootsKey(r("file:///b", "file:///a")),
    rootsKey(r("file:///a", "file:///b", "file:///a")),
  );
  assertEquals(rootsKey(r("file:///a", "file:///b")), "file:///a file:///b");
  assertEquals(rootsKey([]), NO_ROOTS);
});

Deno.test("a service's state is its worst process's; several processes give no single pid", () => {
  assertEquals(summarize([]), { phase: "idle" });
  assertEquals(summarize([], "stopped after 10 min without clients"), {
    phase: "idle",
    reason: "stopped after 10 min without clients",
  });
  assertEquals(summarize([{ phase: "running", pid: 7 }]), { phase: "running", pid: 7 });
  assertEquals(
    summarize([
      { phase: "running", pid: 7 },
      { phase: "unresponsive", pid: 8, reason: "no answer" },
      { phase: "starting", pid: 9 },
    ]),
    { phase: "unresponsive", reason: "no answer" },
  );
  assertEquals(summarize([{ phase: "idle" }, { phase: "failed", reason: "x" }]).phase, "failed");
  assertEquals([describeSpan(600_000), describeSpan(90_000), describeSpan(300)], [
    "10 min",
    "90 s",
    "300 ms",
  ]);
});
