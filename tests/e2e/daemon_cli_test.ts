/**
 * One YAML file runs a fleet in one daemon process; `rmcp-mux status` shows
 * it truthfully; restart/stop/start/reload/SIGHUP work on the live daemon
 * without disturbing other services.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CliProcess, runCli, TYPED } from "../_helpers/cli.ts";
import { connectClient, RawConnection, ROOT, textOf } from "../_helpers/mux.ts";
import { tempDir } from "../_helpers/temp.ts";

const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;
const DENO = Deno.execPath();

function fleet(dir: string, extra = ""): string {
  return `# a fleet: one real reference server, one steady fixture, one crash loop
defaults:
  restart_backoff_ms: 20
  restart_backoff_max_ms: 100
servers:
  everything:
    socket: ${dir}/everything.sock
    cmd: ${DENO}
    args: [run, -A, --quiet, "npm:@modelcontextprotocol/server-everything@2026.8.31", stdio]
    cwd: ${ROOT}
  steady:
    socket: ${dir}/steady.sock
    cmd: ${DENO} run -A --quiet ${FIXTURE}
  crashy:
    socket: ${dir}/crashy.sock
    cmd: ${DENO}
    args: [run, -A, --quiet, ${FIXTURE}, --crash-on-start]
    max_restarts: 0
${extra}`;
}

async function statusJson(config: string) {
  const run = await runCli(["status", "--config", config, "--json"]);
  assertEquals(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as {
    services: {
      name: string;
      state: string;
      mux?: { server: { phase: string; pid?: number }; restarts: { total: number } };
    }[];
  };
}

Deno.test("a fleet from one file: real clients served while a neighbour crash-loops; status tells the truth", async () => {
  await using dir = await tempDir("rmcp-mux-fleet-");
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(config, fleet(dir));
  await using daemon = new CliProcess(["--config", config]);
  await daemon.waitForLine(
    /Daemon running 3 services; control socket .*\/mux-[0-9a-f]{8}\.control\.sock/,
  );
  await using real = await connectClient(`${dir}/everything.sock`, "real");
  await using steady = await RawConnection.open(`${dir}/steady.sock`);
  await steady.initialize();
  for (let i = 0; i < 10; i++) {
    const echo = await real.client.callTool({ name: "echo", arguments: { message: `m${i}` } });
    assertEquals(textOf(echo), `Echo: m${i}`);
    await steady.send({
      jsonrpc: "2.0",
      id: i,
      method: "tools/call",
      params: { name: "echo", arguments: { text: `s${i}` } },
    });
    assertEquals(textOf((await steady.answer(i)).result), `s${i}`);
  }
  const status = await statusJson(config);
  assertEquals(status.services.map((s) => s.name), ["crashy", "everything", "steady"]);
  const crashy = status.services[0]!;
  assert(crashy.mux!.restarts.total > 0, "the crash loop shows in status");
  assertEquals(status.services[2]!.mux!.restarts.total, 0);
  const text = await runCli(["status", "--config", config]);
  assertMatch(text.stdout, /^crashy\s+(restarting|starting)/m);
  assertMatch(text.stdout, /^everything\s+running\s+\d+/m);
  const verbose = await runCli(["status", "--config", config, "-v"]);
  assertMatch(verbose.stdout, /stderr: fake server: crashing on start as asked/);
  // A restart that does not end in a running server is not a success.
  const again = await runCli(["restart", "crashy", "--config", config]);
  assertEquals(again.code, 1);
  assertMatch(again.stderr, /restarted crashy: (starting|restarting|failed)/);
  // shutdown: exit 0, every socket gone.
  const shutdown = await runCli(["shutdown", "--config", config]);
  assertEquals(shutdown.code, 0);
  assertEquals((await daemon.child.status).code, 0);
  const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".sock"));
  assertEquals(left, []);
});

Deno.test("control commands and SIGHUP reload on a live daemon; bad files are refused", async () => {
  await using dir = await tempDir("rmcp-mux-fleet-");
  const config = `${dir}/mux.yaml`;
  const one = (name: string, flags = "") =>
    `  ${name}:\n    socket: ${dir}/${name}.sock\n    cmd: ${DENO} run -A --quiet ${FIXTURE} ${flags}\n`;
  await Deno.writeTextFile(config, `servers:\n${one("keep")}${one("change")}${one("drop")}`);
  await using daemon = new CliProcess(["--config", config]);
  await daemon.waitForLine(/Daemon running 3 services/);
  await using kept = await RawConnection.open(`${dir}/keep.sock`);
  await kept.initialize();

  const restart = await runCli(["restart", "keep", "--config", config]);
  assertEquals(restart.code, 0, restart.stderr);
  assertMatch(restart.stdout, /^restarted keep: running \(pid \d+\)/);
  await kept.send({ jsonrpc: "2.0", id: "r", method: "ping" });
  assertEquals((await kept.answer("r")).result, {}, "still connected across the restart");

  assertMatch(
    (await runCli(["stop", "drop", "--config", config])).stdout,
    /^stopped drop: stopped/,
  );
  assertMatch(
    (await runCli(["start", "drop", "--config", config])).stdout,
    /^started drop: running/,
  );
  const unknown = await runCli(["stop", "ghost", "--config", config]);
  assertEquals(unknown.code, 1);
  assertMatch(unknown.stderr, /unknown service "ghost"; this daemon runs: change, drop, keep/);

  // SIGHUP: add one, remove one, change one, keep one.
  await Deno.writeTextFile(
    config,
    `servers:\n${one("keep")}${one("change", "--no-list-changed")}${one("added")}`,
  );
  daemon.child.kill("SIGHUP");
  await daemon.waitForLine(/Reloaded: 1 added, 1 removed, 1 changed, 1 unchanged/);
  await kept.send({ jsonrpc: "2.0", id: "k", method: "ping" });
  assertEquals((await kept.answer("k")).result, {}, "the unchanged service kept its client");
  const names = (await statusJson(config)).services.map((s) => s.name);
  assertEquals(names, ["added", "change", "keep"]);

  // A broken file is refused; the running configuration stays.
  await Deno.writeTextFile(
    config,
    `servers:\n  keep:\n    socket: ${dir}/keep.sock\n    cmd: 42\n`,
  );
  const reload = await runCli(["reload", "--config", config]);
  assertEquals(reload.code, 1);
  assertMatch(reload.stderr, /mux\.yaml:4:\d+ servers\.keep\.cmd/);
  assertEquals((await statusJson(config)).services.length, 3);
  await runCli(["shutdown", "--config", config]);
  assertEquals((await daemon.child.status).code, 0);
});

Deno.test("config check: resolved services on success; file:line:col and the key on failure", async () => {
  await using dir = await tempDir("rmcp-mux-fleet-");
  const good = `${dir}/good.yaml`;
  await Deno.writeTextFile(
    good,
    `servers:\n  memory:\n    socket: ~/m.sock\n    cmd: npx -y server-memory\n    env:\n      TOKEN: s3cret\n`,
  );
  const ok = await runCli(["config", "check", good]);
  assertEquals(ok.code, 0, ok.stderr);
  assertMatch(ok.stdout, /memory\n {2}socket: {2}\/.*\/m\.sock\n {2}command: npx -y server-memory/);
  assertMatch(ok.stdout, /env: {5}TOKEN=\*\*\*/);
  assert(!ok.stdout.includes("s3cret"), "secrets are never printed");
  const bad = `${dir}/bad.yaml`;
  await Deno.writeTextFile(
    bad,
    `servers:\n  github:\n    socket: /s\n    cmd: x\n    max_restarts: five\n`,
  );
  const failed = await runCli(["config", "check", bad]);
  assertEquals(failed.code, 1);
  assertMatch(
    failed.stderr,
    /bad\.yaml:5:19 servers\.github\.max_restarts: expected a whole number/,
  );
});

