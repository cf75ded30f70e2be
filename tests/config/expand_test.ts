import { assert, assertEquals, assertStrictEquals, assertThrows } from "../_helpers/assert.ts";
import {
  contextFrom,
  type ExpandContext,
  expandValue,
  ExpansionError,
} from "../../src/config/expand.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { problems, text, yamlProblems } from "./_support.ts";

const ctx: ExpandContext = contextFrom({
  HOME: "/home/ada",
  USER: "ada",
  EMPTY: "",
  DIR: "/opt/my tools",
});

function refuses(value: string, message: string, context: ExpandContext = ctx): void {
  assertThrows(() => expandValue(value, context), (error: unknown) => {
    assert(error instanceof ExpansionError, `expected ExpansionError, got ${error}`);
    assertStrictEquals(error.message, message);
    return true;
  });
}

Deno.test("expandValue: a leading ~ is the home directory", () => {
  assertStrictEquals(expandValue("~", ctx), "/home/ada");
  assertStrictEquals(expandValue("~/x/y.sock", ctx), "/home/ada/x/y.sock");
  assertStrictEquals(expandValue("~/x", contextFrom({}, "/home/ada/")), "/home/ada/x");
  // Only at the start, and only ~ alone or ~/…
  assertStrictEquals(expandValue("a/~/b", ctx), "a/~/b");
  assertStrictEquals(expandValue("~bob/x", ctx), "~bob/x");
  refuses("~/x", '"~" needs the home directory, but HOME is not set', contextFrom({}));
});

Deno.test("expandValue: ${VAR} and ${VAR:-default}", () => {
  assertStrictEquals(expandValue("${HOME}/.${USER}-${USER}", ctx), "/home/ada/.ada-ada");
  assertStrictEquals(expandValue("${EMPTY}", ctx), "");
  assertStrictEquals(expandValue("${SHELL:-/bin/sh}", ctx), "/bin/sh");
  assertStrictEquals(expandValue("${USER:-nobody}", ctx), "ada");
  assertStrictEquals(
    expandValue("${EMPTY:-fallback}", ctx),
    "fallback",
    "set but empty counts as unset",
  );
  assertStrictEquals(expandValue("${NOPE:-}", ctx), "");
  assertStrictEquals(expandValue("a ${DIR} b", ctx), "a /opt/my tools b");
});

Deno.test("expandValue: a default is itself expanded, ~ and nested variables included", () => {
  assertStrictEquals(
    expandValue("${XDG_RUNTIME_DIR:-~/.run}/m.sock", ctx),
    "/home/ada/.run/m.sock",
  );
  assertStrictEquals(expandValue("${A:-${B:-${USER}}}", ctx), "ada");
  assertStrictEquals(expandValue("${A:-x}}", ctx), "x}");
  assertStrictEquals(expandValue("${A:-$$}", ctx), "$");
});

Deno.test("expandValue: $$ is a literal $; other lone $ are literal too", () => {
  assertStrictEquals(expandValue("$$HOME", ctx), "$HOME");
  assertStrictEquals(expandValue("a$$$${USER}", ctx), "a$${USER}");
  assertStrictEquals(expandValue("a$$${USER}", ctx), "a$ada");
  assertStrictEquals(expandValue("cost: 5$", ctx), "cost: 5$");
  assertStrictEquals(expandValue("$1 $- $", ctx), "$1 $- $");
  assertStrictEquals(expandValue("~/$$", ctx), "/home/ada/$");
});

Deno.test("expandValue: the home directory and values are not expanded again", () => {
  const tricky = contextFrom({ HOME: "/home/$$odd", V: "${HOME}" });
  assertStrictEquals(expandValue("~/x", tricky), "/home/$$odd/x");
  assertStrictEquals(expandValue("${V}", tricky), "${HOME}");
});

