import { assert, assertEquals, assertStrictEquals, assertThrows } from "../_helpers/assert.ts";
import { CliError, type Command, parseCommandLine } from "../../src/cli/args.ts";
import type { MuxOptions } from "../../src/config/options.ts";
import { hintCommand } from "../../src/paths/self_command.ts";

const ENV = { HOME: "/home/ann" };

function run(args: string[], env: { HOME?: string } = ENV): Extract<Command, { kind: "run" }> {
  const c = parseCommandLine(args, env);
  if (c.kind !== "run") throw new Error(`expected run, got ${c.kind}`);
  return c;
}

/** Assert that parsing throws a CliError with exactly `message`. */
function refuses(args: string[], message: string | RegExp): void {
  assertThrows(() => parseCommandLine(args, ENV), (e: unknown) => {
    assert(e instanceof CliError, `expected CliError, got ${e}`);
    assertStrictEquals(e.name, "CliError");
    if (typeof message === "string") assertStrictEquals(e.message, message);
    else assert(message.test(e.message), `${e.message} !~ ${message}`);
    return true;
  });
}

const BASE = ["--socket", "/tmp/s.sock", "--cmd", "server"];

Deno.test("run: --socket --cmd -- args keeps the tail verbatim, flag-like args included", () => {
  const c = run([
    "--socket",
    "/tmp/gh.sock",
    "--cmd",
    "npx",
    "--",
    "-y",
    "@modelcontextprotocol/server-github",
    "--socket",
    "--help",
    "-V",
    "--",
    "two words",
    "--lazy-start",
    "false",
  ]);
  assertStrictEquals(c.options.socket, "/tmp/gh.sock");
  assertStrictEquals(c.options.cmd, "npx");
  assertEquals(c.options.args, [
    "-y",
    "@modelcontextprotocol/server-github",
    "--socket",
    "--help",
    "-V",
    "--",
    "two words",
    "--lazy-start",
    "false",
  ]);
  assertEquals(c.log, { level: "info", format: "text" });
  assertStrictEquals(c.options.lazyStart, undefined);
});

Deno.test("run: the explicit `run` subcommand is the same as none", () => {
  assertEquals(
    parseCommandLine(["run", ...BASE, "--", "a"], ENV),
    parseCommandLine([...BASE, "--", "a"], ENV),
  );
});

Deno.test("run: --cmd with spaces is split like a shell when no -- args follow", () => {
  const c = run(["--socket", "/s", "--cmd", "npx -y 'my server' \"x y\""]);
  assertStrictEquals(c.options.cmd, "npx");
  assertEquals(c.options.args, ["-y", "my server", "x y"]);
  // --cmd=... spelling too
  const eq = run(["--socket=/s", "--cmd=uvx  mcp-server-fetch"]);
  assertStrictEquals(eq.options.cmd, "uvx");
  assertEquals(eq.options.args, ["mcp-server-fetch"]);
});

Deno.test("run: --cmd is not split when -- args follow (a program path with spaces)", () => {
  const c = run(["--socket", "/s", "--cmd", "/Applications/My App/server", "--", "--stdio"]);
  assertStrictEquals(c.options.cmd, "/Applications/My App/server");
  assertEquals(c.options.args, ["--stdio"]);
});

Deno.test("run: an unterminated quote in --cmd is a CliError naming --cmd", () => {
  refuses(["--socket", "/s", "--cmd", "npx 'my server"], /^--cmd: unterminated single quote/);
});

Deno.test("run: ~ in --socket and --cmd expands with the HOME passed in", () => {
  const c = run(["--socket", "~/.rmcp-mux/gh.sock", "--cmd", "~/bin/server", "--", "~/data"]);
  assertStrictEquals(c.options.socket, "/home/ann/.rmcp-mux/gh.sock");
  assertStrictEquals(c.options.cmd, "/home/ann/bin/server");
  assertEquals(c.options.args, ["~/data"], "server arguments are passed as written");
  // the split form expands the program too
  const split = run(["--socket", "~/s.sock", "--cmd", "~/bin/server --flag"]);
  assertStrictEquals(split.options.cmd, "/home/ann/bin/server");
  assertEquals(split.options.args, ["--flag"]);
  // another HOME, or none
  assertStrictEquals(
    run(["--socket", "~/s", "--cmd", "x"], { HOME: "/root" }).options.socket,
    "/root/s",
  );
  assertStrictEquals(run(["--socket", "~/s", "--cmd", "x"], {}).options.socket, "~/s");
});