Deno.test("no --cmd, no --config and no default file: one clear line, exit 2", async () => {
  await using dir = await tempDir("rmcp-mux-fleet-");
  const run = await runCli([], { env: { XDG_CONFIG_HOME: `${dir}/nothing-here` } });
  assertEquals(run.code, 2);
  assertMatch(run.stderr, /nothing to run: give --socket PATH --cmd PROGRAM .* or --config FILE/);
});

Deno.test("a secret passed as an argument via ${VAR} never reaches logs or config check", async () => {
  await using dir = await tempDir("rmcp-mux-fleet-");
  const config = `${dir}/secret.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:\n  gh:\n    socket: ${dir}/gh.sock\n    cmd: ${DENO}\n` +
      `    args: [run, -A, --quiet, ${FIXTURE}, --token, "\${RMCP_TEST_TOKEN}"]\n`,
  );
  const env = { RMCP_TEST_TOKEN: "tok-hunter2-secret" };
  const check = await runCli(["config", "check", config], { env });
  assertEquals(check.code, 0, check.stderr);
  assertMatch(check.stdout, /--token \*\*\*/);
  assert(!check.stdout.includes("hunter2"), "config check masks it");
  const daemon = new CliProcess(["--config", config], env);
  try {
    const started = await daemon.waitForLine(/Started server \(pid \d+\)/);
    assertMatch(started, /--token \*\*\*/);
    assert(!started.includes("hunter2"), "the log masks it");
  } finally {
    await runCli(["shutdown", "--config", config], { env });
    await daemon[Symbol.asyncDispose]();
  }
  assert(!daemon.lines.some((line) => line.includes("hunter2")));
});

