import { assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { parseYaml, yamlProblems } from "./_support.ts";

const GITHUB = ["servers:", "  github:", "    socket: /run/gh.sock", "    cmd: gh-server"];

Deno.test("parseConfig: defaults apply to every server; the entry's own value wins", () => {
  const config = parseYaml([
    "defaults:",
    "  max_restarts: 10",
    "  lazy_start: true",
    "  cwd: /srv",
    "  log_level: debug",
    "  env: { SHARED: d, OVERRIDDEN: d }",
    "servers:",
    "  a: { socket: /a.sock, cmd: a, max_restarts: 3, log_level: error, env: { OVERRIDDEN: a } }",
    "  b: { socket: /b.sock, cmd: b, lazy_start: false, cwd: /b }",
  ]);
  const [a, b] = config.services;
  assertEquals(a?.options, {
    socket: "/a.sock",
    cmd: "a",
    args: [],
    serviceName: "a",
    cwd: "/srv",
    env: { SHARED: "d", OVERRIDDEN: "a" },
    lazyStart: true,
    maxRestarts: 3,
  });
  assertStrictEquals(a?.logLevel, "error");
  assertEquals(b?.options, {
    socket: "/b.sock",
    cmd: "b",
    args: [],
    serviceName: "b",
    cwd: "/b",
    env: { SHARED: "d", OVERRIDDEN: "d" },
    lazyStart: false,
    maxRestarts: 10,
  });
  assertStrictEquals(b?.logLevel, "debug");
});

Deno.test("parseConfig: a cmd with spaces and no args is split like the CLI's --cmd", () => {
  const [s] = parseYaml([
    "servers:",
    `  x: { socket: /x.sock, cmd: 'npx -y "my server" --root ~/p' }`,
  ]).services;
  assertStrictEquals(s?.options.cmd, "npx");
  assertEquals(s?.options.args, ["-y", "my server", "--root", "/home/ada/p"]);
});

Deno.test("parseConfig: cmd plus args is taken as-is, spaces and all", () => {
  const [s] = parseYaml([
    "servers:",
    "  x: { socket: /x.sock, cmd: /opt/My App/server, args: ['--name', 'a b'] }",
  ]).services;
  assertStrictEquals(s?.options.cmd, "/opt/My App/server");
  assertEquals(s?.options.args, ["--name", "a b"]);
  const [empty] = parseYaml(["servers:", "  x: { socket: /x.sock, cmd: /opt/My App, args: [] }"])
    .services;
  assertStrictEquals(empty?.options.cmd, "/opt/My App");
});

Deno.test("parseConfig: a cmd with an open quote names the problem", () => {
  assertEquals(yamlProblems(["servers:", `  x: { socket: /x.sock, cmd: 'npx "oops' }`]), [
    `config.yaml:2:30 servers.x.cmd: cannot split into program and arguments: ` +
    `unterminated double quote in: npx "oops`,
  ]);
});

Deno.test("validation: duplicate sockets name both services, after expansion", () => {
  assertEquals(
    yamlProblems([
      "servers:",
      "  a: { socket: ~/mux/x.sock, cmd: a }",
      "  b: { socket: '${HOME}/mux//x.sock', cmd: b }",
    ]),
    [
      "config.yaml:3:16 servers.b.socket: servers.a and servers.b use the same socket " +
      "(~/mux/x.sock and ${HOME}/mux//x.sock): each service needs its own",
    ],
  );
  assertEquals(
    yamlProblems([
      "servers:",
      "  a: { socket: /a.sock, cmd: a, status_file: /s.json }",
      "  b: { socket: /b.sock, cmd: b, status_file: /s.json }",
    ]),
    [
      "config.yaml:3:46 servers.b.status_file: servers.a and servers.b use the same " +
      "status_file (/s.json): each service needs its own",
    ],
  );
});

Deno.test("validation: service names are letters, digits, . _ - @", () => {
  assertEquals(yamlProblems(["servers:", '  "my server": { socket: /x.sock, cmd: x }']), [
    `config.yaml:2:3 servers["my server"]: "my server" is not a service name: letters, ` +
    `digits, ".", "_", "-", "@"`,
  ]);
  assertEquals(yamlProblems([...GITHUB, "    service_name: git hub"]), [
    "config.yaml:5:19 servers.github.service_name: expected a service name: letters, digits, " +
    `".", "_", "-", "@", got "git hub"`,
  ]);
  const config = parseYaml(["servers:", "  my.svc_1-x@2: { socket: /x.sock, cmd: x }"]);
  assertStrictEquals(config.services[0]?.options.serviceName, "my.svc_1-x@2");
});

Deno.test("validation: restart_backoff_max_ms must not be below restart_backoff_ms", () => {
  assertEquals(yamlProblems([...GITHUB, "    restart_backoff_ms: 60000"]), [
    "config.yaml:5:25 servers.github.restart_backoff_ms: restart_backoff_max_ms (30000) must be " +
    "≥ restart_backoff_ms (60000)",
  ]);
  // A bad value under defaults is reported once, not once per server.
  assertEquals(
    yamlProblems([
      "defaults: { restart_backoff_max_ms: 10 }",
      "servers:",
      "  a: { socket: /a.sock, cmd: a }",
      "  b: { socket: /b.sock, cmd: b }",
    ]),
    [
      "config.yaml:1:37 defaults.restart_backoff_max_ms: restart_backoff_max_ms (10) must be " +
      "≥ restart_backoff_ms (1000)",
    ],
  );
});