Deno.test("run: every numeric flag maps to its MuxOptions key", () => {
  const flags: [string, keyof MuxOptions, number][] = [
    ["--max-active-clients", "maxActiveClients", 7],
    ["--client-wait-ms", "clientWaitMs", 2500],
    ["--max-request-bytes", "maxRequestBytes", 4096],
    ["--max-response-bytes", "maxResponseBytes", 8192],
    ["--request-timeout-ms", "requestTimeoutMs", 0],
    ["--cancel-grace-ms", "cancelGraceMs", 1000],
    ["--restart-backoff-ms", "restartBackoffMs", 250],
    ["--restart-backoff-max-ms", "restartBackoffMaxMs", 9000],
    ["--max-restarts", "maxRestarts", 3],
    ["--heartbeat-timeout-ms", "heartbeatTimeoutMs", 1500],
    ["--heartbeat-max-failures", "heartbeatMaxFailures", 2],
    ["--max-processes", "maxProcesses", 8],
    ["--idle-timeout-ms", "idleTimeoutMs", 0],
  ];
  const args = [...BASE];
  for (const [flag, , value] of flags) args.push(flag, String(value));
  const c = run(args);
  for (const [flag, key, value] of flags) assertStrictEquals(c.options[key], value, flag);
  // each one alone, too (and nothing else appears)
  for (const [flag, key, value] of flags) {
    const one = run([...BASE, flag, String(value)]);
    assertEquals(one.options, { socket: "/tmp/s.sock", cmd: "server", args: [], [key]: value });
  }
});

Deno.test("run: --service-name is passed through", () => {
  assertStrictEquals(run([...BASE, "--service-name", "github"]).options.serviceName, "github");
});

Deno.test("run: bad numbers give a CliError naming the flag, the minimum and the input", () => {
  refuses(
    [...BASE, "--max-restarts", "five"],
    '--max-restarts: expected a whole number ≥ 0, got "five"',
  );
  refuses([...BASE, "--max-restarts=-1"], '--max-restarts: expected a whole number ≥ 0, got "-1"');
  // A negative number is the (wrong) value, not a missing one (parseArgs alone says "ambiguous").
  refuses(
    [...BASE, "--max-restarts", "-1"],
    '--max-restarts: expected a whole number ≥ 0, got "-1"',
  );
  refuses([...BASE, "--client-wait-ms", "-0.5"], /^--client-wait-ms: expected .* got "-0\.5"$/);
  // An option after a value-taking one still means its value is missing.
  refuses(
    [...BASE, "--max-restarts", "--lazy-start"],
    '--max-restarts needs a value (write --max-restarts=VALUE for one starting with "-")',
  );
  // After `--`, "-1" is the server's argument.
  assertEquals(run([...BASE, "--max-restarts", "2", "--", "-1"]).options.args, ["-1"]);
  refuses(
    [...BASE, "--client-wait-ms", "1.5"],
    '--client-wait-ms: expected a whole number ≥ 0, got "1.5"',
  );
  refuses([...BASE, "--client-wait-ms", "1e3"], /got "1e3"/);
  refuses([...BASE, "--request-timeout-ms", ""], /^--request-timeout-ms: expected/);
  refuses(
    [...BASE, "--max-request-bytes", "63"],
    '--max-request-bytes: expected a whole number ≥ 64, got "63"',
  );
  refuses(
    [...BASE, "--restart-backoff-ms", "0"],
    /^--restart-backoff-ms: expected a whole number ≥ 1/,
  );
  refuses(
    [...BASE, "--max-restarts", "99999999999999999999"],
    /^--max-restarts: expected a whole number/,
  );
});

