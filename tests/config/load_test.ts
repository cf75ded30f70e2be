import { assert, assertEquals, assertRejects, assertStrictEquals } from "../_helpers/assert.ts";
import { ConfigError, formatIssue } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";

const EXAMPLE = new URL("../../config.example.yaml", import.meta.url).pathname;

Deno.test("config.example.yaml loads without errors or warnings", async () => {
  const config = await loadConfig(EXAMPLE, {
    env: { HOME: "/home/ada", GITHUB_TOKEN: "ghp_example" },
  });
  assertEquals(config.warnings, []);
  assertEquals(config.services.map((s) => s.name), ["filesystem", "github", "memory"]);
  assertEquals(config.daemon, {
    control: "/home/ada/.rmcp-mux/rmcp-mux.sock",
    logFormat: "text",
    logLevel: "info",
    statusFile: "/home/ada/.rmcp-mux/status.json",
    http: {
      listen: "127.0.0.1:7300",
      auth: "token",
      allowRemote: false,
      sessionIdleMs: 1_800_000,
      maxSessions: 1024,
      maxRequests: 1024,
      tokenFile: "/home/ada/.local/state/rmcp-mux/http.token",
    },
  });
  const github = config.services.find((s) => s.name === "github")!;
  assertStrictEquals(github.options.env?.GITHUB_PERSONAL_ACCESS_TOKEN, "ghp_example");
  assertStrictEquals(github.options.socket, "/home/ada/.rmcp-mux/github.sock");
  const withRuntimeDir = await loadConfig(EXAMPLE, {
    env: { HOME: "/home/ada", GITHUB_TOKEN: "x", XDG_RUNTIME_DIR: "/run/user/1000" },
  });
  assertStrictEquals(withRuntimeDir.daemon.control, "/run/user/1000/rmcp-mux.sock");
});

Deno.test("config.example.yaml without GITHUB_TOKEN names the variable", async () => {
  await assertRejects(loadConfig(EXAMPLE, { env: { HOME: "/home/ada" } }), (error: unknown) => {
    assert(error instanceof ConfigError);
    assertEquals(error.issues.map((i) => i.message), [
      "environment variable GITHUB_TOKEN is not set (write ${GITHUB_TOKEN:-default} for a fallback)",
    ]);
    return true;
  });
});

Deno.test("loadConfig: a missing file is a ConfigError whose cause is NotFound", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(loadConfig(`${dir}/nope.yaml`), (error: unknown) => {
      assert(error instanceof ConfigError);
      assert(error.cause instanceof Deno.errors.NotFound);
      assertStrictEquals(
        error.message,
        `${dir}/nope.yaml: cannot read the config file: no such file`,
      );
      return true;
    });
    await Deno.mkdir(`${dir}/dir.yaml`);
    await assertRejects(loadConfig(`${dir}/dir.yaml`), (error: unknown) => {
      assert(error instanceof ConfigError);
      assertStrictEquals(
        error.message,
        `${dir}/dir.yaml: cannot read the config file: it is a directory`,
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig: an unsupported extension is refused before reading", async () => {
  await assertRejects(loadConfig("/nonexistent/config.ini"), (error: unknown) => {
    assert(error instanceof ConfigError);
    assertStrictEquals(error.cause, undefined);
    assertStrictEquals(
      formatIssue(error.issues[0]!),
      '/nonexistent/config.ini: unsupported config file type ".ini": expected .yaml, .yml, ' +
        ".json, .toml",
    );
    return true;
  });
});

Deno.test("loadConfig: JSON and TOML files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/mcp.json`,
      JSON.stringify({ servers: { m: { socket: "~/m.sock", cmd: "m", tray: false } } }),
    );
    const json = await loadConfig(`${dir}/mcp.json`, { env: { HOME: "/h" } });
    assertStrictEquals(json.services[0]?.options.socket, "/h/m.sock");
    assertStrictEquals(json.warnings.length, 1);

    await Deno.writeTextFile(`${dir}/mux.toml`, '[servers.t]\nsocket = "/t.sock"\ncmd = "t a"\n');
    const toml = await loadConfig(`${dir}/mux.toml`, { env: {} });
    assertEquals([toml.services[0]?.options.cmd, toml.services[0]?.options.args], ["t", ["a"]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
