/**
 * A proxy nobody notices: the real SDK client, launched as a host launches
 * servers, keeps one session through a reload, a `restart NAME`, and a
 * daemon killed with SIGKILL and started again — requests in flight get a
 * clear error, requests sent meanwhile are held and answered, and the
 * subscription and log level come back.
 */

import { assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import { CliProcess, runCli } from "../_helpers/cli.ts";
import { ROOT, textOf } from "../_helpers/mux.ts";
import { type Note, ProxyHost, RawProxy } from "../_helpers/proxy_host.ts";
import { sandbox } from "../_helpers/temp.ts";

const DENO = Deno.execPath();
const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;

function everything(dir: string, extra = ""): string {
  return `servers:\n  everything:\n    socket: ${dir}/everything.sock\n    cmd: ${DENO}\n` +
    `    args: [run, -A, --quiet, "npm:@modelcontextprotocol/server-everything@2026.8.31", stdio]\n` +
    `    cwd: ${ROOT}\n${extra}`;
}

async function echo(host: ProxyHost, message: string): Promise<string> {
  return textOf(await host.client.callTool({ name: "echo", arguments: { message } }));
}

Deno.test("one SDK session through a proxy survives a reload, a restart and a daemon kill -9", async () => {
  await using box = await sandbox("rmcp-mux-proxy-");
  const config = `${box.dir}/mux.yaml`;
  const socket = `${box.dir}/everything.sock`;
  await Deno.writeTextFile(config, everything(box.dir));
  const first = new CliProcess(["--config", config], box.env);
  await first.waitForLine(/Daemon running 1 services/);
  await using host = await ProxyHost.start(["proxy", "--socket", socket], { env: box.env });
  const uri = "demo://resource/static/document/architecture.md";
  await host.client.setLoggingLevel("error");
  await host.client.subscribeResource({ uri });
  assertEquals(await echo(host, "hello"), "Echo: hello");

  // 1. A reload that changes a limit: applied in place, nobody disconnected.
  await Deno.writeTextFile(config, everything(box.dir, "    max_active_clients: 9\n"));
  const reload = await runCli(["reload", "--config", config], { env: box.env });
  assertMatch(reload.stdout, /applied in place: everything/);
  assertEquals(await echo(host, "after reload"), "Echo: after reload");

  // 2. restart NAME: a new server process, the same connection.
  const restart = await runCli(["restart", "everything", "--config", config], { env: box.env });
  assertEquals(restart.code, 0, restart.stderr);
  assertEquals(await echo(host, "after restart"), "Echo: after restart");
  assertEquals(host.stderr.filter((l) => /lost the mux/.test(l)), [], "never disconnected");

  // 3. The daemon killed with a request in flight: that request gets a clear error.
  let started!: () => void;
  const working = new Promise<void>((resolve) => started = resolve);
  const inFlight = host.client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 30, steps: 30 } },
    undefined,
    { onprogress: () => started(), timeout: 120_000 },
  );
  await working;
  first.child.kill("SIGKILL");
  await assertRejects(() => inFlight, /connection to the mux was lost .* retry it/);
  await first[Symbol.asyncDispose]();
  await host.waitForStderr(/lost the mux .*; reconnecting for up to 30 s/);
  // Sent while nothing listens: held, then answered by the next daemon.
  const held = echo(host, "held");
  await using second = new CliProcess(["--config", config], box.env);
  await second.waitForLine(/Daemon running 1 services/);
  assertEquals(await held, "Echo: held");
  await host.waitForStderr(/reconnected to the mux/);

  // The subscription and the log level are back (the proxy replayed them).
  const since = host.transport.received.length;
  await host.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  const update = await host.transport.next(
    (m) => (m as Note).method === "notifications/resources/updated",
    since,
  );
  assertEquals((update as Note).params?.uri, uri, "the subscription was restored");
  const logs = host.transport.received.slice(since).filter((m) =>
    (m as Note).method === "notifications/message"
  );
  assertEquals(logs, [], "the restored level (error) kept info lines away");
  await host.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  assertEquals((await runCli(["shutdown", "--config", config], { env: box.env })).code, 0);
  assertEquals((await second.child.status).code, 0);
});

Deno.test("the mux never comes back: held requests get an error, the proxy exits 1 with one line", async () => {
  await using box = await sandbox("rmcp-mux-proxy-");
  const socket = `${box.dir}/gone.sock`;
  const server = ["--cmd", DENO, "--", "run", "-A", "--quiet", FIXTURE];
  const mux = new CliProcess(["--socket", socket, ...server], box.env);
  await mux.waitForLine(/Listening on/);
  await using proxy = new RawProxy(
    ["proxy", "--socket", socket, "--reconnect-timeout-ms", "300"],
    box.env,
  );
  await proxy.send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "t", version: "1" },
    },
  });
  assertEquals((await proxy.answer(1)).id, 1);
  await proxy.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  mux.child.kill("SIGTERM");
  await mux[Symbol.asyncDispose]();
  // Sent once the proxy knows the mux is gone: before that, a request written to the dying
  // connection is "lost, may or may not have been carried out", not "not sent".
  await proxy.waitForStderr(/lost the mux/);
  await proxy.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  const failed = await proxy.answer(2);
  assertMatch(
    (failed.error as { message: string }).message,
    /^rmcp-mux proxy: tools\/list not sent: the mux did not come back within 0\.3 s/,
  );
  assertEquals((await proxy.child.status).code, 1);
  const stderr = (await proxy.stderr()).trim().split("\n");
  assertMatch(stderr[0]!, /^rmcp-mux proxy: lost the mux \(.*\); reconnecting for up to 0\.3 s$/);
  assertMatch(
    stderr.at(-1)!,
    /^rmcp-mux proxy: gave up: the mux did not come back within 0\.3 s \(cannot connect to .*gone\.sock: (no such socket|connection refused)/,
  );
});

Deno.test("started as rmcp-mux-proxy through a symlink (a Rust-era host entry), the program is the proxy", async () => {
  await using box = await sandbox("rmcp-mux-proxy-");
  const socket = `${box.dir}/named.sock`;
  await using mux = new CliProcess(
    ["--socket", socket, "--cmd", DENO, "--", "run", "-A", "--quiet", FIXTURE],
    box.env,
  );
  await mux.waitForLine(/Listening on/);
  const link = `${box.dir}/rmcp-mux-proxy`;
  await Deno.symlink(DENO, link);
  await using proxy = new RawProxy(["--socket", socket], box.env, link);
  await proxy.send({ jsonrpc: "2.0", id: "p", method: "ping" });
  assertEquals((await proxy.answer("p")).result, {}, "bridged to the mux, not run as a mux");
});