Deno.test("run: --cancel-grace-ms from 0 (no grace) to 60000; beyond, or not a number, a CliError naming the range", () => {
  for (const [raw, value] of [["0", 0], ["250", 250], ["60000", 60_000], [" 7 ", 7]] as const) {
    assertStrictEquals(run([...BASE, "--cancel-grace-ms", raw]).options.cancelGraceMs, value, raw);
  }
  assertStrictEquals(run([...BASE, "--cancel-grace-ms=0"]).options.cancelGraceMs, 0);
  refuses(
    [...BASE, "--cancel-grace-ms", "60001"],
    '--cancel-grace-ms: expected a whole number from 0 to 60000, got "60001"',
  );
  refuses(
    [...BASE, "--cancel-grace-ms=-1"],
    '--cancel-grace-ms: expected a whole number from 0 to 60000, got "-1"',
  );
  for (const raw of ["5s", "1.5", "1e3", "", "99999999999999999999"]) {
    refuses(
      [...BASE, "--cancel-grace-ms", raw],
      /^--cancel-grace-ms: expected a whole number from 0 to 60000, got "/,
    );
  }
  refuses([...BASE, "--cancel-grace-ms"], /^--cancel-grace-ms needs a value/);
  // A daemon override, like every run option.
  const daemon = parseCommandLine(["--config", "/c.yaml", "--cancel-grace-ms", "0"], ENV);
  assertEquals((daemon as { overrides: unknown }).overrides, { cancelGraceMs: 0 });
});

Deno.test("run: --max-active-clients 0 is refused", () => {
  refuses(
    [...BASE, "--max-active-clients", "0"],
    '--max-active-clients: expected a whole number ≥ 1, got "0"',
  );
});

Deno.test("run: the --http-* flags map to the listener's options", () => {
  const c = run([
    ...BASE,
    "--http",
    "127.0.0.1:0",
    "--http-max-sessions",
    "8",
    "--http-max-requests",
    "16",
  ]);
  assertEquals(c.http, { listen: "127.0.0.1:0", maxSessions: 8, maxRequests: 16 });
  refuses(
    [...BASE, "--http", "7300", "--http-max-requests", "0"],
    '--http-max-requests: expected a whole number ≥ 1, got "0"',
  );
});

Deno.test("run: --upstream-era auto | legacy | modern, anything else a clear error", () => {
  assertStrictEquals(run([...BASE, "--upstream-era", "modern"]).options.upstreamEra, "modern");
  assertStrictEquals(run([...BASE]).options.upstreamEra, undefined, "the default comes later");
  assertThrows(
    () => run([...BASE, "--upstream-era", "2026"]),
    /--upstream-era: expected one of legacy, auto, modern, got "2026"/,
  );
});

Deno.test("run: --lazy-start and its true/false spellings (Rust tool compatibility)", () => {
  assertStrictEquals(run([...BASE, "--lazy-start"]).options.lazyStart, true);
  assertStrictEquals(run(["--lazy-start", ...BASE]).options.lazyStart, true);
  assertStrictEquals(run([...BASE, "--lazy-start", "true"]).options.lazyStart, true);
  assertStrictEquals(run([...BASE, "--lazy-start=true"]).options.lazyStart, true);
  // An explicit false is kept: it must be able to override `lazy_start: true` in a config file.
  assertStrictEquals(run([...BASE, "--lazy-start", "false"]).options.lazyStart, false);
  assertStrictEquals(run([...BASE, "--lazy-start=false"]).options.lazyStart, false);
  assertStrictEquals(run([...BASE, "--serialize", "false"]).options.serialize, false);
  // "false" is consumed by the flag, not taken as a stray argument
  const c = run(["--lazy-start", "false", ...BASE, "--", "true"]);
  assertStrictEquals(c.options.lazyStart, false);
  assertEquals(c.options.args, ["true"]);
  refuses([...BASE, "--lazy-start", "maybe"], /^unexpected argument "maybe"/);
});

Deno.test("run: --isolation and the heartbeat switches", () => {
  assertStrictEquals(run([...BASE, "--isolation", "roots"]).options.isolation, "roots");
  assertStrictEquals(run([...BASE, "--isolation", "client"]).options.isolation, "client");
  refuses(
    [...BASE, "--isolation", "project"],
    '--isolation: expected one of shared, roots, client, got "project"',
  );
  assertStrictEquals(run([...BASE, "--heartbeat-restart"]).options.heartbeatRestart, true);
  assertStrictEquals(
    run([...BASE, "--heartbeat-enabled", "false"]).options.heartbeatEnabled,
    false,
  );
  assertStrictEquals(run([...BASE, "--heartbeat-enabled=true"]).options.heartbeatEnabled, true);
});

