import { assert, assertEquals, assertMatch, assertStrictEquals } from "../_helpers/assert.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { configError, ENV, parseYaml, problems, text, yamlProblems } from "./_support.ts";

const GITHUB = ["servers:", "  github:", "    socket: /run/gh.sock", "    cmd: gh-server"];

Deno.test("validation: wrong type names file, line, column, key path, expectation and value", () => {
  assertEquals(yamlProblems([...GITHUB, "    max_restarts: five"]), [
    'config.yaml:5:19 servers.github.max_restarts: expected a whole number ≥ 0, got "five"',
  ]);
  assertEquals(yamlProblems([...GITHUB, "    lazy_start: yes"]), [
    'config.yaml:5:17 servers.github.lazy_start: expected true or false, got "yes"',
  ]);
  assertEquals(yamlProblems([...GITHUB, "    args: -y"]), [
    'config.yaml:5:11 servers.github.args: expected a list of strings, got "-y"',
  ]);
  assertEquals(yamlProblems([...GITHUB, "    args: [-y, 5]"]), [
    "config.yaml:5:16 servers.github.args[1]: expected a string (quote numbers and booleans), " +
    "got 5",
  ]);
  assertEquals(yamlProblems(["servers:", "  github: /run/gh.sock"]), [
    'config.yaml:2:11 servers.github: expected a mapping of server settings, got "/run/gh.sock"',
  ]);
  assertEquals(yamlProblems(["servers: [a, b]"]), [
    "config.yaml:1:10 servers: expected a mapping of service names to server settings, got a list",
  ]);
});

Deno.test("validation: negative, fractional and too-small numbers use resolveOptions' minimums", () => {
  assertEquals(yamlProblems([...GITHUB, "    max_restarts: -1"]), [
    "config.yaml:5:19 servers.github.max_restarts: expected a whole number ≥ 0, got -1",
  ]);
  assertEquals(yamlProblems([...GITHUB, "    request_timeout_ms: 1.5"]), [
    "config.yaml:5:25 servers.github.request_timeout_ms: expected a whole number ≥ 0, got 1.5",
  ]);
  assertEquals(yamlProblems([...GITHUB, "    max_active_clients: 0"]), [
    "config.yaml:5:25 servers.github.max_active_clients: expected a whole number ≥ 1, got 0",
  ]);
  assertEquals(yamlProblems([...GITHUB, "    max_request_bytes: 10"]), [
    "config.yaml:5:24 servers.github.max_request_bytes: expected a whole number ≥ 64, got 10",
  ]);
  assertEquals(yamlProblems(["defaults:", "  restart_backoff_ms: 0", ...GITHUB]), [
    "config.yaml:2:23 defaults.restart_backoff_ms: expected a whole number ≥ 1, got 0",
  ]);
});

Deno.test("validation: cancel_grace_ms from 0 to 60000, else file:line:col names the range (YAML, JSON; TOML the key path)", () => {
  const range = "expected a whole number from 0 to 60000";
  assertEquals(yamlProblems([...GITHUB, "    cancel_grace_ms: 60001"]), [
    `config.yaml:5:22 servers.github.cancel_grace_ms: ${range}, got 60001`,
  ]);
  assertEquals(yamlProblems([...GITHUB, "    cancel_grace_ms: -1"]), [
    `config.yaml:5:22 servers.github.cancel_grace_ms: ${range}, got -1`,
  ]);
  assertEquals(yamlProblems(["defaults:", "  cancel_grace_ms: 5s", ...GITHUB]), [
    `config.yaml:2:20 defaults.cancel_grace_ms: ${range}, got "5s"`,
  ]);
  assertEquals(yamlProblems([...GITHUB, "    cancel_grace_ms: 0.5"]), [
    `config.yaml:5:22 servers.github.cancel_grace_ms: ${range}, got 0.5`,
  ]);
  const json = text(
    "{",
    '  "servers": {',
    '    "github": { "socket": "/gh.sock", "cmd": "gh", "cancel_grace_ms": 90000 }',
    "  }",
    "}",
  );
  assertEquals(problems(() => parseConfig(json, "mux.json", { env: ENV })), [
    `mux.json:3:71 servers.github.cancel_grace_ms: ${range}, got 90000`,
  ]);
  const toml = text("[servers.a]", 'socket = "/a"', 'cmd = "a"', "cancel_grace_ms = 60001");
  assertEquals(problems(() => parseConfig(toml, "mux.toml", { env: ENV })), [
    `mux.toml servers.a.cancel_grace_ms: ${range}, got 60001`,
  ]);
});