Deno.test("expandValue: mistakes are refused with the fix in the message", () => {
  refuses(
    "$HOME/x",
    '"$HOME" is not expanded: write ${HOME} for the variable, or $$HOME for the text',
  );
  refuses("${HOME", '"${HOME" is not closed: expected "}" (write $$ for a literal $)');
  refuses("${HOME:-/x", '"${HOME" is not closed: expected "}" (write $$ for a literal $)');
  refuses(
    "${1X}",
    '"${1X}" is not a variable name (letters, digits and _, not starting with a digit)',
  );
  refuses("${}", '"${}" is not a variable name (letters, digits and _, not starting with a digit)');
  refuses("${A-x}", '"${A-…": expected ${A} or ${A:-default}');
});

Deno.test("expandValue: a missing variable is named, with the fallback syntax", () => {
  refuses(
    "${GITHUB_TOKEN}",
    "environment variable GITHUB_TOKEN is not set " +
      "(write ${GITHUB_TOKEN:-default} for a fallback)",
  );
  // Object.prototype names are not variables.
  refuses(
    "${constructor}",
    "environment variable constructor is not set " +
      "(write ${constructor:-default} for a fallback)",
  );
});

Deno.test("parseConfig: expansion covers socket, cwd, status_file, cmd, args, env and daemon paths", () => {
  const config = parseConfig(
    text(
      "daemon:",
      "  control: ${RUN}/control.sock",
      "  status_file: ~/status.json",
      "servers:",
      "  x:",
      "    socket: ${RUN}/x.sock",
      "    cmd: ~/bin/${TOOL}",
      '    args: ["--root", "${HOME}/p", "~/q", "$$literal"]',
      "    cwd: ${WORK:-~/work}",
      "    status_file: ~/x.json",
      "    env:",
      "      TOKEN: ${SECRET}",
      "      PLAIN: ~/plain",
    ),
    "config.yaml",
    { env: { HOME: "/home/ada", RUN: "/run/user/1", TOOL: "srv", SECRET: "s3cret" } },
  );
  assertEquals(config.daemon, {
    control: "/run/user/1/control.sock",
    statusFile: "/home/ada/status.json",
  });
  const [x] = config.services;
  assertEquals(x?.options, {
    socket: "/run/user/1/x.sock",
    cmd: "/home/ada/bin/srv",
    args: ["--root", "/home/ada/p", "/home/ada/q", "$literal"],
    cwd: "/home/ada/work",
    env: { TOKEN: "s3cret", PLAIN: "/home/ada/plain" },
    serviceName: "x",
    statusFile: "/home/ada/x.json",
    // Variables used in the command line are masked wherever it is shown (HOME is not a secret).
    redact: ["srv"],
  });
  assertStrictEquals(x?.statusFile, "/home/ada/x.json");
});

Deno.test("parseConfig: a split cmd is expanded word by word, so values with spaces stay whole", () => {
  const [x] = parseConfig(
    text("servers:", "  x:", "    socket: /x.sock", "    cmd: ${DIR}/server --name ${NAME}"),
    "config.yaml",
    { env: { DIR: "/opt/my tools", NAME: "a b" } },
  ).services;
  assertStrictEquals(x?.options.cmd, "/opt/my tools/server");
  assertEquals(x?.options.args, ["--name", "a b"]);
});

Deno.test("parseConfig: a missing variable is named with where it is used, never a value", () => {
  const lines = problems(() =>
    parseConfig(
      text(
        "defaults:",
        "  env: { SHARED: '${SHARED_SECRET}' }",
        "servers:",
        "  github:",
        "    socket: ${RUNTIME}/gh.sock",
        "    cmd: npx",
        "    args: [-y, '${PKG}']",
        "    env:",
        "      GITHUB_PERSONAL_ACCESS_TOKEN: ${GITHUB_TOKEN}",
        "      PRESENT: ${PRESENT_SECRET}-${ABSENT}",
      ),
      "config.yaml",
      { env: { PRESENT_SECRET: "do-not-print-me" } },
    )
  );
  assertEquals(lines, [
    "config.yaml:2:18 defaults.env.SHARED: environment variable SHARED_SECRET is not set " +
    "(write ${SHARED_SECRET:-default} for a fallback)",
    "config.yaml:5:13 servers.github.socket: environment variable RUNTIME is not set " +
    "(write ${RUNTIME:-default} for a fallback)",
    "config.yaml:7:16 servers.github.args[1]: environment variable PKG is not set " +
    "(write ${PKG:-default} for a fallback)",
    "config.yaml:9:37 servers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN: environment variable " +
    "GITHUB_TOKEN is not set (write ${GITHUB_TOKEN:-default} for a fallback)",
    "config.yaml:10:16 servers.github.env.PRESENT: environment variable ABSENT is not set " +
    "(write ${ABSENT:-default} for a fallback)",
  ]);
  assert(!lines.join("\n").includes("do-not-print-me"));
});