Deno.test("run: an unknown option is refused by name", () => {
  refuses([...BASE, "--foo"], "unknown option --foo");
  refuses(["--foo", ...BASE], "unknown option --foo");
  refuses([...BASE, "-x"], "unknown option -x");
});

Deno.test("run: --socket and --cmd are required, and need values", () => {
  refuses(["--cmd", "server"], "--socket PATH is required");
  refuses(["--socket", "/s"], "--cmd PROGRAM is required (the MCP server to run)");
  refuses(["--socket", "/s", "--cmd", "  "], "--cmd PROGRAM is required (the MCP server to run)");
  // No server on the command line at all: the daemon runs the default config file.
  assertStrictEquals(parseCommandLine([], ENV).kind, "daemon");
  refuses(["--socket"], "--socket needs a value");
  refuses(["--socket", "/s", "--cmd"], "--cmd needs a value");
  // a forgotten value followed by the next flag
  refuses(["--socket", "--cmd", "server"], /^--socket needs a value/);
  refuses(["health", "--socket", "--json"], /^--socket needs a value/);
});

Deno.test("run: a stray positional before -- is refused with a hint", () => {
  refuses(
    [...BASE, "extra", "--", "a"],
    'unexpected argument "extra" (put server arguments after "--")',
  );
  refuses(["npx", ...BASE], 'unexpected argument "npx" (put server arguments after "--")');
});

Deno.test("run: --log-level and --log-format", () => {
  assertStrictEquals(run([...BASE, "--log-level", "debug"]).log.level, "debug");
  assertStrictEquals(run([...BASE, "--log-level", "warning"]).log.level, "warn");
  assertStrictEquals(run([...BASE, "--log-level=trace"]).log.level, "trace");
  assertStrictEquals(run([...BASE, "--log-format", "json"]).log.format, "json");
  refuses(
    [...BASE, "--log-format", "xml"],
    '--log-format: expected one of text, json, got "xml"',
  );
  refuses(
    [...BASE, "--log-level", "verbose"],
    '--log-level: expected one of trace, debug, info, warn, error, got "verbose"',
  );
});

Deno.test("help and version: subcommand, -h, --help, -V, --version", () => {
  assertEquals(parseCommandLine(["help"], ENV), { kind: "help", topic: undefined });
  assertEquals(parseCommandLine(["help", "health"], ENV), { kind: "help", topic: "health" });
  assertEquals(parseCommandLine(["-h"], ENV), { kind: "help", topic: undefined });
  assertEquals(parseCommandLine(["--help"], ENV), { kind: "help", topic: undefined });
  // help wins over missing required flags
  assertEquals(parseCommandLine(["--socket", "/s", "-h"], ENV), {
    kind: "help",
    topic: undefined,
  });
  assertEquals(parseCommandLine(["-V"], ENV), { kind: "version" });
  assertEquals(parseCommandLine(["--version"], ENV), { kind: "version" });
  assertEquals(parseCommandLine(["demo", "-h"], ENV), { kind: "help", topic: "demo" });
  assertEquals(parseCommandLine(["proxy", "--help"], ENV), { kind: "help", topic: "proxy" });
  assertEquals(parseCommandLine(["health", "-h"], ENV), { kind: "help", topic: "health" });
});

