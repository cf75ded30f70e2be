import { assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { ENV, parseYaml } from "./_support.ts";

const GITHUB = ["servers:", "  github:", "    socket: /run/gh.sock", "    cmd: gh-server"];

Deno.test("parseConfig: a minimal file", () => {
  const config = parseYaml(["servers:", "  memory:", "    socket: /run/m.sock", "    cmd: mem"]);
  assertStrictEquals(config.path, "config.yaml");
  assertEquals(config.daemon, {});
  assertEquals(config.warnings, []);
  assertEquals(config.services, [{
    name: "memory",
    options: { socket: "/run/m.sock", cmd: "mem", args: [], serviceName: "memory" },
  }]);
});

Deno.test("parseConfig: every server key maps to its MuxOptions field", () => {
  const config = parseYaml([
    ...GITHUB,
    "    args: [a, b]",
    "    cwd: /srv",
    "    env: { A: x }",
    "    service_name: gh",
    "    max_active_clients: 2",
    "    client_wait_ms: 3",
    "    lazy_start: true",
    "    serialize: true",
    "    upstream_era: modern",
    "    max_request_bytes: 100",
    "    max_response_bytes: 200",
    "    request_timeout_ms: 0",
    "    restart_backoff_ms: 4",
    "    restart_backoff_max_ms: 5",
    "    max_restarts: 0",
    "    log_level: warn",
    "    status_file: /run/gh.json",
  ]);
  assertEquals(config.services[0], {
    name: "github",
    options: {
      socket: "/run/gh.sock",
      cmd: "gh-server",
      args: ["a", "b"],
      cwd: "/srv",
      env: { A: "x" },
      serviceName: "gh",
      maxActiveClients: 2,
      clientWaitMs: 3,
      lazyStart: true,
      serialize: true,
      upstreamEra: "modern",
      maxRequestBytes: 100,
      maxResponseBytes: 200,
      requestTimeoutMs: 0,
      restartBackoffMs: 4,
      restartBackoffMaxMs: 5,
      maxRestarts: 0,
      statusFile: "/run/gh.json",
    },
    logLevel: "warn",
    statusFile: "/run/gh.json",
  });
});

Deno.test("parseConfig: cancel_grace_ms, under defaults or a server's own, in YAML, JSON and TOML", () => {
  const yaml = parseYaml([
    "defaults:",
    "  cancel_grace_ms: 1000",
    "servers:",
    "  a: { socket: /a.sock, cmd: a }",
    "  b: { socket: /b.sock, cmd: b, cancel_grace_ms: 0 }",
  ]);
  const graces = yaml.services.map((s) => `${s.name} ${s.options.cancelGraceMs}`);
  assertEquals(graces, ["a 1000", "b 0"], "the defaults' value, and b's own 0");
  const json = parseConfig(
    '{"servers": {"a": {"socket": "/a.sock", "cmd": "a", "cancel_grace_ms": 60000}}}',
    "mux.json",
    { env: ENV },
  );
  assertStrictEquals(json.services[0]!.options.cancelGraceMs, 60_000);
  const toml = parseConfig(
    '[servers.a]\nsocket = "/a.sock"\ncmd = "a"\ncancel_grace_ms = 250\n',
    "mux.toml",
    { env: ENV },
  );
  assertStrictEquals(toml.services[0]!.options.cancelGraceMs, 250);
});

Deno.test("parseConfig: daemon settings", () => {
  const config = parseYaml([
    "daemon:",
    "  control: ~/.rmcp-mux/control.sock",
    "  log_format: json",
    "  log_level: debug",
    "  status_file: ${STATE:-/var/lib}/status.json",
    ...GITHUB,
  ]);
  assertEquals(config.daemon, {
    control: "/home/ada/.rmcp-mux/control.sock",
    logFormat: "json",
    logLevel: "debug",
    statusFile: "/var/lib/status.json",
  });
});

Deno.test("parseConfig: services come sorted by name; $schema and version are tolerated", () => {
  const config = parseYaml([
    "$schema: ./docs/config.schema.json",
    "version: 1",
    "servers:",
    "  zeta: { socket: /z.sock, cmd: z }",
    "  Alpha: { socket: /A.sock, cmd: a }",
    "  beta: { socket: /b.sock, cmd: b }",
  ]);
  assertEquals(config.services.map((s) => s.name), ["Alpha", "beta", "zeta"]);
});

Deno.test("Rust keys: tray and heartbeat_interval_ms warn and change nothing; heartbeat_* configure the probe", () => {
  const config = parseYaml([
    "defaults: { heartbeat_enabled: true, heartbeat_restart: true }",
    ...GITHUB,
    "    tray: true",
    "    heartbeat_interval_ms: 1000",
    "    heartbeat_timeout_ms: 1000",
    "    heartbeat_max_failures: 3",
  ]);
  assertEquals(config.warnings, [
    "config.yaml:6:5 servers.github.tray: ignored: the Rust rmcp-mux's tray icon is not supported",
    "config.yaml:7:5 servers.github.heartbeat_interval_ms: ignored: the liveness probe pings " +
    "only a server that has requests in flight and has been silent for heartbeat_timeout_ms, " +
    "not on a timer",
  ]);
  assertEquals(config.services[0]?.options, {
    socket: "/run/gh.sock",
    cmd: "gh-server",
    args: [],
    serviceName: "github",
    heartbeatEnabled: true,
    heartbeatTimeoutMs: 1000,
    heartbeatMaxFailures: 3,
    heartbeatRestart: true,
  });
});

Deno.test("YAML anchors and merge keys work", () => {
  const config = parseYaml([
    "servers:",
    "  a: &a { socket: /a.sock, cmd: npx, max_restarts: 7 }",
    "  b: { <<: *a, socket: /b.sock }",
  ]);
  assertEquals(config.services.map((s) => [s.options.socket, s.options.maxRestarts]), [
    ["/a.sock", 7],
    ["/b.sock", 7],
  ]);
});

Deno.test("parseConfig: daemon.http, with the token file expanded", async () => {
  const config = parseYaml([
    "daemon:",
    "  http:",
    "    listen: 127.0.0.1:7300",
    "    auth: none",
    "    allow_remote: false",
    "    session_idle_ms: 60000",
    "    max_sessions: 16",
    "    max_requests: 32",
    "    token_file: ~/secrets/http.token",
    ...GITHUB,
  ]);
  assertEquals(config.daemon, {
    http: {
      listen: "127.0.0.1:7300",
      auth: "none",
      allowRemote: false,
      sessionIdleMs: 60000,
      maxSessions: 16,
      maxRequests: 32,
      tokenFile: "/home/ada/secrets/http.token",
    },
  });
  const { yamlProblems } = await import("./_support.ts");
  const bad = yamlProblems([
    "daemon:",
    "  http:",
    "    listen: nowhere",
    "    auth: maybe",
    ...GITHUB,
  ]);
  assertStrictEquals(bad.length, 2, bad.join("\n"));
  assertStrictEquals(
    bad.some((p) => /daemon\.http\.listen.*HOST:PORT/.test(p)),
    true,
    bad.join("\n"),
  );
  assertStrictEquals(
    bad.some((p) => /daemon\.http\.auth.*token, none/.test(p)),
    true,
    bad.join("\n"),
  );
});
