import { assertEquals } from "../_helpers/assert.ts";
import { resolveOptions } from "../../src/config/options.ts";
import { applyModeOf, changedSettings } from "../../src/server/live_settings.ts";

const base = resolveOptions({ socket: "/run/x/svc.sock", cmd: "server", args: ["a"] });

Deno.test("limits, timeouts, the cancel grace, client counts and the status file apply live", () => {
  const next = resolveOptions({
    ...base,
    maxActiveClients: 3,
    requestTimeoutMs: 1,
    clientWaitMs: 5,
    statusFile: "/tmp/s.json",
    serialize: true,
    lazyStart: true,
    cancelGraceMs: 0,
  });
  const changed = changedSettings(base, next);
  assertEquals(changed, [
    "cancelGraceMs",
    "clientWaitMs",
    "lazyStart",
    "maxActiveClients",
    "requestTimeoutMs",
    "serialize",
    "statusFile",
  ]);
  assertEquals(applyModeOf(changed), "live");
});

Deno.test("command, arguments, environment and cwd restart the process; the socket recreates", () => {
  for (const change of [{ cmd: "other" }, { args: ["b"] }, { env: { A: "1" } }, { cwd: "/tmp" }]) {
    assertEquals(
      applyModeOf(changedSettings(base, resolveOptions({ ...base, ...change }))),
      "restart",
    );
  }
  const moved = resolveOptions({ ...base, socket: "/run/x/moved.sock", serviceName: "svc" });
  assertEquals(changedSettings(base, moved), ["socket"]);
  assertEquals(applyModeOf(["socket", "args"]), "recreate");
  assertEquals(applyModeOf([]), "unchanged");
  // Key order in env does not count as a change.
  const a = resolveOptions({ ...base, env: { A: "1", B: "2" } });
  const b = resolveOptions({ ...base, env: { B: "2", A: "1" } });
  assertEquals(changedSettings(a, b), []);
});
