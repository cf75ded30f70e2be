import { assertEquals } from "../_helpers/assert.ts";
import { translateRustArgs } from "../../src/cli/rust_compat.ts";

Deno.test("rust compat: old flags and commands become the new ones, with a notice", () => {
  const t = (args: string[], program = "rmcp-mux") => translateRustArgs(args, program);
  assertEquals(
    t(["--socket", "/s", "--cmd", "npx", "--tray", "--heartbeat-interval-ms", "5", "--", "--tray"])
      .args,
    [
      "--socket",
      "/s",
      "--cmd",
      "npx",
      "--",
      "--tray",
    ],
  );
  assertEquals(t(["--tray"]).notices.length, 1);
  // The heartbeat flags that mean something here pass through; the interval is dropped.
  assertEquals(
    t(["--heartbeat-timeout-ms", "9", "--heartbeat-enabled", "true", "--heartbeat-interval-ms=3"]),
    {
      args: ["--heartbeat-timeout-ms", "9", "--heartbeat-enabled", "true"],
      notices: [
        "--heartbeat-interval-ms ignored: the liveness probe pings only a server that has " +
        "requests in flight and has been silent for --heartbeat-timeout-ms",
      ],
    },
  );
  assertEquals(t(["--config", "c.json", "--show-status"]).args, ["status", "--config", "c.json"]);
  assertEquals(t(["--config", "c.json", "--restart-service", "gh"]).args, [
    "restart",
    "gh",
    "--config",
    "c.json",
  ]);
  assertEquals(t(["daemon-status", "--socket", "/d.sock", "--json"]).args, [
    "status",
    "--json",
    "--control",
    "/d.sock",
  ]);
  assertEquals(t(["--socket", "/s"], "rmcp-mux-proxy").args, ["proxy", "--socket", "/s"]);
  assertEquals(t(["--socket", "/s"], "rmcp_mux_proxy").args, ["proxy", "--socket", "/s"]);
  assertEquals(t(["scan", "--tray"]).args, ["scan", "--tray"]);
  // The tray dashboard's status socket is the control socket of the web dashboard.
  assertEquals(t(["dashboard", "--socket", "/d.sock"]).args, ["dashboard", "--control", "/d.sock"]);
  assertEquals(t(["dashboard", "--open"]), { args: ["dashboard", "--open"], notices: [] });
});
