import { strictEqual } from "node:assert/strict";
import { defaultConfigPath } from "../../src/config/default_path.ts";

Deno.test("defaultConfigPath: $XDG_CONFIG_HOME/rmcp-mux/config.yaml", () => {
  strictEqual(
    defaultConfigPath({ XDG_CONFIG_HOME: "/cfg" }, "/home/ada"),
    "/cfg/rmcp-mux/config.yaml",
  );
  strictEqual(
    defaultConfigPath({ XDG_CONFIG_HOME: "/cfg/" }, "/home/ada"),
    "/cfg/rmcp-mux/config.yaml",
  );
});

Deno.test("defaultConfigPath: else ~/.config/rmcp-mux/config.yaml", () => {
  strictEqual(defaultConfigPath({}, "/home/ada"), "/home/ada/.config/rmcp-mux/config.yaml");
  strictEqual(
    defaultConfigPath({ XDG_CONFIG_HOME: "" }, "/home/ada"),
    "/home/ada/.config/rmcp-mux/config.yaml",
  );
  // The XDG spec says a relative path is to be ignored.
  strictEqual(
    defaultConfigPath({ XDG_CONFIG_HOME: "cfg" }, "/home/ada"),
    "/home/ada/.config/rmcp-mux/config.yaml",
  );
  strictEqual(defaultConfigPath({}, "/home/ada/"), "/home/ada/.config/rmcp-mux/config.yaml");
});
