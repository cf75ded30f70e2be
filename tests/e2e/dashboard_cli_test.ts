/**
 * `rmcp-mux dashboard` against real daemons: the link comes from the daemon;
 * without an HTTP listener, or without a daemon, it says what to do.
 */

import { assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CliProcess, literal, runCli, TYPED } from "../_helpers/cli.ts";
import { ROOT } from "../_helpers/mux.ts";

const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;

Deno.test("rmcp-mux dashboard: a daemon without an HTTP listener says how to turn it on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-dashcli-" });
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:\n  one:\n    socket: ${dir}/one.sock\n    cmd: ${Deno.execPath()} run -A --quiet ${FIXTURE}\n`,
  );
  await using daemon = new CliProcess(["--config", config]);
  await daemon.waitForLine(/Daemon running 1 services/);
  const run = await runCli(["dashboard", "--open", "--config", config], {
    env: { BROWSER: "/nonexistent/browser" },
  });
  assertEquals(run.code, 1);
  assertEquals(run.stdout, "");
  assertMatch(
    run.stderr,
    new RegExp(
      "^rmcp-mux: this daemon has no HTTP listener, so no dashboard: start it with --http " +
        "127\\.0\\.0\\.1:PORT \\(or set daemon\\.http\\.listen in its config file\\), then run " +
        `${literal(TYPED)} dashboard again\n$`,
    ),
  );
  await runCli(["shutdown", "--config", config]);
  assertEquals((await daemon.child.status).code, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("rmcp-mux --config … --http 127.0.0.1:0, then rmcp-mux dashboard: the link signs a browser in", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-dashcli-" });
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:\n  one:\n    socket: ${dir}/one.sock\n    cmd: ${Deno.execPath()} run -A --quiet ${FIXTURE}\n`,
  );
  const env = { XDG_STATE_HOME: `${dir}/state` };
  await using daemon = new CliProcess(["--config", config, "--http", "127.0.0.1:0"], env);
  await daemon.waitForLine(/Daemon running 1 services/);
  const run = await runCli(["dashboard", "--config", config], { env });
  assertEquals(run.code, 0, run.stderr);
  const url = run.stdout.trim();
  assertMatch(url, /^http:\/\/127\.0\.0\.1:\d+\/login\?code=[\w-]{43}$/);
  const login = await fetch(url, { redirect: "manual" });
  await login.body?.cancel();
  assertEquals(login.status, 303);
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  const origin = new URL(url).origin;
  const claim = await fetch(`${origin}/api/key`, { method: "POST", headers: { cookie, origin } });
  const { key } = await claim.json();
  const status = await fetch(new URL("/api/status", url), {
    headers: { cookie, "x-rmcp-mux-key": key },
  });
  assertEquals(status.status, 200);
  assertEquals((await status.json()).daemon.services[0].name, "one");
  // The link works once.
  const again = await fetch(url, { redirect: "manual" });
  assertEquals(again.status, 401);
  await again.body?.cancel();
  await runCli(["shutdown", "--config", config]);
  assertEquals((await daemon.child.status).code, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("rmcp-mux dashboard: no daemon, one line saying so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-dashcli-" });
  const run = await runCli(["dashboard", "--control", `${dir}/none.sock`]);
  assertEquals(run.code, 1);
  assertMatch(run.stderr, /^rmcp-mux: .*none\.sock.*\n$/);
  await Deno.remove(dir, { recursive: true });
});