Deno.test("parseConfig: a ~ without HOME is an error naming the key", () => {
  assertEquals(yamlProblems(["servers:", "  x: { socket: ~/x.sock, cmd: x }"], {}), [
    'config.yaml:2:16 servers.x.socket: "~" needs the home directory, but HOME is not set',
  ]);
  const [x] = parseConfig(
    text("servers:", "  x: { socket: ~/x.sock, cmd: x }"),
    "c.yaml",
    { env: {}, home: "/h" },
  ).services;
  assertStrictEquals(x?.options.socket, "/h/x.sock");
});

Deno.test("parseConfig: a cmd that expands to nothing is refused", () => {
  assertEquals(
    yamlProblems(["servers:", "  x: { socket: /x.sock, cmd: '${EMPTY}' }"], { EMPTY: "" }),
    [
      "config.yaml:2:30 servers.x.cmd: expected the server command, but it expands to an empty string",
    ],
  );
});

Deno.test("parseConfig: without env, variables come from Deno.env", () => {
  const name = `RMCP_MUX_TEST_${crypto.randomUUID().replaceAll("-", "_")}`;
  Deno.env.set(name, "/from/deno/env");
  try {
    const [x] = parseConfig(
      text("servers:", `  x: { socket: '\${${name}}/x.sock', cmd: x }`),
      "config.yaml",
    ).services;
    assertStrictEquals(x?.options.socket, "/from/deno/env/x.sock");
  } finally {
    Deno.env.delete(name);
  }
});

Deno.test("parseConfig: a server without socket: gets <runtime dir>/<key>.sock, as the control socket does", () => {
  const parse = (env: Record<string, string>, ...lines: string[]) =>
    parseConfig(text("servers:", ...lines), "c.yaml", { env }).services.map((s) => [
      s.name,
      s.options.socket,
    ]);
  assertEquals(
    parse(
      { XDG_RUNTIME_DIR: "/run/user/1000", HOME: "/h" },
      "  memory: { cmd: m }",
      "  gh: { cmd: g, service_name: github }",
    ),
    [["gh", "/run/user/1000/rmcp-mux/gh.sock"], ["memory", "/run/user/1000/rmcp-mux/memory.sock"]],
  );
  // No (absolute) XDG_RUNTIME_DIR: under HOME, like every socket nobody named.
  assertEquals(parse({ XDG_RUNTIME_DIR: "run", HOME: "/h" }, "  memory: { cmd: m }"), [
    ["memory", "/h/.rmcp-mux/run/memory.sock"],
  ]);
  // A socket: that names another server's default is the same socket twice.
  assertEquals(
    yamlProblems([
      "servers:",
      "  a: { cmd: a }",
      "  b: { socket: /h/.rmcp-mux/run/a.sock, cmd: b }",
    ], {
      HOME: "/h",
    }).length,
    1,
  );
  // Neither variable: one line saying what to set.
  assertEquals(yamlProblems(["servers:", "  a: { cmd: a }"], {}), [
    "config.yaml:2:3 servers.a: no socket: set, and no runtime directory for its default " +
    "(HOME and XDG_RUNTIME_DIR are unset or not absolute): set socket: or HOME",
  ]);
});