Deno.test("admin commands find the daemon even without the variables only its environment has", async () => {
  await using dir = await tempDir("rmcp-mux-fleet-");
  const config = `${dir}/env.yaml`;
  await Deno.writeTextFile(
    config,
    `daemon:\n  control: ${dir}/custom-control.sock\n` +
      `servers:\n  s:\n    socket: ${dir}/s.sock\n    cmd: ${DENO}\n` +
      `    args: [run, -A, --quiet, ${FIXTURE}, --token, "\${ONLY_IN_DAEMON_ENV}"]\n`,
  );
  await using daemon = new CliProcess(["--config", config], { ONLY_IN_DAEMON_ENV: "x1y2z3" });
  await daemon.waitForLine(/Daemon running 1 services; control socket .*custom-control\.sock/);
  // This shell lacks ONLY_IN_DAEMON_ENV: the file does not load as a whole here.
  const status = await runCli(["status", "--config", config, "--json"]);
  assertEquals(status.code, 0, status.stderr);
  assertEquals(JSON.parse(status.stdout).services[0].name, "s");
  assertEquals((await runCli(["shutdown", "--config", config])).code, 0);
  assertEquals((await daemon.child.status).code, 0);
});

Deno.test("a request cut short by stop, a reload or shutdown says which (-32006)", async () => {
  await using dir = await tempDir("rmcp-mux-fleet-");
  const config = `${dir}/mux.yaml`;
  const file = (...services: string[]) => `servers:\n${services.join("")}`;
  const one = (name: string, socket = name) =>
    `  ${name}:\n    socket: ${dir}/${socket}.sock\n    cmd: ${DENO} run -A --quiet ${FIXTURE}\n`;
  await Deno.writeTextFile(
    config,
    file(one("stopped"), one("dropped"), one("moved"), one("kept")),
  );
  await using daemon = new CliProcess(["--config", config]);
  await daemon.waitForLine(/Daemon running 4 services/);
  /**
   * A client whose `sleep` call the server is working on (it reported
   * progress); resolves to the error that call ends with.
   */
  const cutShort = async (name: string) => {
    const raw = await RawConnection.open(`${dir}/${name}.sock`);
    await raw.initialize();
    await raw.send({
      jsonrpc: "2.0",
      id: "long",
      method: "tools/call",
      params: { name: "sleep", arguments: { ms: 60_000 }, _meta: { progressToken: "p" } },
    });
    while (true) {
      const note = await raw.next();
      if (note && !Array.isArray(note) && note.method === "notifications/progress") break;
    }
    // Read on while the mux stops, as a client does.
    const answer = raw.answer("long").finally(() => raw[Symbol.asyncDispose]());
    return {
      error: async () =>
        (await answer).error as { code: number; message: string; data: Record<string, unknown> },
    };
  };

  const stopped = await cutShort("stopped");
  assertEquals((await runCli(["stop", "stopped", "--config", config])).code, 0);
  const stop = await stopped.error();
  assertEquals([stop.code, stop.data], [-32006, { service: "stopped", reason: "stop" }]);
  assertEquals(
    stop.message,
    'service "stopped" was stopped by `rmcp-mux stop stopped` (or the dashboard); ' +
      "tools/call was not completed: " +
      `start the service again with \`${TYPED} start stopped\` and send it again`,
  );

  // One reload: "dropped" leaves the file, "moved" gets a new socket (a new mux).
  const dropped = await cutShort("dropped");
  const moved = await cutShort("moved");
  await Deno.writeTextFile(config, file(one("stopped"), one("moved", "moved2"), one("kept")));
  assertEquals((await runCli(["reload", "--config", config])).code, 0);
  const removed = await dropped.error();
  assertEquals([removed.code, removed.data], [-32006, { service: "dropped", reason: "removed" }]);
  assertEquals(
    removed.message,
    'service "dropped" was removed from the config by a reload; tools/call was not completed: ' +
      `the service is gone until the config names it again and \`${TYPED} reload\` runs`,
  );
  const recreated = await moved.error();
  assertEquals([recreated.code, recreated.data], [-32006, {
    service: "moved",
    reason: "recreated",
  }]);
  assertEquals(
    recreated.message,
    'service "moved" was restarted by a reload that changed its socket or settings; ' +
      "tools/call was not completed: connect to the service again and send it again",
  );

  const kept = await cutShort("kept");
  assertEquals((await runCli(["shutdown", "--config", config])).code, 0);
  const shutdown = await kept.error();
  assertEquals([shutdown.code, shutdown.data], [-32006, { service: "kept", reason: "shutdown" }]);
  assertEquals(
    shutdown.message,
    "rmcp-mux is shutting down; tools/call was not completed: send it again once rmcp-mux is back",
  );
  assertEquals((await daemon.child.status).code, 0);
});
