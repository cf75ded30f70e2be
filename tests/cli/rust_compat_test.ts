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
