/**
 * Health and status that tell the truth: `health` waits for a starting
 * server, calls a lazy idle service healthy and a failed one not; a hung
 * server is found by the liveness probe; a server that refuses `initialize`
 * is failed, not "starting" forever; `status` gives one state per service
 * and exits 1 when a selected one is failed or unresponsive.
 */

import { checkHealth } from "../../src/health/check.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CliProcess, runCli } from "../_helpers/cli.ts";
import { connectClient, fakeServer, RawConnection, ROOT, startMux } from "../_helpers/mux.ts";

const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;
const DENO = Deno.execPath();

Deno.test("health right after start waits for the server to come up (exit 0 once up)", async () => {
  await using m = await startMux(fakeServer("--slow-init", "700"));
  assertEquals(m.mux.status().server.phase, "starting");
  const report = await checkHealth(m.socket, { timeoutMs: 20_000 });
  assertEquals([report.ok, report.state], [true, "running"], report.message);
  assertMatch(report.message, /^OK: server "svc" is up \(pid \d+, ping/);
  const cli = await runCli(["health", "--socket", m.socket]);
  assertEquals(cli.code, 0, cli.stderr);
});

Deno.test("health: a lazy idle service is healthy (exit 0); a failed one is not (exit 1)", async () => {
  await using lazy = await startMux(fakeServer(), { lazyStart: true });
  const idle = await runCli(["health", "--socket", lazy.socket]);
  assertEquals([idle.code, idle.stdout.trim()], [0, 'OK: server "svc" is idle (starts on demand)']);
  assertEquals(lazy.mux.status().server.phase, "idle", "the probe started nothing");

  await using broken = await startMux(fakeServer("--crash-on-start"), { maxRestarts: 1 });
  await broken.mux.waitFor("failed", { timeoutMs: 20_000 });
  const failed = await runCli(["health", "--socket", broken.socket]);
  assertEquals(failed.code, 1);
  assertMatch(failed.stderr, /^server "svc" failed: exit code 3; it exited 2 times within/);
});

Deno.test("a server that gives up at start (no API key) is failed with its last stderr line", async () => {
  const gives = "echo 'starting' >&2; echo 'Error: GITHUB_TOKEN is not set' >&2; exit 1";
  await using m = await startMux({ cmd: "sh", args: ["-c", gives] }, { maxRestarts: 1 });
  const failed = await m.mux.waitFor("failed", { timeoutMs: 20_000 });
  assertEquals(
    failed.reason,
    "exit code 1; it exited 2 times within 10 min (--max-restarts 1); its last stderr line: " +
      '"Error: GITHUB_TOKEN is not set"',
  );
  const health = await runCli(["health", "--socket", m.socket]);
  assertEquals(health.code, 1);
  assertMatch(health.stderr, /failed: exit code 1; .*"Error: GITHUB_TOKEN is not set"/);
});

Deno.test("a server that rejects initialize is failed with its error, retried within the restart budget", async () => {
  await using m = await startMux(fakeServer("--init-error"), { maxRestarts: 2 });
  await using raw = await RawConnection.open(m.socket);
  await raw.send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "r" } },
  });
  const refused = await raw.answer(1);
  assertMatch(
    (refused.error as { message: string }).message,
    /Server "svc" rejected initialize: init refused \(code -32603\)/,
  );
  const failed = await m.mux.waitFor("failed", { timeoutMs: 20_000 });
  assertEquals(failed.pid, undefined, "never 'starting' with a pid forever");
  assertMatch(
    failed.reason!,
    /^rejected initialize: init refused \(code -32603\); it exited 3 times/,
  );
  assertEquals(m.mux.status().restarts.total, 2, "retried with backoff, within the budget");
});

