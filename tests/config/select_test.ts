import { assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { DEFAULTS } from "../../src/config/options.ts";
import { selectServices } from "../../src/config/select.ts";
import type { MuxFileConfig } from "../../src/config/types.ts";
import { parseYaml, problems } from "./_support.ts";

/** Three services; `defaults:` sets some keys, the entries override some of those. */
const CONFIG: MuxFileConfig = parseYaml([
  "defaults:",
  "  max_restarts: 10",
  "  request_timeout_ms: 60000",
  "  log_level: debug",
  "  env: { SHARED: defaults, LEVEL: defaults }",
  "servers:",
  "  memory:",
  "    socket: /run/memory.sock",
  "    cmd: mem",
  "    max_restarts: 3",
  "    lazy_start: true",
  "    log_level: warn",
  "    env: { LEVEL: entry }",
  "  github:",
  "    socket: /run/github.sock",
  "    cmd: gh --stdio",
  "    status_file: /run/github.json",
  "  fs:",
  "    socket: /run/fs.sock",
  "    cmd: fs",
  "    args: [/srv]",
  "    max_active_clients: 4",
]);

const byName = (name: string) => (s: { name: string }) => s.name === name;

Deno.test("selectServices: all services, sorted by name, every default filled in", () => {
  const selected = selectServices(CONFIG, {}, {});
  assertEquals(selected.map((s) => s.name), ["fs", "github", "memory"]);
  const github = selected.find(byName("github"))!;
  assertEquals(github.options, {
    ...DEFAULTS,
    socket: "/run/github.sock",
    cmd: "gh",
    args: ["--stdio"],
    cwd: undefined,
    env: { SHARED: "defaults", LEVEL: "defaults" },
    serviceName: "github",
    maxRestarts: 10,
    requestTimeoutMs: 60000,
    statusFile: "/run/github.json",
    redact: [],
    isolation: undefined,
    idleTimeoutMs: undefined,
  });
  assertStrictEquals(github.logLevel, "debug");
  assertStrictEquals(github.statusFile, "/run/github.json");
});

Deno.test("precedence: CLI > entry > defaults > built-in, key by key", () => {
  const plain = selectServices(CONFIG, {}, {});
  const cli = selectServices(CONFIG, { maxRestarts: 1, lazyStart: false, logLevel: "error" }, {});
  const of = (list: typeof plain, name: string) => list.find(byName(name))!;

  // max_restarts: memory's entry (3) beats defaults (10); the CLI (1) beats both.
  assertStrictEquals(of(plain, "memory").options.maxRestarts, 3);
  assertStrictEquals(of(plain, "fs").options.maxRestarts, 10);
  assertStrictEquals(of(cli, "memory").options.maxRestarts, 1);
  assertStrictEquals(of(cli, "fs").options.maxRestarts, 1);

  // request_timeout_ms: defaults (60000) beats the built-in; no entry sets it.
  assertStrictEquals(of(plain, "fs").options.requestTimeoutMs, 60000);
  // max_active_clients: fs's entry, else the built-in.
  assertStrictEquals(of(plain, "fs").options.maxActiveClients, 4);
  assertStrictEquals(of(plain, "memory").options.maxActiveClients, DEFAULTS.maxActiveClients);

  // lazy_start: the entry's true, unless the CLI says otherwise.
  assertStrictEquals(of(plain, "memory").options.lazyStart, true);
  assertStrictEquals(of(cli, "memory").options.lazyStart, false);

  // log level: CLI > entry (warn) > defaults (debug) > "info".
  assertStrictEquals(of(plain, "memory").logLevel, "warn");
  assertStrictEquals(of(plain, "fs").logLevel, "debug");
  assertStrictEquals(of(cli, "memory").logLevel, "error");
  const bare = parseYaml(["servers:", "  a: { socket: /a.sock, cmd: a }"]);
  assertStrictEquals(selectServices(bare, {}, {})[0]?.logLevel, "info");
});

Deno.test("precedence: env is merged per variable, CLI > entry > defaults", () => {
  const [memory] = selectServices(CONFIG, { env: { CLI: "cli", SHARED: "cli" } }, {
    service: "memory",
  });
  assertEquals(memory?.options.env, { SHARED: "cli", LEVEL: "entry", CLI: "cli" });
});

Deno.test("filters: --service, --only, --except", () => {
  const names = (filter: Parameters<typeof selectServices>[2]) =>
    selectServices(CONFIG, {}, filter).map((s) => s.name);
  assertEquals(names({ service: "github" }), ["github"]);
  assertEquals(names({ only: ["memory", "fs"] }), ["fs", "memory"]);
  assertEquals(names({ except: ["github"] }), ["fs", "memory"]);
  assertEquals(names({ only: ["memory", "github"], except: ["github"] }), ["memory"]);
});

Deno.test("filters: unknown names are errors listing the known services", () => {
  assertEquals(problems(() => selectServices(CONFIG, {}, { service: "gihub" })), [
    'unknown service "gihub" (--service); known services in config.yaml: fs, github, memory',
  ]);
  assertEquals(
    problems(() => selectServices(CONFIG, {}, { only: ["memory", "mem"], except: ["x"] })),
    [
      'unknown services "mem" (--only), "x" (--except); known services in config.yaml: fs, ' +
      "github, memory",
    ],
  );
});

Deno.test("filters: an empty selection is an error", () => {
  assertEquals(
    problems(() => selectServices(CONFIG, {}, { except: ["fs", "github", "memory"] })),
    [
      "no services to start (check --only/--except); known services in config.yaml: fs, " +
      "github, memory",
    ],
  );
  assertEquals(problems(() => selectServices(CONFIG, {}, { only: [] })), [
    "no services to start (check --only/--except); known services in config.yaml: fs, " +
    "github, memory",
  ]);
  assertEquals(problems(() => selectServices(CONFIG, {}, { service: "fs", only: ["fs"] })), [
    "--service picks one service; it cannot be combined with --only or --except",
  ]);
});

Deno.test("single-service flags are refused when more than one service is selected", () => {
  assertEquals(problems(() => selectServices(CONFIG, { socket: "/x.sock" }, {})), [
    "--socket applies to one service, but 3 are selected (fs, github, memory): " +
    "pick one with --service NAME",
  ]);
  assertEquals(
    problems(() =>
      selectServices(
        CONFIG,
        { cmd: "x", args: ["a"], serviceName: "x", statusFile: "/s.json" },
        { except: ["fs"] },
      )
    ),
    [
      "--cmd, server arguments after --, --service-name, --status-file apply to one service, " +
      "but 2 are selected (github, memory): pick one with --service NAME",
    ],
  );
  // An empty argument list is no argument at all.
  assertStrictEquals(selectServices(CONFIG, { args: [] }, {}).length, 3);
});

Deno.test("single-service flags apply when one service is selected", () => {
  const [github] = selectServices(
    CONFIG,
    { socket: "/tmp/gh.sock", serviceName: "gh2", statusFile: "/tmp/gh.json" },
    { service: "github" },
  );
  assertStrictEquals(github?.options.socket, "/tmp/gh.sock");
  assertStrictEquals(github?.options.serviceName, "gh2");
  assertStrictEquals(github?.statusFile, "/tmp/gh.json");
  assertStrictEquals(github?.options.statusFile, "/tmp/gh.json");
  assertEquals([github?.options.cmd, github?.options.args], ["gh", ["--stdio"]]);

  // A CLI cmd replaces the entry's cmd and args together.
  const [fs] = selectServices(CONFIG, { cmd: "other" }, { only: ["fs"] });
  assertEquals([fs?.options.cmd, fs?.options.args], ["other", []]);
  const [fs2] = selectServices(CONFIG, { cmd: "other", args: ["-v"] }, { only: ["fs"] });
  assertEquals([fs2?.options.cmd, fs2?.options.args], ["other", ["-v"]]);
});

Deno.test("settings that fail resolveOptions after CLI flags name the service", () => {
  const lines = problems(() => selectServices(CONFIG, { restartBackoffMs: 60_000 }, {}));
  assertStrictEquals(lines.length, 3);
  assertEquals(
    lines[0],
    "config.yaml servers.fs: restartBackoffMaxMs (30000) must be ≥ restartBackoffMs (60000) " +
      "(after command-line flags)",
  );
});

Deno.test("selectServices does not change the loaded config", () => {
  const before = structuredClone(CONFIG);
  selectServices(CONFIG, { env: { X: "1" }, maxRestarts: 0 }, {});
  assertEquals(CONFIG, before);
});
