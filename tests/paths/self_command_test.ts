import { assertEquals, assertMatch } from "../_helpers/assert.ts";
import { demoText } from "../../src/cli/commands.ts";
import {
  hintCommand,
  inPackageCache,
  selfCommand,
  typedCommand,
} from "../../src/paths/self_command.ts";
import { ROOT } from "../_helpers/mux.ts";
import { tempDir } from "../_helpers/temp.ts";

const NPX_DENO = "/home/me/.npm/_npx/6a1b2c/node_modules/deno/deno";
const MAIN = "file:///home/me/src/rmcp-mux/main.ts";

function only(...files: string[]) {
  return (file: string) => files.includes(file);
}

Deno.test("an installed rmcp-mux on PATH wins", () => {
  const self = selfCommand({
    path: "/home/me/.deno/bin:/usr/bin",
    execPath: NPX_DENO,
    mainUrl: MAIN,
    isExecutable: only("/home/me/.deno/bin/rmcp-mux", "/usr/bin/deno"),
  });
  assertEquals(self, { command: "/home/me/.deno/bin/rmcp-mux", args: [] });
});

Deno.test("from the npx cache: the deno on PATH runs main.ts, never the cached binary", () => {
  const self = selfCommand({
    path: "relative/bin:/usr/local/bin",
    execPath: NPX_DENO,
    mainUrl: MAIN,
    isExecutable: only("/usr/local/bin/deno", "relative/bin/rmcp-mux"),
  });
  assertEquals(self, {
    command: "/usr/local/bin/deno",
    args: ["run", "-A", "/home/me/src/rmcp-mux/main.ts"],
  });
});

Deno.test("under npx -y deno@… (its cache's .bin first in PATH): the deno installed after it", () => {
  // What `npx -y deno@2.9.6 task start` sees: npx's own bin dir, then the user's PATH.
  const self = selfCommand({
    path: "/home/me/.npm/_npx/6a1b2c/node_modules/.bin:/usr/local/bin:/usr/bin",
    execPath: NPX_DENO,
    mainUrl: MAIN,
    isExecutable: only(
      "/home/me/.npm/_npx/6a1b2c/node_modules/.bin/deno",
      "/usr/local/bin/deno",
      "/usr/bin/npx",
    ),
  });
  assertEquals(self, {
    command: "/usr/local/bin/deno",
    args: ["run", "-A", "/home/me/src/rmcp-mux/main.ts"],
  });
});

Deno.test("no deno on PATH: npx with the pinned Deno; a compiled binary runs itself", () => {
  const viaNpx = selfCommand({
    path: "/usr/bin",
    execPath: NPX_DENO,
    mainUrl: MAIN,
    isExecutable: only("/usr/bin/npx"),
  });
  assertEquals(viaNpx.command, "/usr/bin/npx");
  assertEquals(viaNpx.args.slice(0, 2), ["-y", "deno@2.9.6"]);
  const compiled = selfCommand({
    path: "/usr/bin",
    execPath: "/opt/rmcp-mux/rmcp-mux-linux-x64",
    mainUrl: MAIN,
    isExecutable: only(),
  });
  assertEquals(compiled, { command: "/opt/rmcp-mux/rmcp-mux-linux-x64", args: [] });
});

Deno.test("nothing lasting found: the running Deno, with a warning that says so", () => {
  const self = selfCommand({ path: "", execPath: NPX_DENO, mainUrl: MAIN, isExecutable: only() });
  assertEquals(self.command, NPX_DENO);
  assertMatch(self.warning!, /inside a package cache/);
  assertEquals(inPackageCache("/usr/local/bin/deno"), false);
});

Deno.test("demo prints the host command from selfCommand, quoted for a shell", () => {
  const text = demoText("/tmp/my dir/e.sock", {
    command: "/usr/bin/deno",
    args: ["run", "-A", "/src/main.ts"],
  });
  assertMatch(
    text,
    /claude mcp add everything -- \/usr\/bin\/deno run -A \/src\/main\.ts proxy --socket '\/tmp\/my dir\/e\.sock'/,
  );
  assertMatch(
    text,
    /"command": "\/usr\/bin\/deno", "args": \["run","-A","\/src\/main\.ts","proxy"/,
  );
  assertEquals(text.includes("_npx"), false);
});

Deno.test("hints name rmcp-mux only when the installed one is what runs; else the whole command", () => {
  const installed = typedCommand({
    path: "/home/me/.deno/bin:/usr/bin",
    execPath: NPX_DENO,
    mainUrl: MAIN,
    isExecutable: only("/home/me/.deno/bin/rmcp-mux", "/usr/bin/deno"),
  });
  assertEquals(installed, "rmcp-mux");
  const fromClone = typedCommand({
    path: "/usr/bin",
    execPath: "/usr/bin/deno",
    mainUrl: "file:///home/me/my%20src/rmcp-mux/main.ts",
    isExecutable: only("/usr/bin/deno"),
  });
  assertEquals(fromClone, "/usr/bin/deno run -A '/home/me/my src/rmcp-mux/main.ts'");
});

Deno.test("hintCommand: typedCommand of this process; plain rmcp-mux where Deno may not look (a library without -A)", async () => {
  assertEquals(hintCommand(), typedCommand());
  await using dir = await tempDir("rmcp-mux-hint-");
  const script = `${dir}/hint.ts`;
  await Deno.writeTextFile(
    script,
    `import { hintCommand } from ${JSON.stringify(`${ROOT}src/paths/self_command.ts`)};\n` +
      "console.log(hintCommand());\n",
  );
  // May read files, not the environment: no PATH to look at, and never a prompt.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", "--allow-read", script],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(out.stderr), "");
  assertEquals([out.code, new TextDecoder().decode(out.stdout)], [0, "rmcp-mux\n"]);
});
