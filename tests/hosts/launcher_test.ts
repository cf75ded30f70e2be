import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { findLauncher, NoLauncher } from "../../src/hosts/launcher.ts";
import { inPackageCache } from "../../src/paths/self_command.ts";

const base = {
  mainModule: "file:///src/rmcp-mux/main.ts",
  mainTs: "/src/rmcp-mux/main.ts",
  execPath: "/home/u/.npm/_npx/1/node_modules/deno/deno",
};

Deno.test("launcher: the installed rmcp-mux, else Deno outside a cache, never an npx cache path", () => {
  const exe = (paths: string[]) => (p: string) => paths.includes(p);
  assertEquals(
    findLauncher({
      ...base,
      PATH: "/usr/local/bin:/usr/bin",
      isExecutable: exe(["/usr/local/bin/rmcp-mux", "/usr/bin/deno"]),
    }),
    { command: "/usr/local/bin/rmcp-mux", prefix: [] },
  );
  assertEquals(
    findLauncher({
      ...base,
      PATH: "/usr/local/bin:/usr/bin",
      isExecutable: exe(["/usr/bin/deno"]),
    }),
    { command: "/usr/bin/deno", prefix: ["run", "-A", "--quiet", "/src/rmcp-mux/main.ts"] },
  );
  assertThrows(
    () =>
      findLauncher({
        ...base,
        PATH: "/home/u/.npm/_npx/1/node_modules/.bin",
        isExecutable: () => true,
      }),
    NoLauncher,
  );
  // Run under `npx -y deno@…`: npx's cache .bin comes first in PATH; the deno after it is used.
  assertEquals(
    findLauncher({
      ...base,
      PATH: "/home/u/.npm/_npx/1/node_modules/.bin:/usr/local/bin",
      isExecutable: exe(["/home/u/.npm/_npx/1/node_modules/.bin/deno", "/usr/local/bin/deno"]),
    }),
    { command: "/usr/local/bin/deno", prefix: ["run", "-A", "--quiet", "/src/rmcp-mux/main.ts"] },
  );
  // A compiled binary is its own launcher.
  assertEquals(
    findLauncher({
      ...base,
      mainModule: "file:///tmp/deno-compile-rmcp-mux/main.ts",
      execPath: "/opt/bin/rmcp-mux",
      PATH: "",
      isExecutable: () => false,
    }),
    { command: "/opt/bin/rmcp-mux", prefix: [] },
  );
  assertEquals(inPackageCache("/home/u/.cache/deno/npm/x"), true);
  assertEquals(inPackageCache("/usr/lib/node_modules/deno/deno"), false);
});