Deno.test("proxy: needs --socket or --service, expands ~, refuses extras", () => {
  assertEquals(parseCommandLine(["proxy", "--socket", "~/x.sock"], ENV), {
    kind: "proxy",
    socket: "/home/ann/x.sock",
  });
  assertEquals(
    parseCommandLine(
      ["proxy", "--service", "memory", "--config=~/m.yaml", "--reconnect-timeout-ms", "0"],
      ENV,
    ),
    { kind: "proxy", service: "memory", config: "/home/ann/m.yaml", reconnectMs: 0 },
  );
  assertEquals(parseCommandLine(["proxy", "--socket", "/s", "--config", "/c.yaml"], ENV), {
    kind: "proxy",
    socket: "/s",
    config: "/c.yaml",
  });
  refuses(["proxy"], "proxy: --socket PATH is required (or --service NAME [--config FILE])");
  refuses(["proxy", "--config", "/c"], /^proxy: with --config, name the service/);
  assertEquals(parseCommandLine(["proxy", "--socket", "/s", "--service", "x"], ENV), {
    kind: "proxy",
    socket: "/s",
    service: "x",
  });
  refuses(["proxy", "--socket", "/s", "extra"], 'proxy: unexpected argument "extra"');
  refuses(["proxy", "--socket", "/s", "--cmd", "x"], "unknown option --cmd");
  refuses(["proxy", "--socket"], "--socket needs a value");
  refuses(["proxy", "--socket", "/s", "--reconnect-timeout-ms", "soon"], /expected a whole number/);
  // A negative number is a wrong value, not a missing one.
  refuses(
    ["proxy", "--socket", "/s", "--reconnect-timeout-ms", "-1"],
    '--reconnect-timeout-ms: expected a whole number ≥ 0, got "-1"',
  );
  refuses(["proxy", "--socket", "/s", "--reconnect-timeout-ms", "--config"], /needs a value$/);
});

Deno.test("health: --socket, --timeout-ms and --json", () => {
  assertEquals(parseCommandLine(["health", "--socket", "~/x.sock"], ENV), {
    kind: "health",
    socket: "/home/ann/x.sock",
    timeoutMs: 5_000,
    json: false,
  });
  assertEquals(
    parseCommandLine(["health", "--socket", "/s", "--timeout-ms", "250", "--json"], ENV),
    { kind: "health", socket: "/s", timeoutMs: 250, json: true },
  );
  refuses(["health"], "health: --socket PATH is required");
  refuses(
    ["health", "--socket", "/s", "--timeout-ms", "0"],
    '--timeout-ms: expected a whole number ≥ 1, got "0"',
  );
  refuses(["health", "--socket", "/s", "--timeout-ms", "soon"], /got "soon"/);
  refuses(["health", "--socket", "/s", "x"], 'health: unexpected argument "x"');
});

Deno.test("demo: takes run options but refuses --cmd and server arguments", () => {
  const c = parseCommandLine(
    [
      "demo",
      "--socket",
      "~/d.sock",
      "--lazy-start",
      "--max-active-clients",
      "2",
      "--log-level",
      "debug",
    ],
    ENV,
  );
  assertEquals(c, {
    kind: "demo",
    options: { socket: "/home/ann/d.sock", lazyStart: true, maxActiveClients: 2 },
    log: { level: "debug", format: "text" },
  });
  // no --socket needed for the demo
  assertEquals(parseCommandLine(["demo"], ENV), {
    kind: "demo",
    options: {},
    log: { level: "info", format: "text" },
  });
  refuses(["demo", "--cmd", "x"], "demo runs the built-in reference server; it takes no --cmd");
  refuses(["demo", "--", "x"], "demo runs the built-in reference server; it takes no --cmd");
  refuses(["demo", "stray"], 'unexpected argument "stray"');
});

Deno.test("daemon: --config with filters and overrides; --cmd and --config do not mix", () => {
  const command = parseCommandLine(
    ["--config", "~/mux.yaml", "--only", "a, b", "--max-restarts", "9", "--log-level", "debug"],
    ENV,
  );
  assertEquals(command, {
    kind: "daemon",
    config: "/home/ann/mux.yaml",
    filter: { only: ["a", "b"] },
    control: undefined,
    overrides: { maxRestarts: 9 },
    log: { level: "debug" },
  });
  const single = parseCommandLine(["--config", "/c.yaml", "--service", "github"], ENV);
  assertEquals((single as { filter: unknown }).filter, { service: "github" });
  refuses(["--config", "/c.yaml", "--cmd", "x"], /name it with --service NAME/);
  refuses(["--config", "/c.yaml", "--socket", "/s"], /name it with --service NAME/);
  // With --service they override that one server's entry.
  const one = parseCommandLine(
    ["--config", "/c.yaml", "--service", "gh", "--socket", "/s", "--cmd", "npx -y gh"],
    ENV,
  ) as { overrides: Record<string, unknown> };
  assertEquals(one.overrides, { socket: "/s", cmd: "npx", args: ["-y", "gh"] });
  refuses(["--config", "/c.yaml", "--only", ","], "--only: expected service names, like a,b");
});

