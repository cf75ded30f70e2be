import { assertStrictEquals } from "../_helpers/assert.ts";
import { defaultConfigPath } from "../../src/config/default_path.ts";

Deno.test("defaultConfigPath: $XDG_CONFIG_HOME/rmcp-mux/config.yaml", () => {
  assertStrictEquals(
    defaultConfigPath({ XDG_CONFIG_HOME: "/cfg" }, "/home/ada"),
    "/cfg/rmcp-mux/config.yaml",
  );
  assertStrictEquals(
    defaultConfigPath({ XDG_CONFIG_HOME: "/cfg/" }, "/home/ada"),
    "/cfg/rmcp-mux/config.yaml",
  );
});

Deno.test("defaultConfigPath: else ~/.config/rmcp-mux/config.yaml", () => {
  assertStrictEquals(defaultConfigPath({}, "/home/ada"), "/home/ada/.config/rmcp-mux/config.yaml");
  assertStrictEquals(
    defaultConfigPath({ XDG_CONFIG_HOME: "" }, "/home/ada"),
    "/home/ada/.config/rmcp-mux/config.yaml",
  );
  // The XDG spec says a relative path is to be ignored.
  assertStrictEquals(
    defaultConfigPath({ XDG_CONFIG_HOME: "cfg" }, "/home/ada"),
    "/home/ada/.config/rmcp-mux/config.yaml",
  );
  assertStrictEquals(defaultConfigPath({}, "/home/ada/"), "/home/ada/.config/rmcp-mux/config.yaml");
});