Deno.test("a hung server is detected unresponsive (health says so) and restarted when asked to", async () => {
  // Report only: unresponsive in status and health, the process left alone.
  await using reported = await startMux(fakeServer(), {
    heartbeatTimeoutMs: 400,
    heartbeatMaxFailures: 2,
  });
  await using a = await connectClient(reported.socket, "a");
  void a.client.callTool({ name: "hang", arguments: {} }).catch(() => {});
  const hung = await reported.mux.waitFor("unresponsive", { timeoutMs: 20_000 });
  assertMatch(hung.reason!, /^no answer to 2 pings in a row \(0\.4 s each\)/);
  const health = await checkHealth(reported.socket);
  assertEquals([health.ok, health.state], [false, "unresponsive"]);
  assertMatch(health.message, /^server "svc" is unresponsive: no answer to 2 pings/);

  // heartbeat_restart: the hung process is replaced; the stuck call fails, the next one works.
  await using restarted = await startMux(fakeServer(), {
    heartbeatTimeoutMs: 400,
    heartbeatMaxFailures: 2,
    heartbeatRestart: true,
  });
  await using b = await connectClient(restarted.socket, "b");
  const first = restarted.mux.status().server.pid;
  const stuck = await b.client.callTool({ name: "hang", arguments: {} }).then(
    () => "answered",
    (error: unknown) => String(error),
  );
  assertMatch(stuck, /exited \(unresponsive: no answer to 2 pings/);
  const back = await restarted.mux.waitFor((s) => s.phase === "running" && s.pid !== first, {
    timeoutMs: 20_000,
  });
  assert(back.pid !== undefined);
  const echo = await b.client.callTool({ name: "echo", arguments: { text: "alive" } });
  assertEquals((echo.content as { text: string }[])[0]!.text, "alive");
  assertMatch(restarted.mux.status().lastExit!, /^unresponsive: no answer to 2 pings/);
});

function fleet(dir: string): string {
  const server = (name: string, extra: string[], settings = "") =>
    `  ${name}:\n    socket: ${dir}/${name}.sock\n    cmd: ${DENO}\n` +
    `    args: [run, -A, --quiet, ${FIXTURE}${extra.map((e) => `, "${e}"`).join("")}]\n` +
    settings;
  return [
    "defaults:",
    "  restart_backoff_ms: 20",
    "  restart_backoff_max_ms: 100",
    "servers:",
    server("ok", []),
    server("lazy", [], "    lazy_start: true\n"),
    server("starting", ["--slow-init", "60000"]),
    server(
      "restarting",
      ["--crash-on-start"],
      "    restart_backoff_ms: 60000\n" +
        "    restart_backoff_max_ms: 60000\n    max_restarts: 0\n",
    ),
    server("refuser", ["--init-error"], "    max_restarts: 1\n"),
    server("hung", [], "    heartbeat_timeout_ms: 400\n    heartbeat_max_failures: 1\n"),
  ].join("\n");
}

type StatusJson = {
  services: {
    name: string;
    state: string;
    mux?: { clients: { connected: number }; server: { reason?: string } };
  }[];
};

Deno.test("status: one truthful state per service, in the table's words; exit 1 for failed or unresponsive ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-states-" });
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(config, fleet(dir));
  await using daemon = new CliProcess(["--config", config]);
  await daemon.waitForLine(/Daemon running 6 services/);
  await using hung = await connectClient(`${dir}/hung.sock`, "hung");
  void hung.client.callTool({ name: "hang", arguments: {} }).catch(() => {});
  await using ok = await RawConnection.open(`${dir}/ok.sock`);
  await ok.initialize();

  const expected: Record<string, string> = {
    hung: "unresponsive",
    lazy: "idle",
    ok: "running",
    refuser: "failed",
    restarting: "restarting",
    starting: "starting",
  };
  let status: StatusJson;
  let run: { code: number; stdout: string; stderr: string };
  let polls = 0;
  do { // until the hung one is found out and the refuser's budget is spent
    if (polls++ >= 200) throw new Error(`states never settled: ${run!.stdout}`);
    run = await runCli(["status", "--config", config, "--json"]);
    status = JSON.parse(run.stdout);
  } while (status.services.some((s) => s.state !== expected[s.name]));
  assertEquals(run.code, 1, "a failed and an unresponsive service: exit 1");
  assertMatch(
    status.services.find((s) => s.name === "refuser")!.mux!.server.reason!,
    /^rejected initialize: init refused/,
  );

  const healthy = await runCli([
    "status",
    "--config",
    config,
    "ok",
    "lazy",
    "starting",
    "restarting",
  ]);
  assertEquals(healthy.code, 0, healthy.stderr);
  const rows = Object.fromEntries(
    healthy.stdout.split("\n").slice(2).filter(Boolean).map((line) => {
      const [name, ...rest] = line.split(/\s{2,}/);
      return [name, rest[0]];
    }),
  );
  assertEquals(rows.lazy, "idle (starts on demand)");
  assertEquals(rows.ok, "running");
  assertEquals(rows.starting, "starting");
  assertMatch(rows.restarting!, /^restarting \(restart 1, next try in \d+ s\)$/);
  assertEquals((await runCli(["status", "--config", config, "hung"])).code, 1);
  const refuser = await runCli(["status", "--config", config, "refuser"]);
  assertEquals(refuser.code, 1);
  assertMatch(refuser.stdout, /refuser {2}failed: rejected initialize: init refused/);
  const unknown = await runCli(["status", "--config", config, "nope"]);
  assertEquals(unknown.code, 1);
  assertMatch(unknown.stderr, /unknown service "nope"; this daemon runs: hung, lazy, ok/);

  // Probes are not clients: the status request itself, and health checks, count for nothing.
  await checkHealth(`${dir}/ok.sock`);
  const single = await runCli(["status", "--socket", `${dir}/ok.sock`, "--json"]);
  const okStatus = (JSON.parse(single.stdout) as StatusJson).services[0]!;
  assertEquals([okStatus.state, okStatus.mux!.clients.connected], ["running", 1]);
  assertEquals((await runCli(["shutdown", "--config", config])).code, 0);
  await daemon.child.status;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
});