Deno.test("status: --config, --control or --socket; --json, --watch, -v", () => {
  assertEquals(parseCommandLine(["status"], ENV), {
    kind: "status",
    target: {},
    json: false,
    watch: false,
    verbose: false,
    services: [],
  });
  assertEquals(parseCommandLine(["status", "--socket", "~/s.sock", "--json", "-v"], ENV), {
    kind: "status",
    target: { socket: "/home/ann/s.sock" },
    json: true,
    watch: false,
    verbose: true,
    services: [],
  });
  // Names select services (and only their states decide the exit code).
  assertEquals(
    (parseCommandLine(["status", "github", "memory"], ENV) as { services: string[] }).services,
    ["github", "memory"],
  );
  refuses(
    ["status", "--config", "/c", "--control", "/k"],
    "give one of --config, --control or --socket",
  );
  refuses(["status", "--json", "--watch"], "status: --json and --watch do not mix");
});

Deno.test("control commands: restart/stop/start need one name; reload/shutdown none", () => {
  assertEquals(parseCommandLine(["restart", "github", "--control", "/k.sock"], ENV), {
    kind: "control",
    command: "restart",
    service: "github",
    target: { control: "/k.sock" },
  });
  assertEquals(parseCommandLine(["reload"], ENV), {
    kind: "control",
    command: "reload",
    service: undefined,
    target: {},
  });
  refuses(["stop"], `stop: name one service, e.g. ${hintCommand()} stop github`);
  refuses(["reload", "x"], 'reload: unexpected argument "x"');
});

Deno.test("config check: an optional FILE", () => {
  assertEquals(parseCommandLine(["config", "check", "~/c.yaml"], ENV), {
    kind: "config-check",
    file: "/home/ann/c.yaml",
  });
  assertEquals(parseCommandLine(["config", "check"], ENV), {
    kind: "config-check",
    file: undefined,
  });
  refuses(["config", "lint"], /unknown subcommand "lint"/);
});

Deno.test("dashboard: --open, and the daemon by --config or --control", () => {
  assertEquals(parseCommandLine(["dashboard"]), { kind: "dashboard", target: {}, open: false });
  assertEquals(parseCommandLine(["dashboard", "--open", "--config", "~/m.yaml"], { HOME: "/h" }), {
    kind: "dashboard",
    target: { config: "/h/m.yaml" },
    open: true,
  });
  assertEquals(parseCommandLine(["dashboard", "--control", "/c.sock"]), {
    kind: "dashboard",
    target: { control: "/c.sock" },
    open: false,
  });
  assertThrows(() => parseCommandLine(["dashboard", "now"]), CliError, 'unexpected argument "now"');
  assertThrows(() => parseCommandLine(["dashboard", "--socket", "/s"]), CliError);
  assertEquals(parseCommandLine(["dashboard", "--help"]), { kind: "help", topic: "dashboard" });
});

Deno.test("service: install|uninstall|status, --config, --dry-run", () => {
  assertEquals(parseCommandLine(["service", "install", "--config", "~/m.yaml", "--dry-run"], ENV), {
    kind: "service",
    action: "install",
    config: "/home/ann/m.yaml",
    dryRun: true,
  });
  assertEquals(parseCommandLine(["service", "status"], ENV), {
    kind: "service",
    action: "status",
    dryRun: false,
  });
  assertEquals(parseCommandLine(["service", "--help"], ENV), { kind: "help", topic: "service" });
  refuses(
    ["service", "start"],
    `service: unknown subcommand "start"; try: ${hintCommand()} service install|uninstall|status|restart`,
  );
  refuses(["service", "status", "--dry-run"], /--dry-run is for install and uninstall/);
});

Deno.test("service restart: --config; no --dry-run", () => {
  assertEquals(parseCommandLine(["service", "restart", "--config", "~/m.yaml"], ENV), {
    kind: "service",
    action: "restart",
    config: "/home/ann/m.yaml",
    dryRun: false,
  });
  refuses(["service", "restart", "--dry-run"], /^service restart: --dry-run is for install/);
  refuses(
    ["service", "reboot"],
    `service: unknown subcommand "reboot"; try: ${hintCommand()} service install|uninstall|status|restart`,
  );
});