Deno.test("validation: a missing cmd points at the server (socket: has a default)", () => {
  assertEquals(yamlProblems(["servers:", "  github:", "    args: []"]), [
    'config.yaml:2:3 servers.github: missing "cmd" (the MCP server command)',
  ]);
  assertEquals(yamlProblems(["servers:", "  github: { socket: /gh.sock, cmd: '  ' }"]), [
    "config.yaml:2:36 servers.github.cmd: expected the server command, not an empty string, " +
    'got "  "',
  ]);
  assertEquals(yamlProblems(["daemon: {}"]), [
    'config.yaml: missing "servers" (a mapping of service names to server settings)',
  ]);
  assertEquals(yamlProblems(["servers: {}"]), [
    "config.yaml:1:1 servers: expected at least one server",
  ]);
});

Deno.test("validation: unknown keys are errors, with a suggestion when one is close", () => {
  assertEquals(yamlProblems([...GITHUB, "    max_restart: 5", "    lazyStart: true"]), [
    'config.yaml:5:5 servers.github.max_restart: unknown key "max_restart" ' +
    '(did you mean "max_restarts"?)',
    'config.yaml:6:5 servers.github.lazyStart: unknown key "lazyStart" (did you mean "lazy_start"?)',
  ]);
  assertEquals(yamlProblems(["daemon: { log-format: json }", ...GITHUB]), [
    'config.yaml:1:11 daemon.log-format: unknown key "log-format" (did you mean "log_format"?)',
  ]);
  assertEquals(yamlProblems(["sevrers: {}"]), [
    'config.yaml:1:1 sevrers: unknown key "sevrers" (did you mean "servers"?)',
    'config.yaml: missing "servers" (a mapping of service names to server settings)',
  ]);
  const [far] = yamlProblems([...GITHUB, "    colour: blue"]);
  assertMatch(
    far!,
    /^config\.yaml:5:5 servers\.github\.colour: unknown key "colour": expected one of /,
  );
  assertMatch(far!, /socket, cmd, args, .*max_restarts, log_level, .*, idle_timeout_ms$/);
  assert(!far!.includes("heartbeat_interval"), "ignored Rust keys are not offered");
});

Deno.test("validation: per-server keys are refused under defaults; MCP host configs are named", () => {
  assertEquals(yamlProblems(["defaults:", "  socket: /x.sock", "  args: []", ...GITHUB]), [
    'config.yaml:2:3 defaults.socket: "socket" is set per server, not under defaults:',
    'config.yaml:3:3 defaults.args: "args" is set per server, not under defaults:',
  ]);
  const [host] = yamlProblems(["mcpServers:", "  x: { command: npx }", ...GITHUB]);
  assertMatch(
    host!,
    /^config\.yaml:1:1 mcpServers: unknown key "mcpServers": that is an MCP host's/,
  );
});

Deno.test("validation: log_level and log_format must be one of the names", () => {
  assertEquals(yamlProblems([...GITHUB, "    log_level: verbose"]), [
    "config.yaml:5:16 servers.github.log_level: expected one of trace, debug, info, warn, " +
    'error, got "verbose"',
  ]);
  assertEquals(yamlProblems(["daemon: { log_format: xml }", ...GITHUB]), [
    'config.yaml:1:23 daemon.log_format: expected one of text, json, got "xml"',
  ]);
});

Deno.test("validation: every problem is reported at once, in file order", () => {
  const error = configError(() =>
    parseYaml([
      "servers:",
      "  a:",
      "    socket: ${NOPE}/a.sock",
      "    cmd: a",
      "    max_restarts: five",
      "  b:",
      "    cmd: b",
      "    tray: true",
      "    colour: red",
      "  bad name: { socket: /c.sock, cmd: c, env: { K: 1 } }",
    ])
  );
  assert(error instanceof ConfigError);
  assertStrictEquals(error.name, "ConfigError");
  assertStrictEquals(
    error.message,
    [
      "5 problems in config.yaml:",
      "config.yaml:3:13 servers.a.socket: environment variable NOPE is not set " +
      "(write ${NOPE:-default} for a fallback)",
      'config.yaml:5:19 servers.a.max_restarts: expected a whole number ≥ 0, got "five"',
      'config.yaml:9:5 servers.b.colour: unknown key "colour": expected one of socket, cmd, ' +
      "args, service_name, status_file, cwd, env, max_active_clients, client_wait_ms, " +
      "lazy_start, serialize, upstream_era, max_request_bytes, max_response_bytes, request_timeout_ms, " +
      "cancel_grace_ms, restart_backoff_ms, restart_backoff_max_ms, max_restarts, log_level, heartbeat_enabled, " +
      "heartbeat_timeout_ms, heartbeat_max_failures, heartbeat_restart, isolation, " +
      "max_processes, idle_timeout_ms",
      'config.yaml:10:3 servers["bad name"]: "bad name" is not a service name: letters, digits, ' +
      '".", "_", "-", "@"',
      'config.yaml:10:50 servers["bad name"].env.K: expected a string (quote numbers and ' +
      "booleans), got a number",
    ].join("\n"),
  );
  assertEquals(error.issues[0], {
    file: "config.yaml",
    line: 3,
    column: 13,
    keyPath: "servers.a.socket",
    message: "environment variable NOPE is not set (write ${NOPE:-default} for a fallback)",
  });
});

Deno.test("validation: env values never appear in messages, even when of the wrong type", () => {
  const lines = problems(() =>
    parseConfig(
      text(
        ...GITHUB,
        "    env:",
        "      TOKEN: 123456789",
        "      OTHER: ${SECRET}x",
        "    cwd: 5",
      ),
      "config.yaml",
      { env: { SECRET: "hunter2-very-secret" } },
    )
  );
  assertEquals(lines, [
    "config.yaml:6:14 servers.github.env.TOKEN: expected a string (quote numbers and booleans), " +
    "got a number",
    "config.yaml:8:10 servers.github.cwd: expected a path (a string), got 5",
  ]);
  assert(!lines.join("\n").includes("123456789"));
  assert(!lines.join("\n").includes("hunter2"));
});

Deno.test("validation: a bare ~ is YAML's null; the message says so", () => {
  assertEquals(yamlProblems([...GITHUB, "    cwd: ~"]), [
    "config.yaml:5:10 servers.github.cwd: expected a path (a string), got null (an empty value) " +
    '(a bare ~ is null in YAML: write "~" in quotes for the home directory)',
  ]);
});

Deno.test("validation: an empty file, or one that is not a mapping", () => {
  assertEquals(problems(() => parseConfig("", "c.yaml", { env: {} })), [
    "c.yaml: the file is empty: expected a mapping with a servers: key",
  ]);
  assertEquals(problems(() => parseConfig("# nothing\n", "c.yaml", { env: {} })), [
    "c.yaml: the file is empty: expected a mapping with a servers: key",
  ]);
  assertEquals(problems(() => parseConfig("- a\n", "c.yaml", { env: {} })), [
    "c.yaml: expected a mapping with a servers: key, got a list",
  ]);
});

Deno.test("validation: env names may not hold '='; env must be a mapping", () => {
  assertEquals(yamlProblems([...GITHUB, "    env: { 'A=B': x }"]), [
    'config.yaml:5:12 servers.github.env["A=B"]: expected a variable name (without "=")',
  ]);
  assertEquals(yamlProblems(["defaults: { env: [A=1] }", ...GITHUB]), [
    "config.yaml:1:18 defaults.env: expected a mapping of variable names to strings, got a list",
  ]);
});
